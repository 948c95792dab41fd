import Foundation
import NetcorrCore
import Testing
@testable import NetcorrGoLog

func tempFile(_ bytes: [UInt8]) throws -> String {
    let path = NSTemporaryDirectory() + "netcorr-golog-\(UUID().uuidString).log"
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    return path
}

func events(_ text: String, _ options: GoLogOptions = GoLogOptions(timeZone: .utc, includeUnknown: true)) throws -> ([LogEvent], GoLogStats) {
    let path = try tempFile(Array(text.utf8))
    defer { try? FileManager.default.removeItem(atPath: path) }
    var r = try GoLogReader(path: path, options: options)
    var out: [LogEvent] = []
    while let e = r.next() { out.append(e) }
    return (out, r.stats)
}

/// 2026-11-27T11:20:00Z
let base = Timestamp(seconds: 1795778400, nanoseconds: 0)
let frameLine = "http2: Framer 0xc000182000: wrote SETTINGS flags=ACK len=0"

@Suite struct PrefixTests {
    var p = GoLogLineParser(options: GoLogOptions(timeZone: .utc))

    @Test mutating func goLogPrefixes() {
        var e = p.parse("2026/11/27 11:20:00 " + frameLine)
        #expect(e.ts == base && e.tsSource == .prefix && e.kind == .h2Frame && e.connID == 0xc000182000)
        e = p.parse("2026/11/27 11:20:00.123456 " + frameLine)
        #expect(e.ts == base + .milliseconds(123) + Duration(nanoseconds: 456_000))
        e = p.parse("2026/11/27 11:20:00.123456 main.go:42: RoundTrip failure: EOF")
        #expect(e.kind == .h2RoundTripFailure && e.errorKind == .ioEOF)
        var berlin = GoLogLineParser(options: GoLogOptions(timeZone: .fixed(3600)))
        #expect(berlin.parse("2026/11/27 12:20:00 " + frameLine).ts == base)
        var named = GoLogLineParser(options: GoLogOptions(timeZone: GoLogTimeZone(argument: "Europe/Berlin")!))
        #expect(named.parse("2026/11/27 12:20:00 " + frameLine).ts == base)           // CET in November
        #expect(named.parse("2026/07/01 12:00:00 " + frameLine).ts == Timestamp(seconds: 1782900000, nanoseconds: 0))  // CEST
        #expect(GoLogTimeZone(argument: "+05:30") == .fixed(19800))
        #expect(GoLogTimeZone(argument: "Not/AZone") == nil)
    }

    @Test mutating func rfc3339AndStacked() {
        var e = p.parse("2026-11-27T11:20:00.5Z " + frameLine)
        #expect(e.ts == base + .milliseconds(500) && e.kind == .h2Frame)
        e = p.parse("2026-11-27T12:20:00.000000001+01:00 " + frameLine)
        #expect(e.ts == base + Duration(nanoseconds: 1))
        // CRI around Go's log prefix: the outer one wins.
        e = p.parse("2026-11-27T11:20:00.123456789Z stderr F 2026/11/27 11:19:59.000001 " + frameLine)
        #expect(e.ts == base + Duration(nanoseconds: 123_456_789) && e.stream == "stderr" && e.kind == .h2Frame)
        // journald short-iso-precise
        e = p.parse("2026-11-27T11:20:00.000001+0000 host app[123]: " + frameLine)
        #expect(e.ts == base + Duration(nanoseconds: 1000) && e.kind == .h2Frame)
        // RFC 3339 followed by a message whose second word ends in ':' is not journald.
        e = p.parse("2026-11-27T11:20:00Z RoundTrip failure: http2: client connection lost")
        #expect(e.kind == .h2RoundTripFailure && e.errorKind == .h2ConnLost)
    }

    @Test mutating func jsonLines() {
        var e = p.parse(#"{"time":"2026-11-27T11:20:00.25Z","level":"ERROR","msg":"request failed","err":"dial tcp 10.0.0.1:443: connect: connection refused"}"#)
        #expect(e.ts == base + .milliseconds(250) && e.errorKind == .tcpRefused && e.remote == Endpoint(.v4(0x0a000001), 443))
        #expect(e.message == "request failed: dial tcp 10.0.0.1:443: connect: connection refused")
        e = p.parse(#"{"level":"error","ts":1795778400.5,"caller":"x.go:1","msg":"lookup api.example on 10.0.0.53:53: no such host"}"#)
        #expect(e.ts == base + .milliseconds(500) && e.errorKind == .dnsNXDomain && e.host == "api.example")
        e = p.parse(#"{"level":"info","msg":"http2: Transport sending health check","time":"2026-11-27T11:20:00Z"}"#)
        #expect(e.kind == .h2HealthCheck && e.ts == base)
        e = p.parse(#"{"message":"escaped \"q\" \u00e9","nested":{"a":[1,{"b":"}"}]},"timestamp":"2026-11-27T11:20:00Z"}"#)
        #expect(e.message == "escaped \"q\" é" && e.ts == base)
    }

    @Test mutating func newerNetdnsWording() {
        #expect(p.parse("go package net: using the Go DNS resolver").resolver == "go")
        #expect(p.parse("go package net: GODEBUG setting forcing use of the Go resolver").resolver == "go")
        #expect(p.parse("go package net: using the cgo DNS resolver").resolver == "cgo")
        #expect(p.parse("go package net: using cgo DNS resolver").resolver == "cgo")
        #expect(p.parse("go package net: dynamic selection of DNS resolver").resolver == "dynamic")
        #expect(p.parse("go package net: built with netgo build tag; using Go's DNS resolver").resolver == "go")
        let o = p.parse("go package net: hostLookupOrder(api.example.com) = cgo")
        #expect(o.kind == .netdnsOrder && o.order == "cgo" && o.host == "api.example.com")
        #expect(p.parse("go package net: addrLookupOrder(10.0.0.1) = files,dns").kind == .netdnsOrder)
    }

    @Test mutating func errorStringsByHand() {
        var e = p.parse("lookup api.example: no such host")
        #expect(e.errorKind == .dnsNXDomain && e.server == nil && e.host == "api.example")
        e = p.parse("Get \"https://x\": dial tcp 10.0.0.1:443: connect: network is unreachable")
        #expect(e.errorKind == .tcpUnreachable)
        e = p.parse("dial tcp [fd00::1]:443: connect: no route to host")
        #expect(e.errorKind == .tcpUnreachable && e.remote?.address == IPAddress("fd00::1"))
        e = p.parse("dial tcp 10.0.0.1:443: connect: connection timed out")
        #expect(e.errorKind == .tcpTimeout)
        e = p.parse("http2: timeout awaiting response headers")
        #expect(e.errorKind == .h2HeaderTimeout)
        e = p.parse("RST_STREAM: unknown frame UNKNOWN_FRAME_TYPE_99 flags=0x80 len=1")   // not a frame line
        #expect(e.kind == .unknown)
        let rst = p.parse("http2: Framer 0x1: read RST_STREAM stream=5 len=4 ErrCode=unknown error code 0x20")
        #expect(rst.frame?.errorCode == 0x20 && rst.frame?.errorCodeName == "unknown error code 0x20")
        #expect(p.parse("lookup table rebuilt").errorKind == nil)
        #expect(p.parse("some other program: all good").kind == .unknown)
    }
}

@Suite struct BadInputTests {
    @Test func missingAndEmptyFiles() throws {
        #expect(throws: GoLogError.self) { _ = try GoLogReader(path: "/nonexistent/x.log") }
        #expect(throws: GoLogError.self) { _ = try GoLogReader(path: NSTemporaryDirectory()) }
        let (ev, stats) = try events("")
        #expect(ev.isEmpty && stats.lines == 0)
    }

    @Test func garbageInvalidUTF8AndHugeLine() throws {
        var bytes: [UInt8] = []
        var g = SystemRandomNumberGenerator()
        for _ in 0..<200_000 { bytes.append(UInt8.random(in: 0...255, using: &g)) }
        bytes.append(10)
        bytes += Array("2026/11/27 11:20:00 ".utf8) + [0xff, 0xfe] + Array(" i/o timeout\n".utf8)
        bytes += [UInt8](repeating: 0x41, count: 10 * 1024 * 1024) + [10]
        bytes += Array("2026/11/27 11:20:01 http2: Transport health check success\n".utf8)
        bytes += Array("no newline at end: EOF".utf8)
        let path = try tempFile(bytes)
        defer { try? FileManager.default.removeItem(atPath: path) }
        var r = try GoLogReader(path: path, options: GoLogOptions(timeZone: .utc))
        var out: [LogEvent] = []
        while let e = r.next() { out.append(e) }
        #expect(r.stats.oversizedLines >= 1 && r.stats.invalidUTF8Lines >= 1)
        #expect(out.contains { $0.kind == .h2HealthCheckOK && $0.ts == base + .milliseconds(1000) })
        #expect(out.contains { $0.errorKind == .ioTimeout })
        #expect(out.last?.errorKind == .ioEOF && out.last?.line == r.stats.lines)
    }

    /// An over-long last line without a newline is cut and counted like any other.
    @Test func hugeLastLineWithoutNewlineIsCounted() throws {
        let bytes = Array("2026/11/27 11:20:01 http2: Transport health check success\n".utf8)
            + [UInt8](repeating: 0x41, count: 3 * 1024 * 1024)
        let path = try tempFile(bytes)
        defer { try? FileManager.default.removeItem(atPath: path) }
        var r = try GoLogReader(path: path, options: GoLogOptions(timeZone: .utc))
        while r.next() != nil {}
        #expect(r.stats.lines == 2)
        #expect(r.stats.oversizedLines == 1)
    }

    @Test func criPartialLinesJoin() throws {
        let text = """
        2026-11-27T11:20:00.000000001Z stderr P 2026/11/27 11:20:00 RoundTrip failure: dial tcp 10.0.0.1:44
        2026-11-27T11:20:00.000000002Z stderr F 3: connect: connection refused
        2026-11-27T11:20:00.000000003Z stdout F hello

        """
        let (ev, stats) = try events(text)
        #expect(stats.partialFragments == 1)
        #expect(ev.first?.kind == .h2RoundTripFailure && ev.first?.errorKind == .tcpRefused)
        #expect(ev.first?.remote == Endpoint(.v4(0x0a000001), 443) && ev.first?.line == 2)
        #expect(ev.last?.stream == "stdout" && ev.last?.kind == .unknown)
    }

    @Test func untimedLinesAtStartTakeTheNextTime() throws {
        let text = """
        go package net: confVal.netCgo = false  netGo = true
        go package net: hostLookupOrder(a.example) = files,dns
        2026/11/27 11:20:00 lookup a.example on 10.0.0.53:53: no such host
        go package net: hostLookupOrder(b.example) = dns

        """
        let (ev, _) = try events(text, GoLogOptions(timeZone: .utc))
        #expect(ev.map(\.line) == [1, 2, 3, 4])
        #expect(ev.map(\.tsSource) == [.interpolated, .interpolated, .prefix, .interpolated])
        #expect(ev.allSatisfy { $0.ts == base })
    }
}

@Suite struct RedactorTests {
    let r = Redactor()

    @Test func headersFromRealLines() throws {
        let line = "http2: Transport encoding header \"authorization\" = \"Bearer abc.def.ghi\""
        #expect(r.redact(line: line) == "http2: Transport encoding header \"authorization\" = <redacted 18 bytes>")
        let hp = "http2: decoded hpack field header field \"cookie\" = \"sid=12345\""
        #expect(r.redact(line: hp) == "http2: decoded hpack field header field \"cookie\" = <redacted 9 bytes>")
        let ok = "http2: Transport encoding header \":authority\" = \"127.0.0.1:36879\""
        #expect(r.redact(line: ok) == ok)
        #expect(r.redact(headerName: "X-Api-Key", value: "key-0123456789") == "<redacted 14 bytes>")
        #expect(r.redact(headerName: "x-session-token", value: "abcdefgh") == "<redacted 8 bytes>")
        #expect(r.redact(headerName: "keep-alive", value: "timeout=5") == "timeout=5")
        #expect(r.redact(headerName: "x-key-count", value: "12") == "12")
        #expect(Redactor.off.redact(line: line) == line)
    }

    @Test func dataPayloads() throws {
        let line = "http2: Framer 0xc0001821c0: read DATA flags=END_STREAM stream=7 len=16 data=\"password=hunter2\""
        #expect(r.redact(line: line) == "http2: Framer 0xc0001821c0: read DATA flags=END_STREAM stream=7 len=16 data=<16 bytes>")
        let esc = "DATA stream=1 len=4 data=\"\\x00\\x01\\\"a\" (10 bytes omitted)"
        #expect(r.redact(line: esc) == "DATA stream=1 len=4 data=<4 bytes> (10 bytes omitted)")
    }

    @Test func events() throws {
        var p = GoLogLineParser(options: GoLogOptions(timeZone: .utc))
        let e = r.redact(p.parse("2026/11/27 11:14:12.750961 http2: Transport encoding header \"authorization\" = \"Bearer abc.def.ghi\""))
        #expect(e.headerValue == "<redacted 18 bytes>" && !e.message.contains("abc.def"))
        let d = r.redact(p.parse("http2: Transport received DATA flags=END_STREAM stream=7 len=16 data=\"password=hunter2\""))
        #expect(d.frame?.data == nil && d.frame?.length == 16 && !d.message.contains("hunter2"))
    }
}

@Suite struct RunSupportTests {
    @Test func godebugMerge() {
        #expect(GoLogRun.mergeGODEBUG(nil) == "netdns=go+2,http2debug=2")
        #expect(GoLogRun.mergeGODEBUG("") == "netdns=go+2,http2debug=2")
        #expect(GoLogRun.mergeGODEBUG("netdns=cgo+1,x509sha1=1") == "netdns=cgo+1,x509sha1=1,http2debug=2")
        #expect(GoLogRun.mergeGODEBUG("http2debug=1") == "http2debug=1,netdns=go+2")
    }

    @Test func criStampRoundTrip() throws {
        let ts = Timestamp(seconds: 1795778400, nanoseconds: 5)
        #expect(GoLogRun.rfc3339Nano(ts) == "2026-11-27T11:20:00.000000005Z")
        #expect(GoLogRun.rfc3339Nano(Timestamp(seconds: 0, nanoseconds: 0)) == "1970-01-01T00:00:00.000000000Z")
        let line = GoLogRun.criLine(ts, stream: "stderr", line: Array(frameLine.utf8))
        let text = goLogRunHeader + " GODEBUG=x\n" + String(decoding: line, as: UTF8.self)
        let (ev, _) = try events(text, GoLogOptions(timeZone: .utc))
        #expect(ev.count == 1 && ev[0].ts == ts && ev[0].tsSource == .run && ev[0].stream == "stderr" && ev[0].line == 2)
    }
}
