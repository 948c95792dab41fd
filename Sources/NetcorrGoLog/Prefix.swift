import NetcorrCore

/// What the timestamp prefixes of one line said, and where its message starts.
public struct GoLogPrefix: Hashable, Sendable {
    public var ts: Timestamp?
    public var source: LogTimestampSource
    /// "stdout"/"stderr" from a CRI prefix.
    public var stream: String? { stdout.map { $0 ? "stdout" : "stderr" } }
    /// Which stream a CRI prefix named, if any. (Not a String: one made every prefix's copy and destruction
    /// retain and release it.)
    var stdout: Bool?
    /// CRI "P": a fragment to be joined to the following line(s) up to an "F".
    public var partial: Bool
    /// Whether the outermost prefix was CRI.
    public var cri: Bool
    /// Byte offset of the message in the line.
    public var messageStart: Int
    /// For JSON lines: the message field's unescaped bytes (nil: the message is the line from messageStart).
    public var jsonMessage: [UInt8]?
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
@inline(__always) func daysFromCivil(_ y0: Int, _ m: Int, _ d: Int) -> Int {
    let y = m <= 2 ? y0 - 1 : y0
    let era = (y >= 0 ? y : y - 399) / 400
    let yoe = y - era * 400
    let mp = (m + 9) % 12
    let doy = (153 * mp + 2) / 5 + d - 1
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
    return era * 146097 + doe - 719468
}

@inline(__always) func digits(_ p: Bytes, _ i: Int, _ n: Int) -> Int? {
    guard i >= 0, i + n <= p.count else { return nil }
    var v = 0
    for k in i..<(i + n) {
        let c = p[k] &- 0x30
        guard c <= 9 else { return nil }
        v = v * 10 + Int(c)
    }
    return v
}

/// Civil date-time, no zone applied. `sepDate` is '-' or '/', `sepTime` is 'T' or ' '.
struct Civil {
    var seconds: Int64     // since epoch, as if UTC
    var nanos: Int64
    var end: Int
}

/// Two decimal digits at `i` (in bounds), or -1.
@inline(__always) private func two(_ p: Bytes, _ i: Int) -> Int {
    let a = p[i] &- 0x30, b = p[i + 1] &- 0x30
    return a <= 9 && b <= 9 ? Int(a) * 10 + Int(b) : -1
}

/// "YYYY?MM?DD?HH:MM:SS[.frac]" at `i`.
@inline(__always) func parseCivil(_ p: Bytes, _ i: Int, dateSep: UInt8, timeSeps: (UInt8, UInt8)) -> Civil? {
    guard i >= 0, p.count - i >= 19, p[i + 4] == dateSep, p[i + 7] == dateSep,
          p[i + 10] == timeSeps.0 || p[i + 10] == timeSeps.1, p[i + 13] == colon, p[i + 16] == colon else { return nil }
    let y0 = two(p, i), y1 = two(p, i + 2), mo = two(p, i + 5), d = two(p, i + 8)
    let h = two(p, i + 11), mi = two(p, i + 14), s = two(p, i + 17)
    guard y0 >= 0, y1 >= 0, mo >= 1, mo <= 12, d >= 1, d <= 31, h >= 0, h < 24, mi >= 0, mi < 60, s >= 0, s < 61
    else { return nil }
    let y = y0 * 100 + y1
    guard let (nanos, k) = civilFraction(p, i + 19) else { return nil }
    let days = daysFromCivil(y, mo, d)
    return Civil(seconds: Int64(days) &* 86400 &+ Int64(h &* 3600 &+ mi &* 60 &+ s), nanos: nanos, end: k)
}

/// The optional ".frac" or ",frac" at `k`: nanoseconds and the index after it. Nil for a separator without digits.
@inline(__always) func civilFraction(_ p: Bytes, _ k0: Int) -> (Int64, Int)? {
    var k = k0
    var nanos: Int64 = 0
    // One to seven digits followed by a non-digit, all in the eight bytes after the separator: read at once.
    if k + 9 <= p.count, p[k] == 0x2e || p[k] == comma, let base = p.baseAddress {
        let w = UnsafeRawPointer(base + k + 1).loadUnaligned(as: UInt64.self)
        let digits = eightDigits(w)
        if digits.count > 0 && digits.count < 8 {
            return (Int64(digits.value) &* pow10[9 - digits.count], k + 1 + digits.count)
        }
    }
    if k < p.count && (p[k] == 0x2e || p[k] == comma) {
        var n = 0
        k &+= 1
        while k < p.count, case let c = p[k] &- 0x30, c <= 9 {
            if n < 9 { nanos = nanos &* 10 &+ Int64(c) }
            n &+= 1; k &+= 1
        }
        if n == 0 { return nil }
        while n < 9 { nanos &*= 10; n &+= 1 }
    }
    return (nanos, k)
}

/// 10^0 … 10^9.
private let pow10: [Int64] = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000, 1_000_000_000]

/// The decimal digits at the start of the eight bytes of `w` (in memory order): how many, and their value.
@inline(__always) func eightDigits(_ w: UInt64) -> (count: Int, value: UInt64) {
    let lo: UInt64 = 0x0f0f_0f0f_0f0f_0f0f, threes: UInt64 = 0x3030_3030_3030_3030
    // A digit byte is 0x30…0x39: high nibble 3, and still 3 after adding 6. Zero bytes in `t` are digits; a
    // carry out of a non-digit byte can only disturb the bytes after the first non-digit.
    let t = ((w & ~lo) ^ threes) | (((w &+ 0x0606_0606_0606_0606) & ~lo) ^ threes)
    let n = t == 0 ? 8 : t.trailingZeroBitCount >> 3
    guard n > 0 else { return (0, 0) }
    // The n digits' values, moved to the top bytes (the bytes before them read as leading zeros), then
    // combined pairwise (Lemire's eight-digit parse).
    var v = (w & lo) << UInt64(8 * (8 - n))
    v = (v &* 10) &+ (v >> 8)
    v = (((v & 0x0000_00ff_0000_00ff) &* (100 &+ (1_000_000 << 32)))
         &+ (((v >> 16) & 0x0000_00ff_0000_00ff) &* (1 &+ (10_000 << 32)))) >> 32
    return (n, v)
}

/// `parseCivil` for one kind of stamp (fixed separators) on successive lines, which mostly repeat the last
/// line's date and second: when the 19 bytes "YYYY?MM?DD?HH:MM:SS" are the same as those last parsed, their
/// value is reused and only the fraction is read.
struct CivilCache: Sendable {
    private var k0: UInt64 = 0, k1: UInt64 = 0, k2: UInt32 = 0, seconds: Int64 = 0, valid = false

    @inline(__always) mutating func parse(_ p: Bytes, _ i: Int, dateSep: UInt8, timeSeps: (UInt8, UInt8)) -> Civil? {
        guard i >= 0, p.count - i >= 19, let base = p.baseAddress else { return nil }
        let raw = UnsafeRawPointer(base + i)
        let a = raw.loadUnaligned(as: UInt64.self), b = raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
        let c = raw.loadUnaligned(fromByteOffset: 15, as: UInt32.self)
        if valid && a == k0 && b == k1 && c == k2 {
            guard let (nanos, end) = civilFraction(p, i + 19) else { return nil }
            return Civil(seconds: seconds, nanos: nanos, end: end)
        }
        guard let civil = parseCivil(p, i, dateSep: dateSep, timeSeps: timeSeps) else { return nil }
        k0 = a; k1 = b; k2 = c; seconds = civil.seconds; valid = true
        return civil
    }
}

/// A zone suffix at `i`: "Z", "+HH:MM", "+HHMM", "+HH". Offset seconds east and end index.
@inline(__always) func parseZone(_ p: Bytes, _ i: Int) -> (Int, Int)? {
    guard i < p.count else { return nil }
    if p[i] == 0x5a || p[i] == 0x7a { return (0, i + 1) }
    guard p[i] == 0x2b || p[i] == 0x2d, let hh = digits(p, i + 1, 2) else { return nil }
    let sign = p[i] == 0x2d ? -1 : 1
    if i + 3 < p.count && p[i + 3] == colon, let mm = digits(p, i + 4, 2) { return (sign * (hh * 3600 + mm * 60), i + 6) }
    if let mm = digits(p, i + 3, 2) { return (sign * (hh * 3600 + mm * 60), i + 5) }
    return (sign * hh * 3600, i + 3)
}

/// RFC 3339 at `i` (T or space between date and time; zone required). Timestamp and end index.
func parseRFC3339(_ p: Bytes, _ i: Int) -> (Timestamp, Int)? {
    guard let c = parseCivil(p, i, dateSep: 0x2d, timeSeps: (0x54, 0x74)),
          let (off, end) = parseZone(p, c.end) else { return nil }
    return (Timestamp(seconds: c.seconds - Int64(off), nanoseconds: c.nanos), end)
}

extension GoLogLineParser {
    static let stdoutLit: StaticString = "stdout ", stderrLit: StaticString = "stderr "

    /// Strips every timestamp prefix of a line (CRI, journald, RFC 3339, Go's log package, JSON) and returns
    /// the outermost time.
    public mutating func splitPrefix(_ p: UnsafeBufferPointer<UInt8>) -> GoLogPrefix {
        // Locals, put together at the end (a GoLogPrefix var mutated in the loop was copied on return).
        var ts0: Timestamp? = nil, source = LogTimestampSource.none, stdout: Bool? = nil
        var partial = false, cri = false
        var i = 0
        var rounds = 0
        while rounds < 4 && i < p.count {
            rounds += 1
            let c0 = p[i]
            if c0 == 0x7b {                                  // '{': JSON line
                if let (ts, msg) = parseJSON(p.from(i)) {
                    if ts0 == nil, let ts { ts0 = ts; source = .prefix }
                    return GoLogPrefix(ts: ts0, source: source, stdout: stdout, partial: partial, cri: cri,
                                       messageStart: 0, jsonMessage: msg)
                }
                return GoLogPrefix(ts: ts0, source: source, stdout: stdout, partial: partial, cri: cri, messageStart: 0)
            }
            guard c0 &- 0x30 <= 9, i + 4 < p.count else { break }
            // The date's separator tells the stamps apart ('-': RFC 3339, '/': Go's log package).
            let dateSep = p[i + 4]
            // RFC 3339 family: CRI, journald, kubectl/docker.
            if dateSep == 0x2d, let (ts, end) = parseRFC3339(p, i), end < p.count, p[end] == sp {
                var j = end + 1
                if rounds == 1, p.hasPrefix(Self.stdoutLit, at: j) || p.hasPrefix(Self.stderrLit, at: j),
                   j + 8 < p.count, p[j + 7] == 0x46 || p[j + 7] == 0x50, p[j + 8] == sp {
                    cri = true
                    stdout = p[j + 3] == 0x6f
                    partial = p[j + 7] == 0x50
                    j += 9
                } else if end >= 5, p[end - 5] == 0x2b || p[end - 5] == 0x2d, digits(p, end - 4, 4) != nil,
                          let afterIdent = journaldIdent(p, j) {
                    j = afterIdent
                }
                if ts0 == nil { ts0 = ts; source = (cri && runStamped) ? .run : .prefix }
                i = j
                continue
            }
            // Go's log package: "2006/01/02 15:04:05[.000000] ", in the program's zone.
            if dateSep == 0x2f, let c = goLogStamp.parse(p, i, dateSep: 0x2f, timeSeps: (sp, sp)), c.end < p.count,
               p[c.end] == sp {
                if ts0 == nil {
                    let off = zone.offset(forLocalSeconds: c.seconds)
                    ts0 = Timestamp(seconds: c.seconds - Int64(off), nanoseconds: c.nanos)
                    source = .prefix
                }
                i = c.end + 1
                i = skipShortFile(p, i)
                continue
            }
            // Go log with only a time ("15:04:05.000000 ", Ltime without Ldate): no date, keep the line.
            break
        }
        return GoLogPrefix(ts: ts0, source: source, stdout: stdout, partial: partial, cri: cri, messageStart: i)
    }

    /// journald short-iso-precise: "HOST IDENT[PID]: " after the time. Index after it, or nil.
    private func journaldIdent(_ p: Bytes, _ j: Int) -> Int? {
        let hostEnd = p.tokenEnd(from: j)
        guard hostEnd > j, hostEnd < p.count else { return nil }
        let identEnd = p.tokenEnd(from: hostEnd + 1)
        guard identEnd > hostEnd + 1, identEnd - (hostEnd + 1) <= 128, p[identEnd - 1] == colon,
              identEnd < p.count else { return nil }
        return identEnd + 1
    }

    /// Go log's Lshortfile / Llongfile "file.go:123: ".
    private func skipShortFile(_ p: Bytes, _ i: Int) -> Int {
        let end = p.tokenEnd(from: i)
        guard end > i + 5, end < p.count, p[end - 1] == colon else { return i }
        // It ends in ".go:" and digits before that colon: a necessary condition, tested backwards first, so
        // that other first words ("http2:") are turned away without the scan below.
        var d = end - 2
        while d > i, p[d] &- 0x30 <= 9 { d -= 1 }
        guard d < end - 2, d - 3 >= i, p[d] == colon, p[d - 1] == 0x6f, p[d - 2] == 0x67, p[d - 3] == 0x2e
        else { return i }
        let tok = p.sub(i, end - 1)
        // The first ".go:" in the token (a plain scan: the token is short).
        var c = 0
        while c + 4 <= tok.count, !(tok[c] == 0x2e && tok[c + 1] == 0x67 && tok[c + 2] == 0x6f && tok[c + 3] == colon) {
            c += 1
        }
        guard c + 4 <= tok.count, tok.decimal(at: c + 4)?.1 == tok.count else { return i }
        return end + 1
    }
}
