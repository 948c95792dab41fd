/// An IPv4 or IPv6 address held as integers (no String until someone asks for one).
public enum IPAddress: Hashable, Comparable, Sendable, CustomStringConvertible {
    case v4(UInt32)
    case v6(UInt64, UInt64)

    public var isV6: Bool { if case .v6 = self { return true } else { return false } }

    /// Dictionaries and sets of addresses hash their words through `FastHash.step`, not a Hasher's rounds.
    public func _rawHashValue(seed: Int) -> Int { FastHash.value(words(FastHash.start(seed))) }
    /// The chain `h` continued with the address's words: v4 `address << 8 | 4`; v6 both halves, then 6.
    @inlinable public func words(_ h: UInt64, extra: UInt64 = 0) -> UInt64 {
        switch self {
        case .v4(let x): return FastHash.step(h, UInt64(x) << 8 | 4 | extra)
        case .v6(let hi, let lo): return FastHash.step(FastHash.step(FastHash.step(h, hi), lo), 6 | extra)
        }
    }

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
    public func _rawHashValue(seed: Int) -> Int { FastHash.value(words(FastHash.start(seed))) }
    /// The chain `h` continued with the endpoint's words (FlowKey's layout: the port beside a v4 address, after
    /// a v6 one; `extra` in the top byte of the last word).
    @inlinable public func words(_ h: UInt64, extra: UInt64 = 0) -> UInt64 {
        switch address {
        case .v4(let x): return FastHash.step(h, UInt64(x) << 24 | UInt64(port) << 8 | 4 | extra)
        case .v6(let hi, let lo): return FastHash.step(FastHash.step(FastHash.step(h, hi), lo), UInt64(port) << 8 | 6 | extra)
        }
    }
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
    /// The per-packet connection and frame tables hash a key per lookup: the endpoints' words (`Endpoint.words`,
    /// tagged so that no two keys give the same words) through `FastHash.step`, seeded by the table, instead of a
    /// `Hasher` fed eight fields one by one.
    public func _rawHashValue(seed: Int) -> Int {
        FastHash.value(b.words(a.words(FastHash.start(seed)), extra: UInt64(transport.rawValue) << 56))
    }
}

/// Cheap hashing for the per-packet tables: a keyed chain over a key's identifying words (`step`) instead of
/// `Hasher`'s rounds over every field, and DNS names hashed once, where they are decoded (`name`).
public enum FastHash {
    /// A hash of a DNS name's UTF-8 bytes with ASCII upper case folded (RFC 4343: names compare without case),
    /// so a name and its `asciiLowercased` form hash alike. The parser computes it once per question and the
    /// tracker, the summary and the evidence take it from the message and the transaction.
    @inlinable public static func name(_ s: String) -> UInt64 {
        var copy = s
        let ascii: UInt64? = copy.withUTF8 { b in
            for c in b where c >= 0x80 { return nil }
            return name(b)
        }
        return ascii ?? name(bytes: Array(s.lowercased().utf8))
    }
    @inlinable public static func name(bytes: [UInt8]) -> UInt64 { bytes.withUnsafeBufferPointer { name($0) } }
    /// As `name(_:)` over ASCII bytes (the parser's presentation form is ASCII: other bytes are \DDD escapes).
    /// Eight bytes at a time, A–Z folded to a–z in the word.
    @inlinable public static func name(_ b: UnsafeBufferPointer<UInt8>) -> UInt64 {
        guard let base = b.baseAddress else { return nameKey ^ UInt64(truncatingIfNeeded: b.count) }
        return name(UnsafeRawPointer(base), count: b.count, padded: false)
    }
    /// As `name(_:)` over the `count` bytes at `p`, where the memory after them may be read up to the next multiple
    /// of eight bytes: the last word is loaded whole and its extra bytes masked off instead of being assembled byte by
    /// byte (the same value). The DNS parser hashes its scratch buffer, which has the room, this way.
    @inlinable public static func name(padded p: UnsafeRawPointer, count: Int) -> UInt64 { name(p, count: count, padded: true) }
    /// As `name(padded:count:)` without folding case: the same keyed chain over bytes as they are (the DNS name
    /// cache's key for a name's wire labels).
    @inlinable public static func bytes(padded p: UnsafeRawPointer, count: Int) -> UInt64 {
        name(p, count: count, padded: true, fold: false)
    }
    @inlinable @inline(__always) static func name(_ raw: UnsafeRawPointer, count: Int, padded: Bool, fold: Bool = true) -> UInt64 {
        var h: UInt64 = nameKey ^ UInt64(truncatingIfNeeded: count)
        var i = 0
        while i + 8 <= count {
            let w = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            h = step(h, fold ? foldCase(w) : w)
            i += 8
        }
        if i < count {
            var w: UInt64 = 0
            if padded {
                // The tail's bytes in the word's low bytes, as the loop below puts them.
                w = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) & UInt64.max &>> UInt64(64 - 8 * (count - i))
            } else {
                var k = 0
                while i + k < count { w |= UInt64(raw.load(fromByteOffset: i + k, as: UInt8.self)) << UInt64(8 * k); k += 1 }
            }
            h = step(h, fold ? foldCase(w) : w)
        }
        return h
    }
    /// Where every name hash starts: random per process, so that names crafted to share a hash (and one probe
    /// chain in the tables keyed by it) cannot be written in advance.
    @usableFromInline static let nameKey = UInt64.random(in: .min ... .max)
    /// Bytes 0x41…0x5a of a word get bit 5 set (lower case); the others are left alone.
    @inlinable static func foldCase(_ w: UInt64) -> UInt64 {
        let low = w & 0x7f7f_7f7f_7f7f_7f7f
        let upper = (low &+ 0x3f3f_3f3f_3f3f_3f3f) & ~(low &+ 0x2525_2525_2525_2525) & ~w & 0x8080_8080_8080_8080
        return w | upper >> 2
    }
    /// The keyed chain the per-packet tables hash their keys with, through `_rawHashValue(seed:)` instead of a
    /// `Hasher` (SipHash rounds per lookup were a tenth of a DNS replay's instructions). Each word is XORed into
    /// the state and the state goes through murmur3's 64-bit finalizer, a bijection: two keys' chains meet only
    /// through values that depend on the seed, which a capture's author cannot know (it is random per process,
    /// as `Hasher`'s is), so no crafted input piles its keys into one probe chain. Keys feed words that identify
    /// them (tags where lengths differ): never a pre-mixed word two keys could share.
    @inlinable public static func start(_ seed: Int) -> UInt64 { UInt64(bitPattern: Int64(seed)) ^ 0x9e37_79b9_7f4a_7c15 }
    @inlinable public static func step(_ h: UInt64, _ w: UInt64) -> UInt64 {
        var x = h ^ w
        x ^= x >> 33
        x &*= 0xff51_afd7_ed55_8ccd
        x ^= x >> 33
        x &*= 0xc4ce_b9fe_1a85_ec53
        x ^= x >> 33
        return x
    }
    @inlinable public static func value(_ h: UInt64) -> Int { Int(truncatingIfNeeded: h) }
}

/// Byte equality of two buffers, eight bytes at a time (the generic `elementsEqual` costs a dozen instructions a
/// byte); the last word overlaps the one before rather than finishing byte by byte. The name cache and the Go log
/// parser's prefix matching both compare through it.
@inlinable @inline(__always) public func bytesEqual(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
    let n = a.count
    guard n == b.count else { return false }
    guard n > 0, let pa = a.baseAddress, let pb = b.baseAddress else { return true }
    let x = UnsafeRawPointer(pa), y = UnsafeRawPointer(pb)
    @inline(__always) func same<T: FixedWidthInteger>(_ at: Int, _: T.Type) -> Bool {
        x.loadUnaligned(fromByteOffset: at, as: T.self) == y.loadUnaligned(fromByteOffset: at, as: T.self)
    }
    if n >= 8 {
        var k = 0
        while k + 8 < n {
            if !same(k, UInt64.self) { return false }
            k += 8
        }
        return same(n - 8, UInt64.self)
    }
    if n >= 4 { return same(0, UInt32.self) && same(n - 4, UInt32.self) }
    if n >= 2 { return same(0, UInt16.self) && same(n - 2, UInt16.self) }
    return pa.pointee == pb.pointee
}

/// A precomputed hash (or a slot number) as a dictionary key: hashed by `FastHash.step`, not by a `Hasher`.
public struct HashWord: Hashable, Sendable {
    public var value: UInt64
    @inlinable public init(_ value: UInt64) { self.value = value }
    public func hash(into h: inout Hasher) { h.combine(value) }
    public func _rawHashValue(seed: Int) -> Int { FastHash.value(FastHash.step(FastHash.start(seed), value)) }
}

/// `s.lowercased()`, without a new string when there is nothing to lower (the usual case for DNS names): how the
/// tracker, the DNS summary and the correlator compare names.
@inlinable public func asciiLowercased(_ s: String) -> String {
    // Over the contiguous bytes (the UTF-8 view's iterator costs a dozen instructions a byte).
    let lower = s.utf8.withContiguousStorageIfAvailable { b -> Bool in
        // Eight bytes at a time: any byte ≥ 0x80, or one that `FastHash.foldCase` lowers.
        var i = 0
        if let base = b.baseAddress {
            let raw = UnsafeRawPointer(base)
            while i + 8 <= b.count {
                let w = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                if w & 0x8080_8080_8080_8080 != 0 || FastHash.foldCase(w) != w { return false }
                i += 8
            }
        }
        while i < b.count {
            let c = b[i]
            if c >= 0x80 || c &- 0x41 < 26 { return false }
            i += 1
        }
        return true
    }
    switch lower {
    case true?: return s
    case false?: return s.lowercased()
    case nil:
        for c in s.utf8 where c >= 0x80 || (c >= 0x41 && c <= 0x5a) { return s.lowercased() }
        return s
    }
}
