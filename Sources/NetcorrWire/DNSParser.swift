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
        // The first problem met, kept in a local and stored once (the message's `malformed` is a String: reading
        // and writing it through every name walk retained and released it each time).
        var problem: Anomaly?
        do throws(DecodeError) {
            try sections(b, h, limits: limits, records: records, names: &names, into: &m, problem: &problem)
        } catch {
            if problem == nil { problem = error.anomaly }
        }
        if let p = problem { m.malformedAnomaly = p }   // (a new message has none: no call to store nil)
        return m
    }

    /// `decode`'s question and record sections, into `m`: what decodes before a throw stays there. (A function of
    /// its own: with this do/catch inside `decode`, the message was copied on return and the original destroyed, a
    /// retain and a release of each of its strings and arrays per message.)
    static func sections(_ b: Span<UInt8>, _ h: Header, limits: DNSLimits, records: Bool, names: inout DNSNameCache,
                         into m: inout DNSMessage, problem: inout Anomaly?) throws(DecodeError) {
        var off = 12
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
                if type == 41 { edns(b, rd: rd, rdlen: rdlen, rclass: b.u16(next + 2), ttl: b.u32(next + 4), into: &m, malformed: &problem) }
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
            if type == .opt { edns(b, rd: rd, rdlen: rdlen, rclass: rclass, ttl: ttl, into: &m, malformed: &problem) }
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
    }

    /// RFC 6891 §6.1.2: the OPT pseudo-record, into `m`'s EDNS.
    static func edns(_ b: Span<UInt8>, rd: Int, rdlen: Int, rclass: UInt16, ttl: UInt32, into m: inout DNSMessage,
                     malformed: inout Anomaly?) {
        m.setEDNS(udpSize: rclass, extendedRcodeHigh: UInt8(ttl >> 24), version: UInt8((ttl >> 16) & 0xff),
                  dnssecOK: ttl & 0x8000 != 0)
        var o = rd
        while o < rd + rdlen {
            // Each option: code, length, data, all inside the record's data.
            guard o + 4 <= rd + rdlen, o + 4 + Int(b.u16(o + 2)) <= rd + rdlen else {
                if malformed == nil { malformed = .dnsBadEDNSOption }
                break
            }
            m.addEDNSOption(b.u16(o))
            o += 4 + Int(b.u16(o + 2))
        }
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
            let (end, count) = try walkName(b, at: start, into: names.scratch.wire)
            if count == 0 { return ("<Root>", FastHash.name("<Root>"), end) }
            let (name, hash) = names.intern(count: count)
            return (name, hash, end)
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
    /// With `out`, the name's labels as on the wire (length byte, bytes; pointers followed, no final zero: at most
    /// 254 bytes) are gathered there, each run of labels in place copied at once; `out` needs room for a word past
    /// them. Returns the offset after the name's in-place bytes and the gathered length.
    static func walkName(_ b: Span<UInt8>, at start: Int, into out: UnsafeMutablePointer<UInt8>?)
        throws(DecodeError) -> (end: Int, count: Int) {
        var p = start
        var end = -1
        var visited = 0
        var wireLength = 1
        var n = 0
        var run = start
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
                if let o = out { copy(b, from: run, count: p - run, to: o + n); n += p - run }
                p = target
                run = target
            case 0x00:
                if l == 0 {
                    if let o = out { copy(b, from: run, count: p - run, to: o + n); n += p - run }
                    return (end < 0 ? p + 1 : end, n)
                }
                guard p + 1 + l <= b.count else { throw DecodeError(.dnsTruncated, at: p) }
                wireLength += l + 1
                guard wireLength <= 255 else { throw DecodeError(.dnsNameTooLong, at: p) }
                visited += l + 1
                guard visited <= b.count else { throw DecodeError(.dnsCompressionLoop, at: p) }
                p += 1 + l
            default:   // 0x40 extended label types (RFC 6891 §5), 0x80 reserved
                throw DecodeError(.dnsBadLabel, at: p)
            }
        }
    }

    /// Copies `b[s ..< s + count]` to `o` eight bytes at a time while the span has eight from there (the last word
    /// carries up to seven bytes past the range, which `o` has room for), the span's last few bytes one by one.
    @inline(__always) static func copy(_ b: Span<UInt8>, from s: Int, count: Int, to o: UnsafeMutablePointer<UInt8>) {
        b.withUnsafeBytes { raw in
            var k = 0
            while k < count && s + k + 8 <= raw.count {
                UnsafeMutableRawPointer(o + k).storeBytes(of: raw.loadUnaligned(fromByteOffset: s + k, as: UInt64.self), as: UInt64.self)
                k += 8
            }
            while k < count { o[k] = raw[s + k]; k += 1 }
        }
    }

    /// The presentation text (RFC 1035 §5.1: printable ASCII as is, the rest as \DDD; labels joined by dots) of the
    /// `count` bytes of wire labels at `w`, written at `o`; returns its length, at most 1,012 (254 wire octets: label
    /// bytes four each at worst, and the dots). Printable bytes (nearly every label is all printable) go eight at a
    /// time, a load, a test and a store per word; from the first word holding a byte to escape, byte by byte. Reads
    /// and writes up to a word past the bytes: both buffers have the room.
    static func text(wire w: UnsafePointer<UInt8>, count: Int, into o: UnsafeMutablePointer<UInt8>) -> Int {
        var i = 0, n = 0
        while i < count {
            let l = Int(w[i])
            i += 1
            if n > 0 { o[n] = UInt8(ascii: "."); n += 1 }
            var k = 0
            while k < l {
                let r = l - k
                var v = UInt64(littleEndian: UnsafeRawPointer(w + i + k).loadUnaligned(as: UInt64.self))
                if r < 8 {
                    // The bytes past the label (the next label's) replaced by printable stand-ins for the test.
                    let mask = UInt64.max &>> UInt64(64 - 8 * r)
                    v = v & mask | 0x2121_2121_2121_2121 & ~mask
                }
                guard printable(v) else { break }
                UnsafeMutableRawPointer(o + n).storeBytes(of: v.littleEndian, as: UInt64.self)
                k += min(r, 8)
                n += min(r, 8)
            }
            while k < l {
                let c = w[i + k]
                k += 1
                if c > 0x20 && c < 0x7f { o[n] = c; n += 1; continue }
                o[n] = UInt8(ascii: "\\")
                o[n + 1] = 0x30 + c / 100
                o[n + 2] = 0x30 + (c / 10) % 10
                o[n + 3] = 0x30 + c % 10
                n += 4
            }
            i += l
        }
        return n
    }

    /// True when every byte of `w` is 0x21…0x7e (written as is in a name's text). Per byte and without carries from
    /// one byte into the next (the high bits are cleared first): bit 7 of `low + 0x5f` is set from 0x21 up, of
    /// `low + 0x01` from 0x7f up.
    @inline(__always) static func printable(_ w: UInt64) -> Bool {
        let low = w & 0x7f7f_7f7f_7f7f_7f7f
        return (w | ~(low &+ 0x5f5f_5f5f_5f5f_5f5f) | (low &+ 0x0101_0101_0101_0101)) & 0x8080_8080_8080_8080 == 0
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

/// Names seen before, by their wire labels: a replay meets the same few thousand names millions of times, and each
/// hit costs a hash and a compare of the gathered labels instead of building the text, hashing it and two
/// allocations. Bounded: past `capacity` names a new one is built as a String and not kept.
public struct DNSNameCache {
    /// Where a name's labels are gathered and its text is written (one allocation per cache, not per name): the
    /// labels (at most 254 bytes) from `wire`, the text (at most 1,012) from `text`, each with a word of room after.
    final class Scratch {
        let wire = UnsafeMutablePointer<UInt8>.allocate(capacity: 1024 + 272)
        var text: UnsafeMutablePointer<UInt8> { wire + 272 }
        deinit { wire.deallocate() }
    }
    /// A cached name: its text, the text's `FastHash.name`, and its wire labels' `FastHash.bytes` (`key`) and place
    /// in `wires`. A slot with `count` 0 is empty (the root name, the only one without labels, is not cached).
    struct Entry {
        var name = ""
        var hash: UInt64 = 0
        var key: UInt64 = 0
        var at: Int32 = 0
        var count: Int32 = 0
    }
    let scratch = Scratch()
    /// Open addressing, at most half full, probed from the key's low bits. (A `Dictionary` lookup hashed the key
    /// again and copied the entry out, retaining its name, before the compare.) The key is keyed per process, so no
    /// capture can pile its names into one probe run.
    var slots = [Entry](repeating: Entry(), count: 64)
    /// The cached names' wire labels, one after the other: what a lookup compares with.
    var wires: [UInt8] = []
    public private(set) var count = 0
    public let capacity: Int
    public init(capacity: Int = 100_000) { self.capacity = capacity }

    /// The text of the `count` wire label bytes in the scratch and its `FastHash.name`: the cached ones when the cache
    /// holds the same labels.
    mutating func intern(count n: Int) -> (String, UInt64) {
        let wire = UnsafeBufferPointer(start: scratch.wire, count: n)
        let key = FastHash.bytes(padded: scratch.wire, count: n)
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: key) & mask
        while slots[i].count != 0 {
            if slots[i].key == key, slots[i].count == n,
               wires.withUnsafeBufferPointer({ bytesEqual(UnsafeBufferPointer(rebasing: $0[Int(slots[i].at)...].prefix(n)), wire) }) {
                return (slots[i].name, slots[i].hash)
            }
            i = (i + 1) & mask
        }
        let t = DNSParser.text(wire: scratch.wire, count: n, into: scratch.text)
        let hash = FastHash.name(padded: scratch.text, count: t)
        let s = String(decoding: UnsafeBufferPointer(start: scratch.text, count: t), as: UTF8.self)
        if count < capacity {
            slots[i] = Entry(name: s, hash: hash, key: key, at: Int32(wires.count), count: Int32(n))
            wires.append(contentsOf: wire)
            count += 1
            if count * 2 > slots.count { grow() }
        }
        return (s, hash)
    }

    /// Twice the slots, the entries placed again by their keys.
    mutating func grow() {
        var bigger = [Entry](repeating: Entry(), count: slots.count * 2)
        let mask = bigger.count - 1
        for e in slots where e.count != 0 {
            var i = Int(truncatingIfNeeded: e.key) & mask
            while bigger[i].count != 0 { i = (i + 1) & mask }
            bigger[i] = e
        }
        slots = bigger
    }
}
