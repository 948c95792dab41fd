/// Open sets of DNS constants: unknown values survive as themselves.
public struct DNSType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    public func _rawHashValue(seed: Int) -> Int { FastHash.value(FastHash.step(FastHash.start(seed), UInt64(rawValue))) }
    public static let a = DNSType(rawValue: 1), ns = DNSType(rawValue: 2), cname = DNSType(rawValue: 5)
    public static let soa = DNSType(rawValue: 6), ptr = DNSType(rawValue: 12), mx = DNSType(rawValue: 15)
    public static let txt = DNSType(rawValue: 16), aaaa = DNSType(rawValue: 28), srv = DNSType(rawValue: 33)
    public static let opt = DNSType(rawValue: 41), https = DNSType(rawValue: 65), any = DNSType(rawValue: 255)
    public var description: String {
        switch rawValue {
        case 1: "A"; case 2: "NS"; case 5: "CNAME"; case 6: "SOA"; case 12: "PTR"; case 15: "MX"
        case 16: "TXT"; case 28: "AAAA"; case 33: "SRV"; case 41: "OPT"; case 64: "SVCB"; case 65: "HTTPS"
        case 255: "ANY"; default: "TYPE\(rawValue)"
        }
    }
}

public struct DNSRcode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    public func _rawHashValue(seed: Int) -> Int { FastHash.value(FastHash.step(FastHash.start(seed), UInt64(rawValue))) }
    public static let noError = DNSRcode(rawValue: 0), formErr = DNSRcode(rawValue: 1)
    public static let servFail = DNSRcode(rawValue: 2), nxDomain = DNSRcode(rawValue: 3)
    public static let notImp = DNSRcode(rawValue: 4), refused = DNSRcode(rawValue: 5)
    public var description: String {
        switch rawValue {
        case 0: "NOERROR"; case 1: "FORMERR"; case 2: "SERVFAIL"; case 3: "NXDOMAIN"; case 4: "NOTIMP"
        case 5: "REFUSED"; case 6: "YXDOMAIN"; case 7: "YXRRSET"; case 8: "NXRRSET"; case 9: "NOTAUTH"
        case 10: "NOTZONE"; case 16: "BADVERS"; case 23: "BADCOOKIE"; default: "RCODE\(rawValue)"
        }
    }
}

/// One resource record, decoded as far as its type is known. `data` holds the text form of known types
/// (address, target name, "10 mx.example", TXT strings joined) and is nil for unknown ones.
public struct DNSRecord: Hashable, Sendable {
    public enum Section: UInt8, Sendable { case answer, authority, additional }
    public var section: Section
    public var name: String
    public var type: DNSType
    public var rclass: UInt16
    public var ttl: UInt32
    public var rdlength: Int
    public var data: String?
    public init(section: Section, name: String, type: DNSType, rclass: UInt16, ttl: UInt32, rdlength: Int, data: String?) {
        self.section = section; self.name = name; self.type = type; self.rclass = rclass; self.ttl = ttl
        self.rdlength = rdlength; self.data = data
    }
}

/// EDNS(0) as carried by an OPT pseudo-record (RFC 6891).
public struct EDNSInfo: Hashable, Sendable {
    public var udpSize: UInt16
    public var extendedRcodeHigh: UInt8
    public var version: UInt8
    public var dnssecOK: Bool
    public var optionCodes: [UInt16]
    public init(udpSize: UInt16, extendedRcodeHigh: UInt8, version: UInt8, dnssecOK: Bool, optionCodes: [UInt16]) {
        self.udpSize = udpSize; self.extendedRcodeHigh = extendedRcodeHigh; self.version = version
        self.dnssecOK = dnssecOK; self.optionCodes = optionCodes
    }
}

/// A decoded DNS message: what a resolver or a person would want to see of it.
public struct DNSMessage: Hashable, Sendable {
    public var id: UInt16
    public var flags: UInt16
    public var qdcount: Int, ancount: Int, nscount: Int, arcount: Int
    /// The first question; nil when there is none or it could not be decoded.
    public var qname: String? {
        get { questionName }
        set { questionName = newValue; qnameHash = newValue.map(FastHash.name) ?? 0 }
    }
    var questionName: String?
    /// `FastHash.name` of `qname` (0 without one): computed once, where the name is decoded.
    public private(set) var qnameHash: UInt64 = 0
    /// Sets the question's name with its `FastHash.name`, already computed by the caller.
    public mutating func setQname(_ name: String, hash: UInt64) { questionName = name; qnameHash = hash }
    public var qtype: DNSType?
    public var qclass: UInt16?
    /// The records, built only when asked for (`DNSParser.decode(records:)`); in `rare`.
    public var records: [DNSRecord] {
        get { rare?.records ?? [] }
        set { unshared().records = newValue }
        _modify { yield &unshared().records }
    }
    public var edns: EDNSInfo? {
        get {
            opt.map { EDNSInfo(udpSize: $0.udpSize, extendedRcodeHigh: $0.extendedRcodeHigh, version: $0.version,
                               dnssecOK: $0.dnssecOK, optionCodes: optionCodes) }
        }
        set {
            guard let e = newValue else { opt = nil; return }
            setEDNS(udpSize: e.udpSize, extendedRcodeHigh: e.extendedRcodeHigh, version: e.version, dnssecOK: e.dnssecOK)
            for c in e.optionCodes { addEDNSOption(c) }
        }
    }
    /// The first problem met while decoding (an anomaly name such as "dns.compression-loop"); what was
    /// decoded before it is kept. In `rare`.
    public var malformed: String? {
        get { rare?.malformed }
        set { if newValue != nil || rare != nil { unshared().malformed = newValue } }
    }
    /// `malformed` as an anomaly.
    public var malformedAnomaly: Anomaly? {
        get { malformed.map(Anomaly.init(rawValue:)) }
        set { malformed = newValue?.rawValue }
    }

    /// The OPT record's fields, without an array: its first four option codes inline, the rest in `rare`. Most
    /// messages have an OPT record and most OPT records no option or one or two (a cookie, a client subnet); an
    /// `EDNSInfo` per message built an array, an allocation per packet with an option.
    struct OPT: Hashable, Sendable {
        var udpSize: UInt16
        var extendedRcodeHigh: UInt8
        var version: UInt8
        var dnssecOK: Bool
        var count: UInt8 = 0
        /// Codes 0…3, 16 bits each from the low end.
        var first: UInt64 = 0
    }
    var opt: OPT?
    /// What most messages do not have (records, option codes past the fourth, a problem), in one box: a message
    /// without them is copied and destroyed without a reference count for each. Copied before a write when shared.
    final class Rare: @unchecked Sendable {   // never written while shared: see `unshared()`
        var records: [DNSRecord] = []
        var moreCodes: [UInt16] = []
        var malformed: String?
        init() {}
        init(_ r: Rare) { records = r.records; moreCodes = r.moreCodes; malformed = r.malformed }
    }
    var rare: Rare?
    /// `rare`, created or copied so that this message alone holds it: what every write to it goes through.
    mutating func unshared() -> Rare {
        if let r = rare, isKnownUniquelyReferenced(&rare) { return r }
        let r = rare.map(Rare.init) ?? Rare()
        rare = r
        return r
    }

    /// Sets the OPT record's fields, with no option yet (`addEDNSOption` adds them): the parser's way, with no array.
    public mutating func setEDNS(udpSize: UInt16, extendedRcodeHigh: UInt8, version: UInt8, dnssecOK: Bool) {
        opt = OPT(udpSize: udpSize, extendedRcodeHigh: extendedRcodeHigh, version: version, dnssecOK: dnssecOK)
        if let r = rare, !r.moreCodes.isEmpty { unshared().moreCodes = [] }
    }
    /// Appends an option code to the OPT record set by `setEDNS` (none set: nothing happens).
    public mutating func addEDNSOption(_ code: UInt16) {
        guard var o = opt else { return }
        if o.count < 4 {
            o.first |= UInt64(code) << (16 * UInt64(o.count))
        } else {
            unshared().moreCodes.append(code)
        }
        o.count &+= 1
        opt = o
    }
    var optionCodes: [UInt16] {
        guard let o = opt, o.count > 0 else { return [] }
        var codes = (0..<min(Int(o.count), 4)).map { UInt16(truncatingIfNeeded: o.first >> (16 * UInt64($0))) }
        if o.count > 4, let r = rare { codes += r.moreCodes }
        return codes
    }

    public init(id: UInt16, flags: UInt16, qdcount: Int, ancount: Int, nscount: Int, arcount: Int) {
        self.id = id; self.flags = flags; self.qdcount = qdcount; self.ancount = ancount
        self.nscount = nscount; self.arcount = arcount
    }

    // Equal and hashed by what the properties read, not by how it is stored (a box or none, shared or not).
    public static func == (a: DNSMessage, b: DNSMessage) -> Bool {
        a.id == b.id && a.flags == b.flags && a.qdcount == b.qdcount && a.ancount == b.ancount && a.nscount == b.nscount
            && a.arcount == b.arcount && a.questionName == b.questionName && a.qnameHash == b.qnameHash
            && a.qtype == b.qtype && a.qclass == b.qclass && a.records == b.records && a.edns == b.edns
            && a.malformed == b.malformed
    }
    public func hash(into h: inout Hasher) {
        h.combine(id); h.combine(flags); h.combine(qdcount); h.combine(ancount); h.combine(nscount); h.combine(arcount)
        h.combine(questionName); h.combine(qnameHash); h.combine(qtype); h.combine(qclass); h.combine(records)
        h.combine(edns); h.combine(malformed)
    }

    public var isResponse: Bool { flags & 0x8000 != 0 }
    public var opcode: Int { Int(flags >> 11) & 0xf }
    public var authoritative: Bool { flags & 0x0400 != 0 }
    public var truncated: Bool { flags & 0x0200 != 0 }
    public var recursionDesired: Bool { flags & 0x0100 != 0 }
    public var recursionAvailable: Bool { flags & 0x0080 != 0 }
    /// The rcode, extended by the OPT record's upper eight bits when there is one (RFC 6891 §6.1.3).
    public var rcode: DNSRcode {
        DNSRcode(rawValue: UInt16(flags & 0xf) | UInt16(opt?.extendedRcodeHigh ?? 0) << 4)
    }
    /// Data of the answer-section records of `type`.
    public func answers(of type: DNSType) -> [String] {
        records.compactMap { $0.section == .answer && $0.type == type ? $0.data : nil }
    }
    /// Data of the records of `type` in any section (as Wireshark's dns.a / dns.aaaa / dns.cname fields).
    public func records(of type: DNSType) -> [String] {
        records.compactMap { $0.type == type ? $0.data : nil }
    }
    /// RFC 2136: an UPDATE's sections are zone, prerequisite, update and additional, not question/answer.
    public var isUpdate: Bool { opcode == 5 }
}
