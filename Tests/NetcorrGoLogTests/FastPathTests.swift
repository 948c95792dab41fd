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

    /// ASCII check eight bytes at a time: a high byte or a NUL found at every offset.
    @Test func plainASCIIAtEveryOffset() {
        for n in 0..<20 {
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
}
