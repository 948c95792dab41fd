import Foundation
import NetcorrCapture
import NetcorrCore
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `netcorr capture`: bad input (one stderr line, exit 2) and, as root, a short capture on lo saved and replayed.
/// The end-to-end test in the lab is scripts/lab/live-test (root, network namespaces).
@Suite struct CaptureCLITests {
    static var isRoot: Bool { geteuid() == 0 }

    func oneLine(_ r: CLI.Result) {
        #expect(r.status == 2, "exit status \(r.status), stderr: \(r.stderr)")
        #expect(r.stderr.hasPrefix("netcorr: "), "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
        #expect(!r.stderr.contains("Fatal error"))
    }

    @Test func missingInterface() throws {
        let r = try CLI.run(["capture", "-i", "nosuch0", "--duration", "1"])
        oneLine(r)
        if Self.isRoot { #expect(r.stderr.contains("no interface named 'nosuch0'"), "\(r.stderr)") }
    }

    @Test func badFilterOnLoopback() throws {
        let r = try CLI.run(["capture", "-i", "lo", "--duration", "1", "tcp", "port"])
        oneLine(r)
        if Self.isRoot { #expect(r.stderr.contains("bad filter expression 'tcp port'"), "\(r.stderr)") }
    }

    @Test func badFilterWithCommandAfterIt() throws {
        let r = try CLI.run(["capture", "-i", "lo", "udp", "prot", "53", "--", "true"])
        oneLine(r)
        if Self.isRoot { #expect(r.stderr.contains("bad filter expression 'udp prot 53'"), "\(r.stderr)") }
    }

    /// Without CAP_NET_RAW (as nobody with no capabilities when we are root; as we are otherwise).
    @Test func noPrivilege() throws {
        let r: CLI.Result
        if Self.isRoot {
            guard let setpriv = CLI.which("setpriv") else { return }
            r = try CLI.run(["--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all", CLI.binary,
                             "capture", "-i", "lo", "--duration", "1"], binary: setpriv)
            // setpriv could not exec the binary (a build directory nobody may read): nothing to check.
            if r.status == 126 || r.status == 127 || r.stderr.contains("setpriv:") { return }
        } else {
            r = try CLI.run(["capture", "-i", "lo", "--duration", "1"])
        }
        oneLine(r)
        #expect(r.stderr.contains("not permitted"), "\(r.stderr)")
        #expect(r.stderr.contains("run netcorr as root") && r.stderr.contains("setcap cap_net_raw"), "\(r.stderr)")
    }

    @Test func listInterfaces() throws {
        let r = try CLI.run(["capture", "-D"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.split(separator: "\n").contains { $0.contains(".lo") }, "\(r.stdout)")
    }

    @Test func noInterfaceGiven() throws {
        let r = try CLI.run(["capture", "--duration", "1"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("-i"))
    }

    /// Root: capture DNS queries to a closed port on lo while a command runs; the pcapng replays to the same
    /// findings and carries the command's log lines as comments.
    @Test(.enabled(if: CaptureCLITests.isRoot)) func captureLoopbackWithCommand() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("netcorr-capture-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("lo.pcapng").path
        // Two DNS queries to 127.0.0.1:53 (nothing listens in a test box: ICMP port unreachable) and a log line.
        let script = """
        exec 3<>/dev/udp/127.0.0.1/53; printf '\\x12\\x34\\x01\\x00\\x00\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x07example\\x03com\\x00\\x00\\x01\\x00\\x01' >&3; \
        echo 'go package net: hostLookupOrder(example.com) = files,dns' >&2; sleep 0.3; echo done
        """
        let html = dir.appendingPathComponent("lo.html").path
        let r = try CLI.run(["capture", "-i", "lo", "--format", "json", "--linger", "0.3", "-w", out, "--html", html, "udp port 53 or icmp",
                             "--", "bash", "-c", script])
        #expect(r.status == 0 || r.status == 1, "\(r.stderr)")
        let live = try #require(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let stats = try #require(live["stats"] as? [String: Any])
        #expect(stats["dropped_kernel"] as? Int == 0)
        #expect(FileManager.default.fileExists(atPath: out + ".log"))
        #expect(!FileManager.default.fileExists(atPath: out + ".spool"))
        let page = try String(contentsOfFile: html, encoding: .utf8)
        #expect(page.contains("netcorr-data") && page.contains("capture on lo"))
        let packets = try #require(stats["packets"] as? Int)
        let reader = try PcapFileReader(path: out)
        var n = 0
        while reader.next({ _, _ in n += 1 }) {}
        #expect(n == packets)
        let rep = try CLI.run(["replay", out, "--log", out + ".log", "--format", "json"])
        let replay = try #require(JSONSerialization.jsonObject(with: Data(rep.stdout.utf8)) as? [String: Any])
        #expect(NSDictionary(dictionary: ["f": replay["findings"] ?? []]).isEqual(to: ["f": live["findings"] ?? []]))
        if let tshark = CLI.which("tshark"), packets > 0 {
            let t = try CLI.run(["-r", out, "-Y", "frame.comment", "-T", "fields", "-e", "frame.comment"], binary: tshark)
            #expect(t.stdout.contains("hostLookupOrder(example.com)"), "\(t.stdout) \(t.stderr)")
        }
    }

    /// The pcapng writer: a lab capture copied with comments reads back packet for packet (and in tshark).
    @Test func pcapngWriterRoundTrip() throws {
        let src = CLI.capture("dns-ok")
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("netcorr-ng-\(UUID().uuidString).pcapng").path
        defer { unlink(out) }
        let n = try PcapngWriter.convert(spool: src, to: out, interfaceName: "any",
                                         comments: [1: ["first, with a comma", "second"], 3: [String(repeating: "x", count: 70_000)]])
        var a: [(Timestamp, Int, [UInt8])] = [], b: [(Timestamp, Int, [UInt8])] = []
        let ra = try PcapFileReader(path: src), rb = try PcapFileReader(path: out)
        while ra.next({ s, i in a.append((i.ts, i.wireLength, Array(repeating: 0, count: 0) + (0..<s.count).map { s[$0] })) }) {}
        while rb.next({ s, i in b.append((i.ts, i.wireLength, (0..<s.count).map { s[$0] })) }) {}
        #expect(n == a.count && a.count == b.count)
        #expect(rb.linkType == ra.linkType && rb.timestampDigits == 9)
        for (x, y) in zip(a, b) { #expect(x.0 == y.0 && x.1 == y.1 && x.2 == y.2) }
        if let tshark = CLI.which("tshark") {
            let t = try CLI.run(["-r", out, "-Y", "frame.comment", "-T", "fields", "-e", "frame.number", "-e", "frame.comment"], binary: tshark)
            let lines = t.stdout.split(separator: "\n")
            #expect(lines.count == 2, "\(t.stdout) \(t.stderr)")
            #expect(lines.first?.hasPrefix("1\tfirst, with a comma") == true)
        }
    }
}
