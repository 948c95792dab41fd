import Foundation
import NetcorrCore
import Testing
@testable import NetcorrGoLog

/// The reader's byte-level shortcuts give what the general code gives.
@Suite struct FastPathTests {
    /// Endpoints read from the bytes (plain IPv4, bracketed IPv6, text refused early) against
    /// `Endpoint(Substring)`.
    @Test func endpointsAsTheGeneralParser() {
        let texts = [
            "10.77.0.80:8080", "0.0.0.0:0", "255.255.255.255:65535", "010.001.2.255:00080", "1.2.3.4:000080",
            "1.2.3.256:80", "1.2.3.4:65536", "1.2.3.4:+80", "1.2.3.4:-0", "1.2.3:80", "1.2.3.4.5:80", "1.2.3.4:",
            "[1.2.3.4]:80", "1.2.3.4%eth0:80", "+1.2.3.4:80", "1..3.4:80", "1.2.3.4::80", "1.2.3.4:8a",
            "app.lab.test:8080", "example.com:443", "localhost:80", "abc", "a:b", ":80", "1.2.3.4",
            "[::]:80", "[::1]:53", "[fd00::1]:53", "[fd00::]:53", "[FD00:0:0:0:0:0:0:AbC]:1", "[1:2:3:4:5:6:7:8]:1",
            "[1:2:3:4:5:6:7:8:9]:1", "[1:2:3:4:5:6:7]:1", "[1::2::3]:1", "[:::1]:1", "[1:::2]:1", "[1:]:1",
            "[:1]:1", "[12345::1]:1", "[::ffff:1.2.3.4]:80", "[fe80::1%eth0]:53", "[::1]:", "[::1]:65536",
            "[::1]:123456", "[::1]x:80", "fd00::1:53", "[1:2:3:4:5:6:7::]:9", "[::1:2:3:4:5:6:7]:9",
            "[::1:2:3:4:5:6:7:8]:9", "[g::1]:9", "caf\u{e9}:80",
        ]
        for t in texts {
            let b = Array(t.utf8)
            let fast = b.withUnsafeBufferPointer { endpoint($0) }
            let general = (3...64).contains(b.count) ? Endpoint(Substring(t)) : nil
            #expect(fast == general, "\(t)")
        }
    }

    /// ASCII check sixteen bytes a lane, two lanes a step (words or bytes for short lines): a high byte or a NUL
    /// found at every offset, in every length the steps and the overlapping last lane cover.
    @Test func plainASCIIAtEveryOffset() {
        for n in 0..<80 {
            let clean = [UInt8](repeating: 0x61, count: n)
            #expect(clean.withUnsafeBufferPointer { isPlainASCII($0) })
            for k in 0..<n {
                for bad: UInt8 in [0, 0x80, 0xff] {
                    var b = clean
                    b[k] = bad
                    #expect(!b.withUnsafeBufferPointer { isPlainASCII($0) }, "n \(n) k \(k) byte \(bad)")
                }
            }
        }
    }

    /// `goQuotedString` (no backslash: taken from the line) against `lenientString(goUnquote(…))`.
    @Test func quotedStringsAsUnquote() {
        let texts = ["\"plain\" = \"v\"", "\"a\\\"b\"", "\"caf\u{e9}\"", "\"\"", "\"unterminated", "\"x\\u00e9y\"",
                     "\"tab\\tend\" rest"]
        for t in texts {
            let b = Array(t.utf8)
            b.withUnsafeBufferPointer { p in
                let fast = goQuotedString(p, at: 0)
                let general = goUnquote(p, at: 0).map { (lenientString($0.0), $0.1) }
                #expect(fast?.0 == general?.0 && fast?.1 == general?.1, "\(t)")
            }
        }
        let latin1: [UInt8] = [quote, 0x61, 0xff, 0x62, quote]
        latin1.withUnsafeBufferPointer { #expect(goQuotedString($0, at: 0)?.0 == "a\u{ff}b") }
    }

    /// Lines that cross the reader's 1 MiB chunk boundary, CRLF endings, a line that only says something after
    /// its prefix, and unrecognised lines between them: the reader gives each line what the line parser gives.
    @Test func chunkBoundaryAndCRLFLinesAsTheLineParser() throws {
        let lines = [
            "2026/11/27 11:20:00.000001 http2: Framer 0xc000194000: wrote HEADERS flags=END_STREAM|END_HEADERS stream=3 len=41",
            "2026/11/27 11:20:00.000002 http2: Transport encoding header \":authority\" = \"app.lab.test:8080\"",
            "2026/11/27 11:20:00.000003 lookup app.lab.test on [fd00::53]:53: read udp [fd00::5]:40000->[fd00::53]:53: i/o timeout",
            "2026/11/27 11:20:00.000004 GET http://app.lab.test:8080/ok: 200",
            "2026-11-27T11:20:00.000005Z stdout F 2026/11/27 11:20:00 main.go:12: dial tcp 10.0.0.1:443: connect: connection refused",
        ]
        var text: [UInt8] = []
        var expected: [LogEvent] = []
        var parser = GoLogLineParser(options: GoLogOptions(timeZone: .utc))
        var n = 0
        // Enough lines to pass the first chunk; every length so that each byte of a line meets the boundary.
        while text.count < (1 << 20) + 4096 {
            let line = Array(lines[n % lines.count].utf8) + [UInt8](repeating: 0x20, count: n % 7)
            n += 1
            text += line + (n % 2 == 0 ? [13, 10] : [10])
            let e = parser.parse(line, line: n)
            if e.kind != .unknown { expected.append(e) }
        }
        let path = try tempFile(text)
        defer { try? FileManager.default.removeItem(atPath: path) }
        var r = try GoLogReader(path: path, options: GoLogOptions(timeZone: .utc))
        var got: [LogEvent] = []
        while let e = r.next() { got.append(e) }
        #expect(r.stats.lines == n && got.count == expected.count)
        for (g, var x) in zip(got, expected) {
            x.file = path
            #expect(g == x)
            if g != x { break }
        }
    }

    /// Small strings written in place: as `String(decoding:)`, invalid UTF-8 included.
    @Test func smallStringsAsDecoding() {
        let samples: [[UInt8]] = [[], [0x61], Array("fifteen bytes!!".utf8), Array("sixteen bytes!!!".utf8),
                                  [0x61, 0xff, 0x62], [0xc3], [0xc3, 0xa9], [0xe2, 0x82], [0xf0, 0x9f, 0x98, 0x80, 0x41],
                                  [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80]]
        for b in samples {
            let s = b.withUnsafeBufferPointer { utf8String($0) }
            #expect(s == String(decoding: b, as: UTF8.self), "\(b)")
            #expect(Array(s.utf8) == Array(String(decoding: b, as: UTF8.self).utf8), "\(b)")
        }
    }

    /// Name tables: every name found with its number, nothing else found (other lengths, one byte changed).
    @Test func nameTablesFindTheirNamesOnly() {
        func check<V: Equatable & Sendable>(_ d: [String: V], _ t: NameTable<V>) {
            for (name, value) in d {
                let b = Array(name.utf8)
                let hit = b.withUnsafeBufferPointer { t.lookup($0) }
                #expect(hit?.0 == name && hit?.1 == value, "\(name)")
                for k in b.indices {
                    var c = b
                    c[k] ^= 0x20
                    let s = String(decoding: c, as: UTF8.self)
                    #expect(d[s] != nil || c.withUnsafeBufferPointer { t.lookup($0) } == nil, "\(s)")
                }
                for c in [Array(b.dropLast()), b + [0x5f], [0x5f] + b] {
                    let s = String(decoding: c, as: UTF8.self)
                    #expect(d[s] != nil || c.withUnsafeBufferPointer { t.lookup($0) } == nil, "\(s)")
                }
            }
            #expect([UInt8]().withUnsafeBufferPointer { t.lookup($0) } == nil)
            #expect(Array("A_NAME_LONGER_THAN_TWENTY_FOUR".utf8).withUnsafeBufferPointer { t.lookup($0) } == nil)
        }
        check(H2Names.frameTypes, H2Names.frameTypeTable)
        check(H2Names.settings, H2Names.settingTable)
        check(H2Names.errorCodes, H2Names.errorCodeTable)
    }

    /// "0x…" pointers read digit by digit as `hexValue` reads them.
    @Test func hexPointersAsHexValue() {
        for t in ["0xc000194000", "0xC0FFEE", "0x", "0xg", "0x0", "0xffffffffffffffff", "0x1ffffffffffffffff", "0xaf:",
                  "0x09AFaf/", "0x@", "0x`", "0xG", "x0", ""] {
            let b = Array(t.utf8)
            var k = 2, v: UInt64 = 0
            while k < b.count, let d = hexValue(b[k]) { v = v << 4 | UInt64(d); k += 1 }
            let want: (UInt64, Int)? = t.hasPrefix("0x") && k > 2 ? (v, k) : nil
            let got = b.withUnsafeBufferPointer { $0.hexPointer(at: 0) }
            #expect(got?.0 == want?.0 && got?.1 == want?.1, "\(t)")
        }
    }

    /// The ready events' queue: first in first out while it grows and moves its events to the front; events
    /// left in it are released with it.
    @Test func eventQueueKeepsOrder() {
        let q = EventQueue()
        var next = 0, taken = 0
        for round in 0..<200 {
            for _ in 0..<(round % 7 + 1) {
                q.append(LogEvent(file: "f", line: next, kind: .unknown, message: "message \(next) of some length"))
                next += 1
            }
            for _ in 0..<(round % 5) where !q.isEmpty {
                let e = q.takeFirst()
                #expect(e.line == taken && e.message == "message \(taken) of some length")
                taken += 1
            }
            #expect(q.count == next - taken)
        }
        while !q.isEmpty {
            #expect(q.takeFirst().line == taken)
            taken += 1
        }
        #expect(taken == next)
        let left = EventQueue()
        for i in 0..<40 { left.append(LogEvent(file: "f", line: i, kind: .unknown, message: String(repeating: "x", count: 40))) }
        _ = left.takeFirst()
    }
}
