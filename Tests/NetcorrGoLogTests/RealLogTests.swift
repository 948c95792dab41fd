import Foundation
import NetcorrCore
import Testing
@testable import NetcorrGoLog

/// captures/ at the repository root, found from this file's path.
let capturesDir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("captures")

func readAll(_ name: String, _ options: GoLogOptions = GoLogOptions(timeZone: .utc)) throws -> ([LogEvent], GoLogStats) {
    var r = try GoLogReader(path: capturesDir.appendingPathComponent(name).path, options: options)
    var out: [LogEvent] = []
    while let e = r.next() { out.append(e) }
    return (out, r.stats)
}

/// The first line of a real log containing `s`, parsed on its own.
func realEvent(_ name: String, containing s: String) throws -> LogEvent {
    let text = try String(contentsOf: capturesDir.appendingPathComponent(name), encoding: .utf8)
    let line = try #require(text.split(separator: "\n").first { $0.contains(s) }.map(String.init))
    var p = GoLogLineParser(options: GoLogOptions(timeZone: .utc))
    return p.parse(line, file: name, line: 1)
}

/// Logs of scripts/logsamples (loopback, Go 1.19 + Debian x/net): see captures/logsamples/README.md.
@Suite struct LogSampleTests {
    @Test func netdnsLines() throws {
        let conf = try realEvent("logsamples/dns.log", containing: "confVal.netCgo")
        #expect(conf.kind == .netdnsConf && conf.resolver == "netCgo=false netGo=true")
        let forced = try realEvent("logsamples/dns.log", containing: "GODEBUG setting forcing")
        #expect(forced.kind == .netdnsConf && forced.resolver == "go")
        let order = try realEvent("logsamples/dns.log", containing: "hostLookupOrder(nonexistent.invalid)")
        #expect(order.kind == .netdnsOrder && order.host == "nonexistent.invalid" && order.order == "files,dns")
        #expect(order.ts == nil && order.tsSource == .none)
    }

    @Test func dnsErrors() throws {
        let nx = try realEvent("logsamples/dns.log", containing: "no such host")
        #expect(nx.kind == .error && nx.errorKind == .dnsNXDomain && nx.host == "nonexistent.invalid")
        #expect(nx.server == Endpoint(Substring("10.255.255.53:53")))
        #expect(try realEvent("logsamples/dns.log", containing: "server misbehaving").errorKind == .dnsServFail)
        let to = try realEvent("logsamples/dns.log", containing: "read udp")
        #expect(to.errorKind == .dnsTimeout && to.host == "noanswer.invalid")
        #expect(to.local?.address == IPAddress("127.0.0.1") && to.local?.port != 0 && to.remote != nil)
        let ref = try realEvent("logsamples/dns.log", containing: "read: connection refused")
        #expect(ref.errorKind == .dnsRefused && ref.local != nil)
        let dial = try realEvent("logsamples/dns.log", containing: "failed to get client conn for h2.invalid")
        #expect(dial.kind == .h2ConnGetFailed && dial.errorKind == .dnsNXDomain && dial.authority == "h2.invalid:8080")
        #expect(try realEvent("logsamples/dns.log", containing: "lookup localhost: <nil>").errorKind == nil)
    }

    @Test func wholeFilesTimestampsAndOrder() throws {
        let (events, stats) = try readAll("logsamples/dns.log")
        #expect(stats.lines == 24 && stats.unknownLines > 0 && stats.oversizedLines == 0)
        // netdns lines carry no time: they take the previous line's and keep file order.
        let order = try #require(events.first { $0.kind == .netdnsOrder })
        #expect(order.tsSource == .interpolated && order.ts != nil)
        for (a, b) in zip(events, events.dropFirst()) {
            #expect(a.line < b.line)
            #expect(a.ts! <= b.ts!)
        }
        // 2026/11/27 11:14:28.607315 (UTC) is the first prefix.
        #expect(events.first?.ts == Timestamp(seconds: 1795778068, nanoseconds: 607315000))
        #expect(events.allSatisfy { $0.file.hasSuffix("logsamples/dns.log") })
    }

    @Test func frames() throws {
        let set = try realEvent("logsamples/h2.log", containing: "Transport received SETTINGS len=30")
        #expect(set.kind == .h2Frame && set.direction == .read && set.role == .client)
        let f = try #require(set.frame)
        #expect(f.type == 4 && f.length == 30 && f.settings.count == 5)
        #expect(f.settings.first == H2Setting(name: "MAX_FRAME_SIZE", id: 5, value: 1048576))
        #expect(f.settings.contains(H2Setting(name: "MAX_CONCURRENT_STREAMS", id: 3, value: 250)))

        let wrote = try realEvent("logsamples/h2.log", containing: ": wrote HEADERS flags=END_STREAM|END_HEADERS stream=3")
        #expect(wrote.direction == .wrote && wrote.connID != nil && wrote.frame?.flags == 5 && wrote.frame?.streamID == 3)
        #expect(wrote.frame?.endStream == true && wrote.frame?.endHeaders == true)

        let wu = try realEvent("logsamples/h2.log", containing: "WINDOW_UPDATE len=4 (conn) incr=1073741824")
        #expect(wu.frame?.increment == 1073741824 && wu.frame?.streamID == 0)

        let ack = try realEvent("logsamples/h2.log", containing: "SETTINGS flags=ACK len=0")
        #expect(ack.frame?.isAck == true && ack.frame?.settings.isEmpty == true)

        let big = try realEvent("logsamples/h2.log", containing: "(744 bytes omitted)")
        #expect(big.frame?.type == 0 && big.frame?.data?.count == 256 && big.frame?.dataOmitted == 744 && big.frame?.length == 1000)

        let hello = try realEvent("logsamples/h2.log", containing: "data=\"hello\"")
        #expect(hello.frame?.data == Array("hello".utf8))

        let ping = try realEvent("logsamples/h2.log", containing: "server read frame PING")
        #expect(ping.role == .server && ping.frame?.pingData?.count == 8)

        let rst = try realEvent("logsamples/h2.log", containing: "read RST_STREAM stream=9")
        #expect(rst.frame?.errorCodeName == "INTERNAL_ERROR" && rst.frame?.errorCode == 2 && rst.frame?.streamID == 9)

        let ga = try realEvent("logsamples/h2.log", containing: ": read GOAWAY")
        #expect(ga.frame?.lastStreamID == 0 && ga.frame?.errorCode == 11 && ga.frame?.debugData == "too many requests")

        let unk = try realEvent("logsamples/h2.log", containing: "wrote UNKNOWN_FRAME_TYPE_32")
        #expect(unk.frame?.type == 32 && unk.frame?.flags == 3 && unk.frame?.length == 2)
    }

    @Test func transportAndServerLines() throws {
        let cc = try realEvent("logsamples/h2.log", containing: "creating client conn")
        #expect(cc.kind == .h2ConnNew && cc.connID != nil && cc.remote?.address == IPAddress("127.0.0.1"))
        let enc = try realEvent("logsamples/h2.log", containing: "Transport encoding header \"authorization\"")
        #expect(enc.kind == .h2HeaderEncode && enc.headerName == "authorization" && enc.headerValue == "Bearer abc.def.ghi")
        let dec = try realEvent("logsamples/h2.log", containing: "decoded hpack field header field \"cookie\"")
        #expect(dec.kind == .h2HeaderDecode && dec.headerValue == "sid=12345")
        let senc = try realEvent("logsamples/h2.log", containing: "server encoding header \"set-cookie\"")
        #expect(senc.kind == .h2HeaderEncode && senc.role == .server)
        let sc = try realEvent("logsamples/h2.log", containing: "server connection from")
        #expect(sc.kind == .h2ServerConn && sc.remote != nil && sc.connID != nil)
        let ps = try realEvent("logsamples/h2.log", containing: "server processing setting [INITIAL_WINDOW_SIZE")
        #expect(ps.kind == .h2ServerSetting && ps.headerName == "INITIAL_WINDOW_SIZE" && ps.headerValue == "4194304")
        #expect(try realEvent("logsamples/h2.log", containing: "Transport sending health check").kind == .h2HealthCheck)
        #expect(try realEvent("logsamples/h2.log", containing: "health check success").kind == .h2HealthCheckOK)
        let hf = try realEvent("logsamples/h2.log", containing: "health check failure")
        #expect(hf.kind == .h2HealthCheckFailed && hf.errorKind == .contextDeadline)
        let idle = try realEvent("logsamples/h2.log", containing: "closing idle conn")
        #expect(idle.kind == .h2ConnCloseIdle && idle.connID == cc.connID)
        let rf = try realEvent("logsamples/h2.log", containing: "readFrame error")
        #expect(rf.kind == .h2ReadError && rf.errorKind == .netClosed && rf.local != nil && rf.remote != nil && rf.connID != nil)
        #expect(try realEvent("logsamples/h2.log", containing: "RoundTrip retrying").kind == .h2RoundTripRetry)
        let st = try realEvent("logsamples/h2.log", containing: "RoundTrip failure: stream error")
        #expect(st.kind == .h2RoundTripFailure && st.errorKind == .h2StreamError)
        #expect(try realEvent("logsamples/h2.log", containing: "RoundTrip failure: http2: client connection lost").errorKind == .h2ConnLost)
        #expect(try realEvent("logsamples/h2.log", containing: "Client.Timeout").errorKind == .clientTimeout)
        let refused = try realEvent("logsamples/h2.log", containing: "connect: connection refused")
        #expect(refused.errorKind == .tcpRefused && refused.remote != nil)
        let gotGA = try realEvent("logsamples/h2.log", containing: "transport got GOAWAY")
        #expect(gotGA.kind == .h2GoAwayReceived && gotGA.frame?.errorCodeName == "ENHANCE_YOUR_CALM")
        #expect(try realEvent("logsamples/bundled.log", containing: "TLS handshake timeout").errorKind == .tlsHandshakeTimeout)
        #expect(try realEvent("logsamples/bundled.log", containing: "said hello").kind == .h2ServerConn)
        let eof = try realEvent("logsamples/bundled.log", containing: "(*errors.errorString) EOF")
        #expect(eof.kind == .h2ReadError && eof.errorKind == .ioEOF)
    }

    @Test func h2FileHasNoUnrecognisedHTTP2Lines() throws {
        let (events, stats) = try readAll("logsamples/h2.log", GoLogOptions(timeZone: .utc, includeUnknown: true))
        #expect(stats.lines == events.count)
        let h2Unknown = events.filter { $0.kind == .unknown && $0.message.hasPrefix("http2: ") }
        #expect(h2Unknown.isEmpty)
        #expect(stats.kinds[.h2Frame, default: 0] > 100)
    }

    @Test func runStampedFileReadsBackAsRun() throws {
        let (events, stats) = try readAll("logsamples/h2.run.log")
        #expect(stats.timestamped > 100)
        let stamped = events.filter { $0.tsSource == .run }
        #expect(stamped.count == stats.timestamped)
        #expect(events.allSatisfy { $0.stream == "stderr" })
        // The stamped file was redacted by `netcorr run`.
        let enc = try #require(events.first { $0.headerName == "authorization" })
        #expect(enc.headerValue == "<redacted 18 bytes>")
    }
}

/// Logs of the failure lab (scripts/lab, Go client in network namespaces).
@Suite struct LabLogTests {
    func lab(_ scenario: String) -> Bool {
        FileManager.default.fileExists(atPath: capturesDir.appendingPathComponent("\(scenario)/client.log").path)
    }

    @Test func dnsFailures() throws {
        let cases: [(String, GoErrorKind)] = [
            ("dns-nxdomain", .dnsNXDomain), ("dns-servfail", .dnsServFail), ("dns-no-response-blackhole", .dnsTimeout),
            ("dns-port-unreachable", .dnsRefused), ("dns-not-sent", .dnsSendBlocked),
        ]
        for (scenario, kind) in cases where lab(scenario) {
            let (events, _) = try readAll("\(scenario)/client.log")
            let e = try #require(events.first { $0.kind == .h2ConnGetFailed }, "\(scenario)")
            #expect(e.errorKind == kind, "\(scenario)")
            #expect(e.host != nil && e.server?.port == 53, "\(scenario)")
            if kind == .dnsTimeout || kind == .dnsRefused || kind == .dnsSendBlocked {
                #expect(e.local != nil && e.remote == e.server, "\(scenario): the local UDP port finds the packets")
            }
            #expect(events.contains { $0.kind == .netdnsOrder && $0.order == "files,dns" })
        }
    }

    @Test func tcpAndH2Failures() throws {
        let cases: [(String, LogEventKind, GoErrorKind)] = [
            ("tcp-refused", .h2ConnGetFailed, .tcpRefused), ("tcp-syn-timeout", .h2ConnGetFailed, .tcpTimeout),
            ("h2-goaway", .h2RoundTripFailure, .h2GoAway),
            ("h2-rst-stream", .h2RoundTripFailure, .h2StreamError), ("h2-ping-timeout", .h2RoundTripFailure, .h2ConnLost),
        ]
        for (scenario, kind, err) in cases where lab(scenario) {
            let (events, _) = try readAll("\(scenario)/client.log")
            #expect(events.contains { $0.kind == kind && $0.errorKind == err }, "\(scenario)")
        }
        if lab("tcp-reset") {
            // The lab regenerates this one: the reset shows as "connection reset by peer" or, later, "EOF".
            let (events, _) = try readAll("tcp-reset/client.log")
            #expect(events.contains { $0.errorKind == .tcpReset || $0.errorKind == .ioEOF })
            if let r = events.first(where: { $0.errorKind == .tcpReset }) { #expect(r.local != nil && r.remote?.port == 8080) }
        }
        if lab("h2-ping-timeout") {
            let (events, _) = try readAll("h2-ping-timeout/client.log")
            #expect(events.contains { $0.kind == .h2HealthCheckFailed })
        }
        if lab("h2-goaway") {
            let (events, _) = try readAll("h2-goaway/client.log")
            let ga = try #require(events.first { $0.kind == .h2Frame && $0.frame?.type == 7 })
            #expect(ga.frame?.errorCodeName == "ENHANCE_YOUR_CALM")
        }
    }

    @Test func criLogsMatchRawLogs() throws {
        for scenario in ["dns-ok", "h2-ok-h2c", "h2-goaway"] where lab(scenario) {
            let (raw, _) = try readAll("\(scenario)/client.log")
            let (cri, _) = try readAll("\(scenario)/client.cri.log")
            #expect(raw.map(\.kind) == cri.map(\.kind), "\(scenario)")
            #expect(cri.allSatisfy { $0.ts != nil && $0.stream != nil })
            // The outer CRI stamp wins over the inner Go log prefix (it is more precise).
            #expect(cri.contains { $0.tsSource == .prefix || $0.tsSource == .run })
        }
    }
}
