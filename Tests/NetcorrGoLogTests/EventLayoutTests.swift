import NetcorrCore
import Testing
@testable import NetcorrGoLog

/// `LogEvent`'s boxed fields behave as stored ones, and the stamp cache gives what a fresh parse gives.
@Suite struct EventLayoutTests {
    static func full() -> LogEvent {
        var e = LogEvent(file: "a.log", line: 3, kind: .error, message: "m")
        e.stream = "stderr"; e.host = "app.test"; e.order = "files,dns"; e.resolver = "go"
        e.server = Endpoint(Substring("10.0.0.10:53")); e.local = Endpoint(Substring("10.0.0.2:5555"))
        e.remote = Endpoint(Substring("[fd00::1]:443")); e.authority = "app.test:443"
        e.errorKind = .dnsTimeout; e.errorText = "i/o timeout"
        return e
    }

    /// A copy is independent of the original (copy on write), field by field.
    @Test func copiesAreIndependent() {
        let a = Self.full()
        var b = a
        #expect(a == b && a.hashValue == b.hashValue)
        b.host = "other.test"; b.errorKind = nil; b.remote = nil
        #expect(a.host == "app.test" && a.errorKind == .dnsTimeout && a.remote == Endpoint(Substring("[fd00::1]:443")))
        #expect(b.host == "other.test" && b.errorKind == nil && b.remote == nil && b.stream == "stderr")
        #expect(a != b)
        var c = b
        c.stream = nil
        #expect(b.stream == "stderr" && c.stream == nil)
    }

    /// Every boxed field set, read back and cleared; an event whose boxed fields were all set and cleared
    /// equals (and hashes as) one that never had them.
    @Test func clearedEqualsNeverSet() {
        var e = Self.full()
        #expect(e.stream == "stderr" && e.order == "files,dns" && e.resolver == "go" && e.authority == "app.test:443")
        #expect(e.server == Endpoint(Substring("10.0.0.10:53")) && e.local == Endpoint(Substring("10.0.0.2:5555")))
        #expect(e.errorText == "i/o timeout")
        e.stream = nil; e.host = nil; e.order = nil; e.resolver = nil; e.server = nil; e.local = nil
        e.remote = nil; e.authority = nil; e.errorKind = nil; e.errorText = nil
        let fresh = LogEvent(file: "a.log", line: 3, kind: .error, message: "m")
        #expect(e == fresh && e.hashValue == fresh.hashValue)
        var f = fresh
        f.errorText = nil   // clearing an unset field changes nothing
        #expect(f == fresh)
        f.errorText = ""
        #expect(f != fresh)
    }

    /// Go log stamps of one second on successive lines (the second reused), then a new second, a new day, a
    /// repeated second with a broken fraction, and a repeated second without a fraction: each as a parser that
    /// never saw the lines before gives it.
    @Test func repeatedStampsAsFresh() {
        let lines = [
            "2026/11/27 11:00:00.306945 http2: Transport sending health check",
            "2026/11/27 11:00:00.906945 http2: Transport sending health check",
            "2026/11/27 11:00:00 http2: Transport sending health check",
            "2026/11/27 11:00:00. http2: Transport sending health check",
            "2026/11/27 11:00:00,5 http2: Transport sending health check",
            "2026/11/27 11:00:01.1 http2: Transport sending health check",
            "2026/11/28 11:00:01.1 http2: Transport sending health check",
            "2026/11/28 11:00:01.123456789123 http2: Transport sending health check",
            "2026-11-28 11:00:01.1 http2: Transport sending health check",
            "2026/11/28 11:00:01.2 http2: Transport sending health check",
            "2026/11/28 25:00:01.2 http2: Transport sending health check",
        ]
        var running = GoLogLineParser(options: GoLogOptions(timeZone: .fixed(3600)))
        for (n, l) in lines.enumerated() {
            var fresh = GoLogLineParser(options: GoLogOptions(timeZone: .fixed(3600)))
            let a = running.parse(l, file: "f", line: n), b = fresh.parse(l, file: "f", line: n)
            #expect(a == b, "\(l)")
        }
    }

    /// Frames that fail to parse after their type leave no frame behind.
    @Test func brokenFramesLeaveNoFrame() {
        var p = GoLogLineParser()
        let bad = p.parse("http2: Framer 0xc000: wrote SETTINGS flags=ACK stream=")
        #expect(bad.kind == .h2FrameError && bad.frame == nil)
        let received = p.parse("http2: Transport received PING flags=ACK")
        #expect(received.kind == .h2Other && received.frame == nil)
        let server = p.parse("http2: server read frame DATA stream=1")
        #expect(server.kind == .h2ServerOther && server.frame == nil)
        let good = p.parse("http2: server read frame DATA stream=1 len=2 data=\"ok\"")
        #expect(good.kind == .h2Frame && good.frame?.data == Array("ok".utf8))
    }
}
