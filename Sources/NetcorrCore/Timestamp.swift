/// A point in time as nanoseconds since the Unix epoch (UTC). libpcap stamps packets with it, log prefixes
/// are converted to it, and every event carries one.
public struct Timestamp: Hashable, Comparable, Sendable {
    public var nanoseconds: Int64

    @inlinable public init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }
    @inlinable public init(seconds: Int64, nanoseconds: Int64) {
        self.nanoseconds = seconds &* 1_000_000_000 &+ nanoseconds
    }

    @inlinable public static func < (a: Timestamp, b: Timestamp) -> Bool { a.nanoseconds < b.nanoseconds }
    @inlinable public static func - (a: Timestamp, b: Timestamp) -> Duration { Duration(nanoseconds: a.nanoseconds &- b.nanoseconds) }
    @inlinable public static func + (a: Timestamp, d: Duration) -> Timestamp { Timestamp(nanoseconds: a.nanoseconds &+ d.nanoseconds) }
    @inlinable public static func - (a: Timestamp, d: Duration) -> Timestamp { Timestamp(nanoseconds: a.nanoseconds &- d.nanoseconds) }

    /// Epoch seconds with `digits` fractional digits (6 for microsecond captures, 9 for nanosecond ones),
    /// suitable as a JSON number.
    public func epochString(digits: Int = 9) -> String {
        let neg = nanoseconds < 0
        let mag = neg ? UInt64(bitPattern: 0 &- nanoseconds) : UInt64(nanoseconds)
        let secs = mag / 1_000_000_000
        var frac = mag % 1_000_000_000
        let d = max(0, min(9, digits))
        for _ in 0..<(9 - d) { frac /= 10 }
        var s = neg ? "-" : ""
        s += String(secs)
        if d > 0 {
            let f = String(frac)
            s += "." + String(repeating: "0", count: d - f.count) + f
        }
        return s
    }
}

/// A signed span of time in nanoseconds. (Not Swift.Duration: this one is a plain Int64, cheap to store in
/// per-flow state and to compute medians of.)
public struct Duration: Hashable, Comparable, Sendable {
    public var nanoseconds: Int64
    @inlinable public init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }
    @inlinable public static func seconds(_ s: Double) -> Duration { Duration(nanoseconds: Int64(s * 1e9)) }
    @inlinable public static func milliseconds(_ ms: Int64) -> Duration { Duration(nanoseconds: ms * 1_000_000) }
    @inlinable public static func < (a: Duration, b: Duration) -> Bool { a.nanoseconds < b.nanoseconds }
    @inlinable public static func + (a: Duration, b: Duration) -> Duration { Duration(nanoseconds: a.nanoseconds &+ b.nanoseconds) }
    @inlinable public static func - (a: Duration, b: Duration) -> Duration { Duration(nanoseconds: a.nanoseconds &- b.nanoseconds) }
    public static let zero = Duration(nanoseconds: 0)
    @inlinable public var seconds: Double { Double(nanoseconds) / 1e9 }
    @inlinable public var milliseconds: Double { Double(nanoseconds) / 1e6 }

    /// "12.3 ms", "5.002 s", "850 µs": for people.
    public var humanDescription: String {
        let a = abs(nanoseconds)
        if a >= 1_000_000_000 { return Self.fixed(Double(nanoseconds) / 1e9, 3) + " s" }
        if a >= 1_000_000 { return Self.fixed(Double(nanoseconds) / 1e6, 1) + " ms" }
        return Self.fixed(Double(nanoseconds) / 1e3, 0) + " µs"
    }

    /// Fixed-point formatting without Foundation.
    public static func fixed(_ v: Double, _ digits: Int) -> String {
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let r = (abs(v) * scale).rounded()
        guard r < 9e18 else { return String(v) }
        let n = Int64(r)
        let ip = n / Int64(scale)
        var s = (v < 0 && n != 0 ? "-" : "") + String(ip)
        if digits > 0 {
            let fp = String(n % Int64(scale))
            s += "." + String(repeating: "0", count: digits - fp.count) + fp
        }
        return s
    }
}
