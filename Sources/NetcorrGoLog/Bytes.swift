import NetcorrCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A read-only view of a line's bytes. All scanning is on bytes; Strings are built only for kept fields.
typealias Bytes = UnsafeBufferPointer<UInt8>

@usableFromInline let sp: UInt8 = 0x20, quote: UInt8 = 0x22, colon: UInt8 = 0x3a, comma: UInt8 = 0x2c

extension UnsafeBufferPointer where Element == UInt8 {
    @inline(__always) func sub(_ lo: Int, _ hi: Int) -> Bytes {
        let l = Swift.max(0, Swift.min(lo, count)), h = Swift.max(l, Swift.min(hi, count))
        return Bytes(rebasing: self[l..<h])
    }
    @inline(__always) func from(_ lo: Int) -> Bytes { sub(lo, count) }

    /// Whether the `n` bytes at `p` stand at `i`. Compared a word at a time (the last word overlapping the one
    /// before): with a literal's length known where this is inlined, a few loads and compares.
    @inline(__always) func hasPrefix(_ p: UnsafePointer<UInt8>, count n: Int, at i: Int) -> Bool {
        guard i >= 0, count - i >= n else { return false }
        guard n > 0, let base = baseAddress else { return true }
        return bytesEqual(UnsafeBufferPointer(start: base + i, count: n), UnsafeBufferPointer(start: p, count: n))
    }

    @inline(__always) func hasPrefix(_ p: StaticString, at i: Int = 0) -> Bool {
        hasPrefix(p.utf8Start, count: p.utf8CodeUnitCount, at: i)
    }

    @inline(__always) func firstIndex(of b: UInt8, from i: Int = 0) -> Int? {
        var k = i
        while k < count {
            if self[k] == b { return k }
            k += 1
        }
        return nil
    }

    /// First occurrence of `p` at or after `i` (memchr to each candidate first byte).
    func find(_ p: StaticString, from i: Int = 0) -> Int? {
        let n = p.utf8CodeUnitCount, s = p.utf8Start
        let start = Swift.max(0, i)
        guard n > 0, n <= count - start, let base = baseAddress else { return nil }
        let last = count - n
        var k = start
        while k <= last {
            guard let r = memchr(base + k, Int32(s[0]), last - k + 1) else { return nil }
            k = UnsafeRawPointer(r) - UnsafeRawPointer(base)
            if hasPrefix(s, count: n, at: k) { return k }
            k += 1
        }
        return nil
    }

    func contains(_ p: StaticString) -> Bool { find(p) != nil }

    /// Index just past the token starting at `i` (ends at a space or `stop`).
    @inline(__always) func tokenEnd(from i: Int, stop: UInt8 = sp) -> Int {
        var k = i
        while k < count && self[k] != sp && self[k] != stop { k += 1 }
        return k
    }

    /// Decimal digits at `i`: value and index after. Nil when no digit.
    @inline(__always) func decimal(at i: Int) -> (UInt64, Int)? {
        var k = i, v: UInt64 = 0
        while k < count, self[k] >= 0x30, self[k] <= 0x39 {
            v = v &* 10 &+ UInt64(self[k] - 0x30)
            k += 1
        }
        return k == i ? nil : (v, k)
    }

    /// "0x" followed by hex digits at `i`.
    func hexPointer(at i: Int) -> (UInt64, Int)? {
        guard hasPrefix(Lit.zeroX, at: i), let base = baseAddress else { return nil }
        var k = i + 2, v: UInt64 = 0
        // (A digit by two subtractions, not `hexValue`'s optional: a pointer has twelve digits or so.)
        while k < count {
            let c = base[k]
            var d = c &- 0x30
            if d > 9 {
                d = (c | 0x20) &- 0x61
                guard d <= 5 else { break }
                d += 10
            }
            v = v << 4 | UInt64(d)
            k += 1
        }
        return k == i + 2 ? nil : (v, k)
    }

    var string: String { utf8String(self) }
}

/// `String(decoding: b, as: UTF8.self)` (invalid UTF-8 repaired). Up to fifteen bytes, a small string (no
/// storage), it is written in place: `String(decoding:)` took twice the instructions to make one.
@inline(__always) func utf8String(_ b: Bytes) -> String {
    guard b.count <= 15 else { return String(decoding: b, as: UTF8.self) }
    guard let base = b.baseAddress, b.count > 0 else { return "" }
    return String(unsafeUninitializedCapacity: b.count) { d in
        UnsafeMutableRawPointer(d.baseAddress!).copyMemory(from: base, byteCount: b.count)
        return b.count
    }
}

@inline(__always) func hexValue(_ c: UInt8) -> UInt8? {
    switch c {
    case 0x30...0x39: c - 0x30
    case 0x61...0x66: c - 0x61 + 10
    case 0x41...0x46: c - 0x41 + 10
    default: nil
    }
}

extension StaticString {
    /// Length in bytes.
    @inline(__always) var count: Int { utf8CodeUnitCount }
}

/// Byte literals used by the recognisers.
enum Lit {
    static let zeroX: StaticString = "0x"
    static let arrow: StaticString = "->"
    static let colonSpace: StaticString = ": "
}

/// Index of the first '"' or '\\' at or after `i` in `p` (`p.count` when none), eight bytes at a time.
@inline(__always) func quoteOrBackslash(_ p: Bytes, from i: Int) -> Int {
    guard let base = p.baseAddress else { return p.count }
    let raw = UnsafeRawPointer(base)
    let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
    var k = i
    while k + 8 <= p.count {
        let w = raw.loadUnaligned(fromByteOffset: k, as: UInt64.self)
        let q = w ^ (ones &* UInt64(quote)), s = w ^ (ones &* 0x5c)
        // A zero byte in q or s; the lowest flagged byte is the first match (borrows only flag later ones).
        let hit = (((q &- ones) & ~q) | ((s &- ones) & ~s)) & highs
        if hit != 0 { return k + hit.trailingZeroBitCount >> 3 }
        k += 8
    }
    while k < p.count, p[k] != quote, p[k] != 0x5c { k += 1 }
    return k
}

/// Go's `%q` of a string or byte slice, undone. `at` is the index of the opening quote; returns the bytes
/// and the index after the closing quote. Nil when there is no closing quote.
func goUnquote(_ p: Bytes, at start: Int) -> ([UInt8], Int)? {
    guard start < p.count, p[start] == quote else { return nil }
    var out: [UInt8] = []
    var i = start + 1
    while i < p.count {
        // A run of plain bytes is copied at once.
        let k = quoteOrBackslash(p, from: i)
        if k > i {
            if out.isEmpty { out.reserveCapacity(Swift.min(p.count - start, 2 * (k - i) + 16)) }
            out.append(contentsOf: p.sub(i, k))
            i = k
            continue
        }
        let c = p[i]
        if c == quote { return (out, i + 1) }
        guard i + 1 < p.count else { return nil }
        let e = p[i + 1]
        switch e {
        case 0x61: out.append(7); i += 2          // \a
        case 0x62: out.append(8); i += 2          // \b
        case 0x66: out.append(12); i += 2         // \f
        case 0x6e: out.append(10); i += 2         // \n
        case 0x72: out.append(13); i += 2         // \r
        case 0x74: out.append(9); i += 2          // \t
        case 0x76: out.append(11); i += 2         // \v
        case 0x78:                                // \xNN
            guard i + 3 < p.count, let h = hexValue(p[i + 2]), let l = hexValue(p[i + 3]) else { return nil }
            out.append(h << 4 | l); i += 4
        case 0x75, 0x55:                          // \uNNNN \UNNNNNNNN
            let n = e == 0x75 ? 4 : 8
            guard i + 1 + n < p.count else { return nil }
            var v: UInt32 = 0
            for k in 0..<n {
                guard let d = hexValue(p[i + 2 + k]) else { return nil }
                v = v << 4 | UInt32(d)
            }
            if let s = Unicode.Scalar(v) { out.append(contentsOf: Array(String(Character(s)).utf8)) }
            i += 2 + n
        case 0x30...0x37:                         // \NNN octal (Go accepts it; %q never prints it)
            guard i + 3 < p.count else { return nil }
            var v = 0
            for k in 1...3 { v = v * 8 + Int(p[i + k] &- 0x30) }
            out.append(UInt8(truncatingIfNeeded: v)); i += 4
        default: out.append(e); i += 2            // \\ \" \'
        }
    }
    return nil
}

/// Text of bytes that may not be UTF-8: valid UTF-8 as is, otherwise each byte as Latin-1.
func lenientString(_ b: [UInt8]) -> String {
    b.withUnsafeBufferPointer { lenientString($0) }
}

func lenientString(_ b: Bytes) -> String {
    // (Not `String(validating:)` first: it is generic, not specialised here, and costs ~1000 instructions.)
    if isPlainASCII(b) { return utf8String(b) }
    if let s = String(validating: b, as: UTF8.self) { return s }
    return String(String.UnicodeScalarView(b.map { Unicode.Scalar($0) }))
}

/// A Go `%q` string at `at` (the opening quote) as text (`lenientString` of `goUnquote`), and the index after
/// its closing quote. Without a backslash before the closing quote the text is taken from the line as it is.
func goQuotedString(_ p: Bytes, at start: Int) -> (String, Int)? {
    guard start < p.count, p[start] == quote else { return nil }
    let k = quoteOrBackslash(p, from: start + 1)
    if k < p.count, p[k] == quote { return (lenientString(p.sub(start + 1, k)), k + 1) }
    guard let (b, end) = goUnquote(p, at: start) else { return nil }
    return (lenientString(b), end)
}

/// Endpoint from "IP:PORT" / "[IPv6]:PORT" bytes. Plain "a.b.c.d:port" is read from the bytes; anything else
/// goes through `Endpoint(Substring)`.
func endpoint(_ p: Bytes) -> Endpoint? {
    guard p.count >= 3, p.count <= 64 else { return nil }
    if let e = plainIPv4Endpoint(p) ?? plainIPv6Endpoint(p) { return e }
    if notAnAddress(p) { return nil }
    return Endpoint(Substring(p.string))
}

/// Text `Endpoint(Substring)` is sure to refuse without building it: no ':' at all, or an ASCII address part
/// (before the last ':') without ':', '%' or brackets (so it is read as dotted IPv4) holding a byte that no
/// IPv4 octet can hold ("app.lab.test:8080").
func notAnAddress(_ p: Bytes) -> Bool {
    var last = -1, v6 = false, other = false
    for i in 0..<p.count {
        let c = p[i]
        if c >= 0x80 { return false }
        switch c {
        case colon:
            if last >= 0 { v6 = true }
            last = i
        case 0x25, 0x5b, 0x5d: v6 = true
        case 0x30...0x39, 0x2e, 0x2b, 0x2d: break
        default: if last < 0 { other = true }
        }
    }
    return last < 0 || (!v6 && other)
}

/// "a.b.c.d:port" with 1-3 digit octets up to 255 and a 1-5 digit port up to 65535, nothing else; nil
/// otherwise (the caller then parses the text the general way, which gives the same answer for these).
@inline(__always) func plainIPv4Endpoint(_ p: Bytes) -> Endpoint? {
    var i = 0, addr: UInt32 = 0
    for octet in 0..<4 {
        var v: UInt32 = 0, n = 0
        while i < p.count, p[i] &- 0x30 <= 9, n < 4 { v = v * 10 + UInt32(p[i] &- 0x30); n += 1; i += 1 }
        guard n >= 1, n <= 3, v <= 255, i < p.count, p[i] == (octet == 3 ? colon : 0x2e) else { return nil }
        addr = addr << 8 | v
        i += 1
    }
    var port: UInt32 = 0, n = 0
    while i < p.count, p[i] &- 0x30 <= 9, n < 6 { port = port * 10 + UInt32(p[i] &- 0x30); n += 1; i += 1 }
    guard i == p.count, n >= 1, n <= 5, port <= 65535 else { return nil }
    return Endpoint(.v4(addr), UInt16(port))
}

/// "[h:h:…]:port" with only hex groups of 1-4 digits and at most one "::" (no zone, no IPv4 tail), and a 1-5
/// digit port up to 65535; nil otherwise (the caller then parses the text the general way, which gives the
/// same answer for these).
func plainIPv6Endpoint(_ p: Bytes) -> Endpoint? {
    guard p.count >= 6, p[0] == 0x5b, let close = p.firstIndex(of: 0x5d), close + 2 < p.count, p[close + 1] == colon
    else { return nil }
    var port: UInt32 = 0
    for k in (close + 2)..<p.count {
        let d = p[k] &- 0x30
        guard d <= 9, k - (close + 2) < 5 else { return nil }
        port = port * 10 + UInt32(d)
    }
    guard port <= 65535 else { return nil }
    let a = p.sub(1, close)
    // Groups before and after "::" (or all eight when there is none).
    var head: [UInt16] = [], tail: [UInt16] = []
    var afterGap = false
    var i = 0
    if a.count >= 2, a[0] == colon, a[1] == colon { afterGap = true; i = 2 }
    while i < a.count {
        var v: UInt16 = 0, n = 0
        while i < a.count, let h = hexValue(a[i]) {
            guard n < 4 else { return nil }
            v = v << 4 | UInt16(h); n += 1; i += 1
        }
        guard n > 0 else { return nil }
        if afterGap { tail.append(v) } else { head.append(v) }
        if i == a.count { break }
        guard a[i] == colon else { return nil }
        i += 1
        if i < a.count, a[i] == colon {
            guard !afterGap else { return nil }
            afterGap = true; i += 1
            if i == a.count { break }
        } else if i == a.count {
            return nil
        }
    }
    let groups: [UInt16]
    if afterGap {
        guard head.count + tail.count <= 7 else { return nil }
        groups = head + [UInt16](repeating: 0, count: 8 - head.count - tail.count) + tail
    } else {
        guard head.count == 8 else { return nil }
        groups = head
    }
    var hi: UInt64 = 0, lo: UInt64 = 0
    for k in 0..<4 { hi = hi << 16 | UInt64(groups[k]) }
    for k in 4..<8 { lo = lo << 16 | UInt64(groups[k]) }
    return Endpoint(.v6(hi, lo), UInt16(port))
}
