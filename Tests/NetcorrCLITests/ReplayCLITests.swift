import Foundation
import Testing

@Suite struct ReplayCLITests {
    @Test func missingFileIsOneLineAndStatus2() throws {
        let r = try CLI.run(["replay", "/nonexistent/x.pcap"])
        #expect(r.status == 2)
        #expect(r.stderr.hasPrefix("netcorr: "))
        #expect(r.stderr.split(separator: "\n").count == 1)
        #expect(r.stdout.isEmpty)
    }

    @Test func garbageIsOneLineAndStatus2() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("netcorr-garbage-\(getpid()).pcap").path
        try Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 7) }).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let r = try CLI.run(["replay", path])
        #expect(r.status == 2)
        #expect(r.stderr.split(separator: "\n").count == 1)
    }

    @Test func badFilterIsOneLineAndStatus2() throws {
        let r = try CLI.run(["replay", CLI.capture("dns-ok"), "udp", "port", "banana"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("filter"))
    }

    /// A capture cut in the middle of a packet: what was read is decoded, the cut is reported, no crash.
    @Test func truncatedCaptureKeepsWhatDecoded() throws {
        let src = try Data(contentsOf: URL(fileURLWithPath: CLI.capture("dns-no-response-blackhole")))
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("netcorr-trunc-\(getpid()).pcap").path
        try src.prefix(src.count * 2 / 3).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let full = try CLI.events(CLI.run(["replay", CLI.capture("dns-no-response-blackhole"), "--events"]).stdout)
        let r = try CLI.run(["replay", path, "--events"])
        #expect(r.status != 2)
        #expect(r.stderr.contains("truncated") || r.stderr.contains("reading stopped"))
        let cut = try CLI.events(r.stdout).filter { $0["kind"] as? String == "dns" }
        #expect(!cut.isEmpty)
        #expect(cut.count < full.filter { $0["kind"] as? String == "dns" }.count)
    }

    /// A blackholed DNS server: every query is unanswered, and retries are linked.
    @Test func blackholedServerQueriesAreUnanswered() throws {
        let r = try CLI.run(["replay", CLI.capture("dns-no-response-blackhole"), "--events", "--dns-timeout", "1"])
        #expect(r.status == 1)
        let ev = try CLI.events(r.stdout)
        let dns = ev.filter { $0["kind"] as? String == "dns" }
        let txns = ev.filter { $0["kind"] as? String == "dns_transaction" }
        #expect(!dns.isEmpty)
        #expect(dns.allSatisfy { $0["qr"] as? Bool == false })
        #expect(txns.count == dns.count)
        #expect(txns.allSatisfy { $0["outcome"] as? String == "unanswered" })
        #expect(txns.contains { ($0["attempt"] as? Int ?? 0) >= 2 && $0["retry_of"] is Int })
    }

    @Test func portUnreachableIsTiedToTheQuery() throws {
        let r = try CLI.run(["replay", CLI.capture("dns-port-unreachable"), "--events", "--dns-timeout", "1"])
        let txns = try CLI.events(r.stdout).filter { $0["kind"] as? String == "dns_transaction" }
        let icmp = txns.filter { $0["outcome"] as? String == "icmp-error" }
        #expect(!icmp.isEmpty)
        #expect(icmp.allSatisfy { $0["icmp"] as? String == "port unreachable" && $0["icmp_frame"] is Int })
    }

    @Test func successfulLookupsExitZero() throws {
        let r = try CLI.run(["replay", CLI.capture("dns-ok")])
        #expect(r.status == 0, "\(r.stdout)")
        #expect(r.stdout.contains("app.lab.test"))
    }

    /// With a filter, frames keep their numbers in the file (as tcpdump and Wireshark count).
    @Test func filterKeepsFrameNumbers() throws {
        let all = try CLI.events(CLI.run(["replay", CLI.capture("dns-nxdomain"), "--events"]).stdout)
            .filter { $0["kind"] as? String == "dns" }
        let some = try CLI.events(CLI.run(["replay", CLI.capture("dns-nxdomain"), "--events", "udp", "and", "src", "port", "53"]).stdout)
            .filter { $0["kind"] as? String == "dns" }
        #expect(!some.isEmpty && some.count < all.count)
        let allResponses = all.filter { $0["qr"] as? Bool == true }.map { $0["frame"] as! Int }
        #expect(some.map { $0["frame"] as! Int } == allResponses)
    }

    /// tshark as the oracle: the same DNS messages, frame for frame, on every lab capture.
    @Test(arguments: ["dns-ok", "dns-nxdomain", "dns-truncated-tcp-blocked", "dns-ok-v6", "dns-servfail", "dns-late-response"])
    func sameDNSMessagesAsTshark(_ scenario: String) throws {
        guard let tshark = CLI.which("tshark") else { return }   // scripts/test installs it
        let t = try CLI.run(["-r", CLI.capture(scenario), "-n", "-Y", "dns && !icmp", "-T", "fields",
                             "-e", "frame.number", "-e", "dns.id", "-e", "dns.qry.name", "-e", "dns.flags.rcode"], binary: tshark)
        let want = t.stdout.split(separator: "\n").map(String.init)
        let got = try CLI.events(CLI.run(["replay", CLI.capture(scenario), "--events"]).stdout)
            .filter { $0["kind"] as? String == "dns" }
            .map { e -> String in
                let qr = e["qr"] as! Bool
                return "\(e["frame"]!)\t0x\(String(format: "%04x", e["id"] as! Int))\t\(e["qname"]!)\t\(qr ? String(e["rcode"] as! Int) : "")"
            }
        #expect(!want.isEmpty)
        #expect(got == want)
    }
}

/// HTTP/2 through loss: the lab's h2-ok-lossy drops every 6th large server segment in the client's namespace
/// after the capture point, so the capture holds each dropped segment and, later, its retransmission (with the
/// client's SACKed duplicate ACKs between). The frames netcorr decodes through its reassembly must be tshark's, in
/// order, per direction; and a loss that TCP recovered from is not a finding.
@Suite struct LossyReplayTests {
    func tsharkFrames(_ s: String, _ tshark: String) throws -> [String: [String]] {
        let t = try CLI.run(["-r", CLI.capture(s), "-n", "-o", "tcp.desegment_tcp_streams:TRUE", "-Y", "http2",
                             "-T", "fields", "-E", "occurrence=a", "-e", "tcp.srcport", "-e", "http2.type",
                             "-e", "http2.streamid", "-e", "http2.length"], binary: tshark)
        var out: [String: [String]] = [:]
        for line in t.stdout.split(separator: "\n") {
            let c = line.split(separator: "\t", omittingEmptySubsequences: false).map { $0.split(separator: ",").map(String.init) }
            guard c.count == 4, let port = c[0].first else { continue }
            for i in 0..<c[1].count where i < c[2].count && i < c[3].count {
                out[port, default: []].append("\(c[1][i])/\(c[2][i])/\(c[3][i])")
            }
        }
        return out
    }

    @Test(arguments: ["h2-ok-lossy", "h2-ok-h2c"])
    func framesThroughLossEqualTshark(_ s: String) throws {
        guard let tshark = CLI.which("tshark") else { return }
        let want = try tsharkFrames(s, tshark)
        let r = try CLI.run(["replay", CLI.capture(s), "--events"])
        var got: [String: [String]] = [:]
        for e in try CLI.events(r.stdout) where e["kind"] as? String == "h2" {
            got[String(e["sport"] as! Int), default: []].append("\(e["type"]!)/\(e["stream"]!)/\(e["length"]!)")
        }
        #expect(!want.isEmpty)
        #expect(got == want)
    }

    @Test func recoveredLossIsNotAFinding() throws {
        guard FileManager.default.fileExists(atPath: CLI.capture("h2-ok-lossy")) else { return }
        let ev = try CLI.events(CLI.run(["replay", CLI.capture("h2-ok-lossy"), "--events"]).stdout)
        let tcp = ev.filter { $0["kind"] as? String == "tcp" && $0["dport"] as? Int == 8080 }
        #expect(tcp.contains { ($0["retransmissions"] as? Int ?? 0) > 0 })
        let r = try CLI.run(["replay", CLI.capture("h2-ok-lossy"), "--log", CLI.capture("h2-ok-lossy", "client.log"), "--format", "json"])
        #expect(r.status == 0, "\(r.stdout)")
    }
}
