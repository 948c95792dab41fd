import NetcorrCore

/// Bounds on DNS decoding. Values, not hidden constants.
public struct DNSLimits: Sendable {
    /// Records decoded per message; the rest are counted only.
    public var maxRecords: Int = 512
    public init() {}
}

/// RFC 1035 §4 message decoding over a bounds-checked span.
public enum DNSParser {
    /// The 12-byte header alone: cheap, for the hot path.
    public struct Header: Hashable, Sendable {
        public var id: UInt16
        public var flags: UInt16
        public var qdcount: Int, ancount: Int, nscount: Int, arcount: Int
        public var isResponse: Bool { flags & 0x8000 != 0 }
    }

    public static func header(_ b: Span<UInt8>) throws(DecodeError) -> Header {
        guard b.count >= 12 else { throw DecodeError(.dnsTruncated, at: 0) }   // RFC 1035 §4.1.1
        return Header(id: b.u16(0), flags: b.u16(2), qdcount: Int(b.u16(4)), ancount: Int(b.u16(6)),
                      nscount: Int(b.u16(8)), arcount: Int(b.u16(10)))
    }

    /// Decodes a whole message. What decodes before a problem is kept and the problem is named in
    /// `malformed`; only a message shorter than its header throws.
    ///
    /// With `records: false` the record sections are walked and checked exactly as with `true` (the same
    /// `malformed`, the same EDNS) but no `DNSRecord` and no text is built: `records` stays empty. The report
    /// path needs only the header, the question and EDNS; building every record's strings is most of the cost.
    public static func decode(_ b: Span<UInt8>, limits: DNSLimits = .init(), records: Bool = true) throws(DecodeError) -> DNSMessage {
        var names = DNSNameCache(capacity: 0)
        return try decode(b, limits: limits, records: records, names: &names)
    }

    /// As `decode(_:limits:records:)`, with the question's name taken from `names` when it was seen before (no
    /// allocation for a name the cache holds: the hot path of a replay).
    public static func decode(_ b: Span<UInt8>, limits: DNSLimits = .init(), records: Bool = true,
                              names: inout DNSNameCache) throws(DecodeError) -> DNSMessage {
        let h = try header(b)
        var m = DNSMessage(id: h.id, flags: h.flags, qdcount: h.qdcount, ancount: h.ancount,
                           nscount: h.nscount, arcount: h.arcount)
        var off = 12
        // The first problem met, kept in a local and stored once (the message's `malformed` is a String: reading
        // and writing it through every name walk retained and released it each time).
        var problem: Anomaly?
        do throws(DecodeError) {
            for i in 0..<h.qdcount {   // RFC 1035 §4.1.2
                let (name, hash, next) = try readName(b, at: off, problem: &problem, names: &names)
                guard b.count >= next + 4 else { throw DecodeError(.dnsTruncated, at: next) }
                if i == 0 {
                    m.setQname(name, hash: hash)
                    m.qtype = DNSType(rawValue: b.u16(next))
                    m.qclass = b.u16(next + 2)
                }
                off = next + 4
            }
            let total = h.ancount + h.nscount + h.arcount
            var checked = 0
            for i in 0..<total {   // RFC 1035 §4.1.3
                let section: DNSRecord.Section = i < h.ancount ? .answer : i < h.ancount + h.nscount ? .authority : .additional
                if !records {
                    let next = try skipName(b, at: off, problem: &problem)
                    guard b.count >= next + 10 else { throw DecodeError(.dnsTruncated, at: next) }
                    let type = b.u16(next)
                    let rdlen = Int(b.u16(next + 8))
                    let rd = next + 10
                    guard b.count >= rd + rdlen else { throw DecodeError(.dnsRecordOverrun, at: next + 8) }
                    off = rd + rdlen
                    if type == 41 { m.edns = edns(b, rd: rd, rdlen: rdlen, rclass: b.u16(next + 2), ttl: b.u32(next + 4), malformed: &problem) }
                    if checked < limits.maxRecords {
                        checked += 1
                        do throws(DecodeError) {
                            try checkRdata(b, type: type, at: rd, length: rdlen, problem: &problem)
                        } catch {
                            if problem == nil { problem = error.anomaly }
                        }
                    }
                    continue
                }
                let (name, _, next) = try readName(b, at: off, problem: &problem, names: &names)
                guard b.count >= next + 10 else { throw DecodeError(.dnsTruncated, at: next) }
                let type = DNSType(rawValue: b.u16(next))
                let rclass = b.u16(next + 2)
                let ttl = b.u32(next + 4)
                let rdlen = Int(b.u16(next + 8))
                let rd = next + 10
                guard b.count >= rd + rdlen else { throw DecodeError(.dnsRecordOverrun, at: next + 8) }
                off = rd + rdlen
                if type == .opt { m.edns = edns(b, rd: rd, rdlen: rdlen, rclass: rclass, ttl: ttl, malformed: &problem) }
                if m.records.count < limits.maxRecords {
                    var data: String?
                    do throws(DecodeError) {
                        data = try rdata(b, type: type, at: rd, length: rdlen, problem: &problem)
                    } catch {
                        if problem == nil { problem = error.anomaly }
                        data = nil
                    }
                    m.records.append(DNSRecord(section: section, name: name, type: type, rclass: rclass, ttl: ttl,
                                               rdlength: rdlen, data: data))
                }
            }
        } catch {
            if problem == nil { problem = error.anomaly }
        }
        m.malformedAnomaly = problem
        return m
    }

    /// RFC 6891 §6.1.2: the OPT pseudo-record.
    static func edns(_ b: Span<UInt8>, rd: Int, rdlen: Int, rclass: UInt16, ttl: UInt32, malformed: inout Anomaly?) -> EDNSInfo {
        var codes: [UInt16] = []
        var o = rd
        while o < rd + rdlen {
            // Each option: code, length, data, all inside the record's data.
            guard o + 4 <= rd + rdlen, o + 4 + Int(b.u16(o + 2)) <= rd + rdlen else {
                if malformed == nil { malformed = .dnsBadEDNSOption }
                break
            }
            codes.append(b.u16(o))
            o += 4 + Int(b.u16(o + 2))
        }
        return EDNSInfo(udpSize: rclass, extendedRcodeHigh: UInt8(ttl >> 24), version: UInt8((ttl >> 16) & 0xff),
                        dnssecOK: ttl & 0x8000 != 0, optionCodes: codes)
    }

    /// The checks of `rdata` without the text: throws and records problems exactly where `rdata` would.
    static func checkRdata(_ b: Span<UInt8>, type: UInt16, at o: Int, length n: Int, problem: inout Anomaly?) throws(DecodeError) {
        switch type {
        case 1:
            guard n == 4 else { throw DecodeError(.dnsRecordOverrun, at: o) }
        case 28:
            guard n == 16 else { throw DecodeError(.dnsRecordOverrun, at: o) }
        case 2, 5, 12, 39:   // NS, CNAME, PTR, DNAME
            let end = try skipName(b, at: o, problem: &problem)
            guard end <= o + n else { throw DecodeError(.dnsRecordOverrun, at: o) }
        case 15:   // MX
            guard n >= 3 else { throw DecodeError(.dnsRecordOverrun, at: o) }
            let end = try skipName(b, at: o + 2, problem: &problem)
            guard end <= o + n else { throw DecodeError(.dnsRecordOverrun, at: o) }
        case 33:   // SRV
            guard n >= 7 else { throw DecodeError(.dnsRecordOverrun, at: o) }
            let end = try skipName(b, at: o + 6, problem: &problem)
            guard end <= o + n else { throw DecodeError(.dnsRecordOverrun, at: o) }
        case 6:   // SOA
            let e1 = try skipName(b, at: o, problem: &problem)
            let e2 = try skipName(b, at: e1, problem: &problem)
            guard e2 + 20 <= o + n else { throw DecodeError(.dnsRecordOverrun, at: o) }
        case 16:   // TXT
            var p = o
            while p < o + n {
                let l = Int(b.u8(p))
                guard p + 1 + l <= o + n else { throw DecodeError(.dnsRecordOverrun, at: p) }
                p += 1 + l
            }
        default:
            return
        }
    }

    /// `readName(_:at:problem:)` without building the text: the offset after the name's in-place bytes, the
    /// same errors and the same `problem`.
    static func skipName(_ b: Span<UInt8>, at start: Int, problem: inout Anomaly?) throws(DecodeError) -> Int {
        do throws(DecodeError) {
            return try skipNameStrict(b, at: start)
        } catch {
            guard let end = inPlaceEnd(b, at: start), error.anomaly == .dnsNameTooLong || error.anomaly == .dnsCompressionLoop
            else { throw error }
            if problem == nil { problem = error.anomaly }
            return end
        }
    }

    /// The name walk without the text (the same bounds and errors).
    static func skipNameStrict(_ b: Span<UInt8>, at start: Int) throws(DecodeError) -> Int {
        try walkName(b, at: start, into: nil).end
    }

    /// Text form of the record data of known types; nil for types kept as type and length only.
    static func rdata(_ b: Span<UInt8>, type: DNSType, at o: Int, length n: Int,
                      problem: inout Anomaly?) throws(DecodeError) -> String? {
        func readName(_ b: Span<UInt8>, at start: Int) throws(DecodeError) -> (String, Int) {
            try DNSParser.readName(b, at: start, problem: &problem)
        }
        switch type.rawValue {
        case 1:
            guard n == 4 else { throw DecodeError(.dnsRecordOverrun, at: o) }
            return b.ipv4(o).description
        case 28:
            guard n == 16 else { throw DecodeError(.dnsRecordOverrun, at: o) }
            return b.ipv6(o).description
        case 2, 5, 12, 39:   // NS, CNAME, PTR, DNAME
            let (name, end) = try readName(b, at: o)
            guard end <= o + n else { throw DecodeError(.dnsRecordOverrun, at: o) }
            return name
        case 15:   // MX
            guard n >= 3 else { throw DecodeError(.dnsRecordOverrun, at: o) }
            let (name, end) = try readName(b, at: o + 2)
            guard end <= o + n else { throw DecodeError(.dnsRecordOverrun, at: o) }
            return "\(b.u16(o)) \(name)"
        case 33:   // SRV, RFC 2782
            guard n >= 7 else { throw DecodeError(.dnsRecordOverrun, at: o) }
            let (name, end) = try readName(b, at: o + 6)
            guard end <= o + n else { throw DecodeError(.dnsRecordOverrun, at: o) }
            return "\(b.u16(o)) \(b.u16(o + 2)) \(b.u16(o + 4)) \(name)"
        case 6:   // SOA
            let (mname, e1) = try readName(b, at: o)
            let (rname, e2) = try readName(b, at: e1)
            guard e2 + 20 <= o + n else { throw DecodeError(.dnsRecordOverrun, at: o) }
            return "\(mname) \(rname) \(b.u32(e2)) \(b.u32(e2 + 4)) \(b.u32(e2 + 8)) \(b.u32(e2 + 12)) \(b.u32(e2 + 16))"
        case 16:   // TXT: character-strings
            var parts: [String] = []
            var p = o
            while p < o + n {
                let l = Int(b.u8(p))
                guard p + 1 + l <= o + n else { throw DecodeError(.dnsRecordOverrun, at: p) }
                parts.append(text(b, (p + 1)..<(p + 1 + l)))
                p += 1 + l
            }
            return parts.joined(separator: " ")
        default:
            return nil
        }
    }

    /// Reads a possibly compressed name at `start`; returns it without the trailing dot ("<Root>" for the
    /// root) and the offset after the name's in-place bytes. Pointers may point anywhere inside the message
    /// (Wireshark accepts forward pointers too), but the bytes visited are bounded by the message length, so a
    /// pointer loop ends as `dns.compression-loop` instead of spinning; a name over 255 octets is
    /// `dns.name-too-long` (RFC 1035 §2.3.4).
    public static func readName(_ b: Span<UInt8>, at start: Int) throws(DecodeError) -> (String, Int) {
        var problem: Anomaly?
        return try readName(b, at: start, problem: &problem)
    }

    /// As `readName(_:at:)`, but a name that goes wrong after its first compression pointer (so its in-place
    /// length is known) yields Wireshark's placeholder text and the problem in `problem`, and decoding goes on.
    public static func readName(_ b: Span<UInt8>, at start: Int, problem: inout Anomaly?) throws(DecodeError) -> (String, Int) {
        var names = DNSNameCache(capacity: 0)
        let (name, _, end) = try readName(b, at: start, problem: &problem, names: &names)
        return (name, end)
    }

    /// The name, its `FastHash.name` and the offset after its in-place bytes.
    static func readName(_ b: Span<UInt8>, at start: Int, problem: inout Anomaly?,
                         names: inout DNSNameCache) throws(DecodeError) -> (String, UInt64, Int) {
        do throws(DecodeError) {
            let (end, count, hash) = try walkName(b, at: start, into: names.scratch.bytes)
            if count == 0 { return ("<Root>", FastHash.name("<Root>"), end) }
            return (names.intern(count: count, hash: hash), hash, end)
        } catch {
            guard let end = inPlaceEnd(b, at: start), error.anomaly == .dnsNameTooLong || error.anomaly == .dnsCompressionLoop
            else { throw error }
            if problem == nil { problem = error.anomaly }
            let text = error.anomaly == .dnsNameTooLong ? "<Name too long>" : "<Name contains a pointer that loops>"
            return (text, FastHash.name(text), end)
        }
    }

    /// Where a name's own bytes end, when it ends in a pointer (nil when the labels themselves are bad).
    static func inPlaceEnd(_ b: Span<UInt8>, at start: Int) -> Int? {
        var p = start
        while p < b.count {
            let l = Int(b.u8(p))
            if l & 0xc0 == 0xc0 { return p + 2 <= b.count ? p + 2 : nil }
            if l & 0xc0 != 0 { return nil }
            if l == 0 { return nil }
            p += 1 + l
        }
        return nil
    }

    /// The one walk over a possibly compressed name: bounds, the pointer-loop bound and the 255-octet limit.
    /// With `out`, the labels' presentation text (RFC 1035 §5.1: printable ASCII as is, the rest as \DDD) is
    /// written there (at most 1,020 bytes: 254 label octets, four bytes each at worst, and the dots) and hashed
    /// (`FastHash.name`). Returns the offset after the name's in-place bytes, the text's length and
    /// its hash.
    static func walkName(_ b: Span<UInt8>, at start: Int, into out: UnsafeMutablePointer<UInt8>?)
        throws(DecodeError) -> (end: Int, count: Int, hash: UInt64) {
        var p = start
        var end = -1
        var visited = 0
        var wireLength = 1
        var n = 0
        while true {
            guard p < b.count else { throw DecodeError(.dnsTruncated, at: p) }
            let l = Int(b.u8(p))
            switch l & 0xc0 {
            case 0xc0:   // RFC 1035 §4.1.4
                guard p + 1 < b.count else { throw DecodeError(.dnsTruncated, at: p) }
                let target = (l & 0x3f) << 8 | Int(b.u8(p + 1))
                if end < 0 { end = p + 2 }
                visited += 2
                guard visited <= b.count, target < b.count else { throw DecodeError(.dnsCompressionLoop, at: p) }
                p = target
            case 0x00:
                if l == 0 {
                    let h = out.map { FastHash.name(UnsafeBufferPointer(start: $0, count: n)) } ?? 0
                    return (end < 0 ? p + 1 : end, n, h)
                }
                guard p + 1 + l <= b.count else { throw DecodeError(.dnsTruncated, at: p) }
                wireLength += l + 1
                guard wireLength <= 255 else { throw DecodeError(.dnsNameTooLong, at: p) }
                visited += l + 1
                guard visited <= b.count else { throw DecodeError(.dnsCompressionLoop, at: p) }
                if let o = out {
                    if n > 0 { o[n] = UInt8(ascii: "."); n += 1 }
                    let label = (p + 1)..<(p + 1 + l)
                    var plain = true
                    for i in label { let c = b.u8(i); if c <= 0x20 || c >= 0x7f { plain = false; break } }
                    if plain {
                        // Most labels: one copy.
                        b.extracting(label).withUnsafeBufferPointer { (o + n).update(from: $0.baseAddress!, count: l) }
                        n += l
                    } else {
                        for i in label {
                            let c = b.u8(i)
                            if c > 0x20 && c < 0x7f { o[n] = c; n += 1; continue }
                            o[n] = UInt8(ascii: "\\")
                            o[n + 1] = 0x30 + c / 100
                            o[n + 2] = 0x30 + (c / 10) % 10
                            o[n + 3] = 0x30 + c % 10
                            n += 4
                        }
                    }
                }
                p += 1 + l
            default:   // 0x40 extended label types (RFC 6891 §5), 0x80 reserved
                throw DecodeError(.dnsBadLabel, at: p)
            }
        }
    }

    static func text(_ b: Span<UInt8>, _ r: Range<Int>) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(r.count)
        for i in r {
            let c = b.u8(i)
            if c >= 0x20 && c < 0x7f { out.append(c) } else { out.append(UInt8(ascii: "?")) }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// Names seen before, by their presentation bytes: a replay meets the same few thousand names millions of
/// times, and each hit costs a hash and a compare instead of two allocations. Bounded: past `capacity` names a
/// new one is built as a String and not kept.
public struct DNSNameCache {
    /// Where a name's text is written while it is walked (one allocation per cache, not per name).
    final class Scratch {
        let bytes = UnsafeMutablePointer<UInt8>.allocate(capacity: 1024)
        deinit { bytes.deallocate() }
    }
    let scratch = Scratch()
    var table: [HashWord: String] = [:]
    public let capacity: Int
    public init(capacity: Int = 100_000) { self.capacity = capacity }
    public var count: Int { table.count }

    /// The scratch's first `count` bytes as a String, the cached one when it holds the same bytes. `hash` is their
    /// `FastHash.name` (the cache's key: a name that differs from a cached one only in case is built each time).
    mutating func intern(count: Int, hash: UInt64) -> String {
        let bytes = UnsafeBufferPointer(start: scratch.bytes, count: count)
        if let s = table[HashWord(hash)], same(s, bytes) { return s }
        let s = String(decoding: bytes, as: UTF8.self)
        if table.count < capacity { table[HashWord(hash)] = s }
        return s
    }

    /// Byte equality of a cached name and the scratch bytes.
    func same(_ s: String, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard s.utf8.count == bytes.count else { return false }
        return s.utf8.withContiguousStorageIfAvailable { bytesEqual($0, bytes) } ?? s.utf8.elementsEqual(bytes)
    }
}
