/// An IPv4 or IPv6 address held as integers (no String until someone asks for one).
public enum IPAddress: Hashable, Comparable, Sendable, CustomStringConvertible {
    case v4(UInt32)
    case v6(UInt64, UInt64)

    public var isV6: Bool { if case .v6 = self { return true } else { return false } }

    /// RFC 5952 text for IPv6 (lower case, longest run of two or more zero groups as "::", first on a tie;
    /// IPv4-mapped addresses as ::ffff:a.b.c.d), dotted quad for IPv4.
    public var description: String {
        switch self {
        case .v4(let a):
            return "\(a >> 24).\((a >> 16) & 0xff).\((a >> 8) & 0xff).\(a & 0xff)"
        case .v6(let hi, let lo):
            var g = [UInt16](repeating: 0, count: 8)
            for i in 0..<4 {
                g[i] = UInt16(truncatingIfNeeded: hi >> (48 - 16 * UInt64(i)))
                g[i + 4] = UInt16(truncatingIfNeeded: lo >> (48 - 16 * UInt64(i)))
            }
            if hi == 0 && (lo >> 32) == 0xffff {
                return "::ffff:" + IPAddress.v4(UInt32(truncatingIfNeeded: lo)).description
            }
            var bestStart = -1, bestLen = 0, i = 0
            while i < 8 {
                if g[i] == 0 {
                    var j = i
                    while j < 8 && g[j] == 0 { j += 1 }
                    if j - i > bestLen && j - i >= 2 { bestStart = i; bestLen = j - i }
                    i = j
                } else { i += 1 }
            }
            var s = ""
            i = 0
            while i < 8 {
                if i == bestStart {
                    s += "::"
                    i += bestLen
                    continue
                }
                if !s.isEmpty && !s.hasSuffix(":") { s += ":" }
                s += String(g[i], radix: 16)
                i += 1
            }
            return s
        }
    }

    /// Parses dotted-quad IPv4 or RFC 4291 IPv6 text (with "::", an embedded IPv4 tail, an optional
    /// "%zone" which is dropped, optional brackets). Nil when the text is not an address.
    public init?(_ text: Substring) {
        var t = text
        if t.hasPrefix("[") && t.hasSuffix("]") { t = t.dropFirst().dropLast() }
        if let pct = t.firstIndex(of: "%") { t = t[..<pct] }
        if !t.contains(":") {
            guard let v = IPAddress.parseV4(t) else { return nil }
            self = .v4(v)
            return
        }
        var head: [UInt16] = [], tail: [UInt16] = []
        var sawGap = false
        let parts = t.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count >= 3 || t == "::" else { return nil }
        var idx = 0
        var groups = 0
        while idx < parts.count {
            let p = parts[idx]
            if p.isEmpty {
                // "::" shows as empty parts; leading/trailing "::" yields two empties.
                if !sawGap {
                    sawGap = true
                    while idx + 1 < parts.count && parts[idx + 1].isEmpty { idx += 1 }
                    idx += 1
                    continue
                }
                if idx == parts.count - 1 { idx += 1; continue }
                return nil
            }
            if idx == parts.count - 1 && p.contains(".") {
                guard let v4 = IPAddress.parseV4(p) else { return nil }
                let a = UInt16(v4 >> 16), b = UInt16(v4 & 0xffff)
                if sawGap { tail += [a, b] } else { head += [a, b] }
                groups += 2
                idx += 1
                continue
            }
            guard p.count <= 4, let v = UInt16(p, radix: 16) else { return nil }
            if sawGap { tail.append(v) } else { head.append(v) }
            groups += 1
            idx += 1
        }
        guard groups <= 8, sawGap || groups == 8 else { return nil }
        let all = head + [UInt16](repeating: 0, count: 8 - groups) + tail
        var hi: UInt64 = 0, lo: UInt64 = 0
        for i in 0..<4 { hi = hi << 16 | UInt64(all[i]) }
        for i in 4..<8 { lo = lo << 16 | UInt64(all[i]) }
        self = .v6(hi, lo)
    }

    public init?(_ text: String) { self.init(Substring(text)) }

    private static func parseV4(_ t: Substring) -> UInt32? {
        let parts = t.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var v: UInt32 = 0
        for p in parts {
            guard !p.isEmpty, p.count <= 3, let b = UInt8(p) else { return nil }
            v = v << 8 | UInt32(b)
        }
        return v
    }
}

/// An address and a port.
public struct Endpoint: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var address: IPAddress
    public var port: UInt16
    @inlinable public init(_ address: IPAddress, _ port: UInt16) { self.address = address; self.port = port }
    public static func < (a: Endpoint, b: Endpoint) -> Bool { (a.address, a.port) < (b.address, b.port) }
    /// "10.0.0.10:53", "[fd00::1]:53" as Go prints them.
    public var description: String {
        address.isV6 ? "[\(address)]:\(port)" : "\(address):\(port)"
    }

    /// Parses "IP:PORT" or "[IPv6]:PORT".
    public init?(_ text: Substring) {
        guard let colon = text.lastIndex(of: ":"), let port = UInt16(text[text.index(after: colon)...]),
              let a = IPAddress(text[..<colon]) else { return nil }
        self.init(a, port)
    }
}

public enum Transport: UInt8, Hashable, Sendable, CustomStringConvertible {
    case udp = 17, tcp = 6
    public var description: String { self == .udp ? "udp" : "tcp" }
}

/// A conversation key that is the same in both directions: the lower endpoint first.
public struct FlowKey: Hashable, Sendable {
    public var a: Endpoint
    public var b: Endpoint
    public var transport: Transport
    @inlinable public init(_ x: Endpoint, _ y: Endpoint, _ transport: Transport) {
        if x < y { a = x; b = y } else { a = y; b = x }
        self.transport = transport
    }
}
