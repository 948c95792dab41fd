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
        // At most one "::"; each side is a list of 1-4 digit hex groups, the last may be dotted IPv4.
        var halves: [String] = [String(t)]
        if let r = t.firstRange(of: "::") {
            halves = [String(t[..<r.lowerBound]), String(t[r.upperBound...])]
            guard !halves[1].contains("::"), !halves[1].hasPrefix(":"), !halves[0].hasSuffix(":") else { return nil }
        }
        func groups(_ part: String, allowV4: Bool) -> [UInt16]? {
            if part.isEmpty { return [] }
            let items = part.split(separator: ":", omittingEmptySubsequences: false)
            var out: [UInt16] = []
            for (i, g) in items.enumerated() {
                if allowV4 && i == items.count - 1 && g.contains(".") {
                    guard let v4 = IPAddress.parseV4(g) else { return nil }
                    out += [UInt16(v4 >> 16), UInt16(v4 & 0xffff)]
                } else {
                    guard !g.isEmpty, g.count <= 4, let v = UInt16(g, radix: 16) else { return nil }
                    out.append(v)
                }
            }
            return out
        }
        let all: [UInt16]
        if halves.count == 2 {
            guard let head = groups(halves[0], allowV4: false), let tail = groups(halves[1], allowV4: true),
                  head.count + tail.count <= 7 else { return nil }
            all = head + [UInt16](repeating: 0, count: 8 - head.count - tail.count) + tail
        } else {
            guard let g = groups(halves[0], allowV4: true), g.count == 8 else { return nil }
            all = g
        }
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
    /// The per-packet connection and frame tables hash a key per lookup: the synthesized hash fed eight fields
    /// (two enum addresses, discriminators included) to `Hasher` one by one. Here each endpoint is packed into
    /// one word (IPv4) or three (IPv6), tagged so that no two keys give the same words: a mixed word that two
    /// keys could share would let a crafted capture pile every connection into one chain.
    @inlinable public func hash(into h: inout Hasher) {
        Self.combine(a, 0, into: &h)
        Self.combine(b, UInt64(transport.rawValue) << 56, into: &h)
    }

    /// An endpoint's words: v4 `address << 24 | port << 8 | 4`; v6 the two halves, then `port << 8 | 6`. `extra`
    /// goes in the top byte of the last word (free in both).
    @inlinable static func combine(_ e: Endpoint, _ extra: UInt64, into h: inout Hasher) {
        switch e.address {
        case .v4(let x):
            h.combine(UInt64(x) << 24 | UInt64(e.port) << 8 | 4 | extra)
        case .v6(let hi, let lo):
            h.combine(hi)
            h.combine(lo)
            h.combine(UInt64(e.port) << 8 | 6 | extra)
        }
    }
}

/// Cheap hashing for the per-packet tables: one mixed word into `Hasher` instead of every field (an enum
/// address hashed field by field, a String hashed with SipHash after a normalization check).
public enum FastHash {
    /// An address as one word (v6: both halves mixed, with a tag bit so that v4 and v6 differ).
    @inlinable public static func address(_ a: IPAddress) -> UInt64 {
        switch a {
        case .v4(let x): return UInt64(x)
        case .v6(let hi, let lo): return hi &* 0x9e37_79b9_7f4a_7c15 ^ lo ^ 1 << 63
        }
    }
    /// FNV-1a over a string's UTF-8 bytes.
    @inlinable public static func bytes(_ s: String) -> UInt64 { bytes(s.utf8) }
    /// FNV-1a over bytes.
    @inlinable public static func bytes<S: Sequence>(_ b: S) -> UInt64 where S.Element == UInt8 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for c in b { h = (h ^ UInt64(c)) &* 0x100_0000_01b3 }
        return h
    }
    @inlinable public static func endpoint(_ e: Endpoint) -> UInt64 { address(e.address) &* 31 ^ UInt64(e.port) << 40 }
}

/// `s.lowercased()`, without a new string when there is nothing to lower (the usual case for DNS names): how the
/// tracker, the DNS summary and the correlator compare names.
@inlinable public func asciiLowercased(_ s: String) -> String {
    for c in s.utf8 where c >= 0x80 || (c >= 0x41 && c <= 0x5a) { return s.lowercased() }
    return s
}
