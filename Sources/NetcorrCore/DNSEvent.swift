/// One DNS message seen on the wire (or quoted inside an ICMP error).
public struct DNSMessageEvent: Sendable {
    /// 1-based packet number; for DNS over TCP the packet holding the message's last byte.
    public var frame: Int
    public var ts: Timestamp
    public var src: Endpoint
    public var dst: Endpoint
    public var transport: Transport
    public var message: DNSMessage
    /// True for a message quoted inside an ICMP error (not itself on the wire as DNS).
    public var quoted: Bool
    /// When the same packet was captured twice (`-i any`: on a veth and on the bridge), the first copy's frame.
    public var duplicateOf: Int?
    public init(frame: Int, ts: Timestamp, src: Endpoint, dst: Endpoint, transport: Transport, message: DNSMessage,
                quoted: Bool = false, duplicateOf: Int? = nil) {
        self.frame = frame; self.ts = ts; self.src = src; self.dst = dst; self.transport = transport
        self.message = message; self.quoted = quoted; self.duplicateOf = duplicateOf
    }
}

/// An ICMP or ICMPv6 error that quotes a datagram we can name (e.g. port unreachable for a DNS query).
public struct ICMPErrorEvent: Sendable {
    public var frame: Int
    public var ts: Timestamp
    /// Who sent the ICMP error.
    public var reporter: IPAddress
    public var v6: Bool
    public var type: UInt8
    public var code: UInt8
    public var name: String
    /// The quoted datagram's endpoints and protocol (6 TCP, 17 UDP).
    public var quotedSrc: Endpoint
    public var quotedDst: Endpoint
    public var quotedProto: UInt8
    /// The quoted DNS id when the quote holds a DNS header.
    public var quotedDNSID: UInt16?
    public init(frame: Int, ts: Timestamp, reporter: IPAddress, v6: Bool, type: UInt8, code: UInt8, name: String,
                quotedSrc: Endpoint, quotedDst: Endpoint, quotedProto: UInt8, quotedDNSID: UInt16?) {
        self.frame = frame; self.ts = ts; self.reporter = reporter; self.v6 = v6; self.type = type; self.code = code
        self.name = name; self.quotedSrc = quotedSrc; self.quotedDst = quotedDst; self.quotedProto = quotedProto
        self.quotedDNSID = quotedDNSID
    }
}

/// A query and what became of it.
public struct DNSTransaction: Sendable {
    public enum Outcome: String, Sendable {
        /// A response arrived within the timeout.
        case answered
        /// No response by the timeout (or the end of the capture, which is then noted).
        case unanswered
        /// An ICMP error (port/host unreachable, prohibited) came back instead.
        case icmpError = "icmp-error"
    }
    // Stored compactly (144 bytes instead of 200: the evidence keeps up to 100,000 transactions and the fold
    // holds healthy answers by the thousand): small fields beside the addresses, optionals as sentinels, counts as
    // Int32. The public properties below read and write them.
    public var client: Endpoint
    public var transport: Transport
    public var id: UInt16
    public var server: Endpoint
    public var qtype: DNSType
    var rcodeRaw: UInt16 = .max
    public var qname: String { didSet { nameHash = FastHash.name(qname) } }
    /// `FastHash.name(qname)`, kept with the name: the tables keyed by a transaction's name hash it once.
    public private(set) var nameHash: UInt64
    public var queryFrame: Int
    public var queryTS: Timestamp
    var responseNS: Int64 = .min
    var responseFrameRaw: Int = .min
    var retryOfRaw: Int = .min
    var afterTruncationRaw: Int = .min
    var answersRaw: Int32 = 0
    var attemptRaw: Int32 = 1
    public var outcome: Outcome
    public var truncated: Bool
    /// A response that arrived after the timeout or after the client had already retried.
    public var late: Bool
    /// The capture ended before the timeout passed for this unanswered query.
    public var endedByCapture: Bool
    var icmpBox: ICMPBox?

    public var responseFrame: Int? {
        get { responseFrameRaw == .min ? nil : responseFrameRaw }
        set { responseFrameRaw = newValue ?? .min }
    }
    public var responseTS: Timestamp? {
        get { responseNS == .min ? nil : Timestamp(nanoseconds: responseNS) }
        set { responseNS = newValue?.nanoseconds ?? .min }
    }
    public var rcode: DNSRcode? {
        get { rcodeRaw == .max ? nil : DNSRcode(rawValue: rcodeRaw) }
        set { rcodeRaw = newValue?.rawValue ?? .max }
    }
    public var answers: Int {
        get { Int(answersRaw) }
        set { answersRaw = Int32(clamping: newValue) }
    }
    /// The ICMP error that settled the query. Boxed: most transactions have none, and inline it was more than a
    /// third of the transaction's size.
    public var icmp: ICMPErrorEvent? {
        get { icmpBox?.event }
        set { icmpBox = newValue.map(ICMPBox.init) }
    }
    /// 1 for the first try of this question by this client, 2 for the next…
    public var attempt: Int {
        get { Int(attemptRaw) }
        set { attemptRaw = Int32(clamping: newValue) }
    }
    /// The query frame of the previous attempt of the same question by the same client.
    public var retryOf: Int? {
        get { retryOfRaw == .min ? nil : retryOfRaw }
        set { retryOfRaw = newValue ?? .min }
    }
    /// For a TCP query that follows a truncated UDP answer: that answer's frame.
    public var afterTruncation: Int? {
        get { afterTruncationRaw == .min ? nil : afterTruncationRaw }
        set { afterTruncationRaw = newValue ?? .min }
    }
    public var rtt: Duration? { responseTS.map { $0 - queryTS } }

    /// `nameHash` is `FastHash.name(qname)` when the caller has it (the tracker takes it from the message).
    public init(client: Endpoint, server: Endpoint, transport: Transport, id: UInt16, qname: String, qtype: DNSType,
                queryFrame: Int, queryTS: Timestamp, nameHash: UInt64? = nil) {
        self.client = client; self.server = server; self.transport = transport; self.id = id; self.qname = qname
        self.nameHash = nameHash ?? FastHash.name(qname)
        self.qtype = qtype; self.queryFrame = queryFrame; self.queryTS = queryTS; self.outcome = .unanswered
        self.truncated = false; self.late = false; self.endedByCapture = false
    }
}

/// An ARP request or reply (IPv4 over Ethernet), or an IPv6 neighbor solicitation/advertisement: how a host
/// finds the link-layer address of the next hop. Requests nobody answers mean the address is not there.
public struct NeighborEvent: Sendable {
    public var frame: Int
    public var ts: Timestamp
    /// true: who-has / neighbor solicitation; false: is-at / neighbor advertisement.
    public var isRequest: Bool
    /// The address being looked for (request) or announced (reply).
    public var target: IPAddress
    public var sender: IPAddress
    public init(frame: Int, ts: Timestamp, isRequest: Bool, target: IPAddress, sender: IPAddress) {
        self.frame = frame; self.ts = ts; self.isRequest = isRequest; self.target = target; self.sender = sender
    }
}

final class ICMPBox: Sendable {
    let event: ICMPErrorEvent
    init(_ event: ICMPErrorEvent) { self.event = event }
}
