import NetcorrCore

/// JSON lines (slog, zap, logrus): the time field ("time", "ts", "timestamp", "@timestamp": RFC 3339 string or
/// epoch number in seconds, or milliseconds when larger than 1e11) and the message field ("msg", "message"),
/// with an "error"/"err" string field appended as "MSG: ERR". Only the top-level object is looked at.
extension GoLogLineParser {
    static let timeKeys: [[UInt8]] = ["time", "ts", "timestamp", "@timestamp"].map { Array($0.utf8) }
    static let msgKeys: [[UInt8]] = ["msg", "message"].map { Array($0.utf8) }
    static let errKeys: [[UInt8]] = ["error", "err"].map { Array($0.utf8) }

    func parseJSON(_ p: Bytes) -> (Timestamp?, [UInt8]?)? {
        guard p.count >= 2, p[0] == 0x7b else { return nil }
        var i = 1
        var ts: Timestamp?
        var msg: [UInt8]?, err: [UInt8]?
        func ws() { while i < p.count, p[i] == sp || p[i] == 9 || p[i] == 13 || p[i] == 10 { i += 1 } }
        while i < p.count {
            ws()
            guard i < p.count else { break }
            if p[i] == 0x7d { break }
            if p[i] == comma { i += 1; continue }
            guard p[i] == quote, let (key, afterKey) = jsonString(p, i) else { return nil }
            i = afterKey
            ws()
            guard i < p.count, p[i] == colon else { return nil }
            i += 1
            ws()
            guard i < p.count else { break }
            if p[i] == quote {
                guard let (val, after) = jsonString(p, i) else { return nil }
                i = after
                if ts == nil, Self.timeKeys.contains(key) {
                    ts = val.withUnsafeBufferPointer { vb in parseRFC3339(vb, 0)?.0 }
                } else if msg == nil, Self.msgKeys.contains(key) {
                    msg = val
                } else if err == nil, Self.errKeys.contains(key) {
                    err = val
                }
            } else if p[i] == 0x7b || p[i] == 0x5b {
                guard let after = skipNested(p, i) else { return nil }
                i = after
            } else {
                let start = i
                while i < p.count, p[i] != comma, p[i] != 0x7d, p[i] != sp { i += 1 }
                if ts == nil, Self.timeKeys.contains(key), let v = Double(p.sub(start, i).string), v.isFinite {
                    let secs = v > 1e11 ? v / 1000 : v
                    let whole = secs.rounded(.down)
                    ts = Timestamp(seconds: Int64(whole), nanoseconds: Int64(((secs - whole) * 1e9).rounded()))
                }
            }
        }
        if var m = msg, let e = err {
            m.append(colon); m.append(sp); m.append(contentsOf: e)
            msg = m
        } else if msg == nil, let e = err {
            msg = e
        }
        return (ts, msg)
    }

    /// A JSON string at `i` (the opening quote), unescaped.
    private func jsonString(_ p: Bytes, _ start: Int) -> ([UInt8], Int)? {
        var out: [UInt8] = []
        var i = start + 1
        while i < p.count {
            let c = p[i]
            if c == quote { return (out, i + 1) }
            if c != 0x5c { out.append(c); i += 1; continue }
            guard i + 1 < p.count else { return nil }
            switch p[i + 1] {
            case 0x6e: out.append(10); i += 2
            case 0x74: out.append(9); i += 2
            case 0x72: out.append(13); i += 2
            case 0x62: out.append(8); i += 2
            case 0x66: out.append(12); i += 2
            case 0x75:
                guard i + 5 < p.count else { return nil }
                var v: UInt32 = 0
                for k in 2...5 {
                    guard let d = hexValue(p[i + k]) else { return nil }
                    v = v << 4 | UInt32(d)
                }
                i += 6
                // Surrogate pair.
                if v >= 0xd800 && v < 0xdc00, i + 5 < p.count, p[i] == 0x5c, p[i + 1] == 0x75 {
                    var lo: UInt32 = 0
                    var ok = true
                    for k in 2...5 { if let d = hexValue(p[i + k]) { lo = lo << 4 | UInt32(d) } else { ok = false } }
                    if ok && lo >= 0xdc00 && lo < 0xe000 { v = 0x10000 + ((v - 0xd800) << 10) + (lo - 0xdc00); i += 6 }
                }
                let s = Unicode.Scalar(v) ?? "\u{fffd}"
                out.append(contentsOf: Array(String(Character(s)).utf8))
            default: out.append(p[i + 1]); i += 2
            }
        }
        return nil
    }

    private func skipNested(_ p: Bytes, _ start: Int) -> Int? {
        var depth = 0, i = start
        var inString = false
        while i < p.count {
            let c = p[i]
            if inString {
                if c == 0x5c { i += 2; continue }
                if c == quote { inString = false }
            } else if c == quote {
                inString = true
            } else if c == 0x7b || c == 0x5b {
                depth += 1
            } else if c == 0x7d || c == 0x5d {
                depth -= 1
                if depth == 0 { return i + 1 }
            }
            i += 1
        }
        return nil
    }
}
