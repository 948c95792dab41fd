import NetcorrCore

/// Builds one JSON object at a time into a reusable byte buffer (no Foundation, no per-field Strings where a
/// number will do). Keys are written in the order given.
public struct JSONWriter {
    public private(set) var buffer: [UInt8] = []
    var needsComma = false

    public init() { buffer.reserveCapacity(1 << 16) }

    public mutating func beginObject() { comma(); buffer.append(UInt8(ascii: "{")); needsComma = false }
    public mutating func endObject() { buffer.append(UInt8(ascii: "}")); needsComma = true }
    public mutating func beginArray(_ key: String) { self.key(key); buffer.append(UInt8(ascii: "[")); needsComma = false }
    public mutating func beginArray() { comma(); buffer.append(UInt8(ascii: "[")); needsComma = false }
    public mutating func endArray() { buffer.append(UInt8(ascii: "]")); needsComma = true }
    public mutating func beginObject(_ key: String) { self.key(key); buffer.append(UInt8(ascii: "{")); needsComma = false }
    public mutating func newline() { buffer.append(UInt8(ascii: "\n")); needsComma = false }

    mutating func comma() { if needsComma { buffer.append(UInt8(ascii: ",")) } }

    public mutating func key(_ k: String) {
        comma()
        string(k)
        buffer.append(UInt8(ascii: ":"))
        needsComma = false
    }

    public mutating func field(_ k: String, _ v: Int) { key(k); int(v) }
    public mutating func field(_ k: String, _ v: Int?) { key(k); if let v { int(v) } else { raw("null") } }
    public mutating func field(_ k: String, _ v: Bool) { key(k); raw(v ? "true" : "false") }
    public mutating func field(_ k: String, _ v: String) { key(k); value(v) }
    public mutating func field(_ k: String, _ v: String?) { key(k); if let v { value(v) } else { raw("null") } }
    public mutating func field(_ k: String, _ v: Double) { key(k); raw(v.isFinite ? String(v) : "null") }
    /// A number written exactly as given (epoch seconds with the capture's precision).
    public mutating func field(_ k: String, number: String) { key(k); raw(number) }
    public mutating func field(_ k: String, _ v: [String]) {
        beginArray(k)
        for s in v { value(s) }
        endArray()
    }
    public mutating func field(_ k: String, _ v: [Int]) {
        beginArray(k)
        for s in v { comma(); int(s) }
        endArray()
    }

    public mutating func value(_ s: String) { comma(); string(s); needsComma = true }

    mutating func raw(_ s: String) { buffer.append(contentsOf: s.utf8); needsComma = true }

    /// Decimal digits straight into the buffer (what `String(v)` would give, without the string).
    mutating func int(_ v: Int) {
        if v < 0 { buffer.append(UInt8(ascii: "-")) }
        var m = v.magnitude
        if m < 10 {
            buffer.append(0x30 + UInt8(m))
        } else {
            var tmp: (UInt64, UInt64, UInt64) = (0, 0, 0)   // 24 bytes: enough for 20 digits
            var n = 0
            withUnsafeMutableBytes(of: &tmp) { t in
                while m > 0 { t[23 - n] = 0x30 + UInt8(m % 10); m /= 10; n += 1 }
                buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: t[(24 - n)...]))
            }
        }
        needsComma = true
    }

    mutating func string(_ s: String) {
        buffer.append(UInt8(ascii: "\""))
        // Fast path: nothing to escape, append the bytes at once.
        let plain: Bool? = s.utf8.withContiguousStorageIfAvailable { u in
            for c in u where c < 0x20 || c == UInt8(ascii: "\"") || c == UInt8(ascii: "\\") { return false }
            buffer.append(contentsOf: u)
            return true
        }
        if plain == true {
            buffer.append(UInt8(ascii: "\""))
            return
        }
        for c in s.utf8 {
            switch c {
            case UInt8(ascii: "\""): buffer.append(contentsOf: [0x5c, 0x22])
            case UInt8(ascii: "\\"): buffer.append(contentsOf: [0x5c, 0x5c])
            case 0x0a: buffer.append(contentsOf: [0x5c, UInt8(ascii: "n")])
            case 0x0d: buffer.append(contentsOf: [0x5c, UInt8(ascii: "r")])
            case 0x09: buffer.append(contentsOf: [0x5c, UInt8(ascii: "t")])
            case 0..<0x20:
                let hex: [UInt8] = Array("0123456789abcdef".utf8)
                buffer.append(contentsOf: [0x5c, UInt8(ascii: "u"), 0x30, 0x30, hex[Int(c >> 4)], hex[Int(c & 0xf)]])
            default: buffer.append(c)
            }
        }
        buffer.append(UInt8(ascii: "\""))
    }

    /// Hands the bytes written so far to `out` and empties the buffer (keeping its capacity).
    public mutating func flush(_ out: (UnsafeRawBufferPointer) -> Void) {
        buffer.withUnsafeBytes { out($0) }
        buffer.removeAll(keepingCapacity: true)
    }
}
