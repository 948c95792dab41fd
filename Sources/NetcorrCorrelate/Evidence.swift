import NetcorrCore

/// Bounds on what the correlator keeps (constant memory whatever the capture's size).
/// Past a cap, events are counted in `Evidence.dropped` and the report says so. Worst case, about 100 MB.
public struct EvidenceLimits: Sendable {
    public var maxDNSTransactions = 100_000
    public var maxDNSResponses = 10_000
    public var maxTCPConnections = 50_000
    public var maxH2Connections = 5_000
    public var maxH2FramesPerConnection = 512
    public var maxLogEvents = 100_000
    public init() {}
}

/// An HTTP/2 frame header as the correlator needs it (no payload, no strings).
public struct FrameRecord: Sendable, Hashable {
    public var frame: Int
    public var ts: Timestamp
    public var direction: FlowDirection
    public var type: UInt8
    public var flags: UInt8
    public var stream: UInt32
    public var length: Int
}

/// A DNS response as seen on the wire (for replies that the program may have ignored).
public struct DNSResponseRecord: Sendable, Hashable {
    public var frame: Int
    public var ts: Timestamp
    public var server: Endpoint
    public var client: Endpoint
    public var id: UInt16
    public var qname: String?
    public var rcode: DNSRcode
}

/// ARP / neighbor-discovery activity for one address.
public struct NeighborLookups: Sendable {
    public var requests = 0
    public var replies = 0
    public var requestFrames: [Int] = []
    public var firstRequest: Timestamp?
    public var lastRequest: Timestamp?
    /// Asked for more than once and never answered.
    public var unresolved: Bool { requests >= 2 && replies == 0 }
}

/// Everything the correlator looks at, collected from the pipeline's events and the log reader.
public struct Evidence: EventSink {
    public let limits: EvidenceLimits
    public var transactions: [DNSTransaction] = []
    public var responses: [DNSResponseRecord] = []
    public var icmp: [ICMPErrorEvent] = []
    public var tcp: [TCPConnectionEvent] = []
    public var h2: [HTTP2ConnectionSummary] = []
    public var h2Frames: [FlowKey: [FrameRecord]] = [:]
    public var tls: [TLSEvent] = []
    public var logs: [LogEvent] = []
    /// Neighbor lookups (ARP / ND) per target address.
    public var neighbors: [IPAddress: NeighborLookups] = [:]
    public var dropped = 0
    public var captureStart: Timestamp?
    public var captureEnd: Timestamp?
    /// Whether any log was given (rules then say "the log shows" or "no log line").
    public var haveLog = false

    public init(limits: EvidenceLimits = .init()) { self.limits = limits }

    public var wantsDNSMessages: Bool { true }

    mutating func seen(_ ts: Timestamp) {
        if captureStart == nil || ts < captureStart! { captureStart = ts }
        if captureEnd == nil || captureEnd! < ts { captureEnd = ts }
    }

    public mutating func dns(_ e: DNSMessageEvent) {
        seen(e.ts)
        guard e.message.isResponse, !e.quoted, e.duplicateOf == nil else { return }
        guard responses.count < limits.maxDNSResponses else { dropped += 1; return }
        responses.append(DNSResponseRecord(frame: e.frame, ts: e.ts, server: e.src, client: e.dst, id: e.message.id,
                                           qname: e.message.qname, rcode: e.message.rcode))
    }
    public mutating func dnsTransaction(_ t: DNSTransaction) {
        seen(t.queryTS)
        guard transactions.count < limits.maxDNSTransactions else { dropped += 1; return }
        transactions.append(t)
    }
    public mutating func icmp(_ e: ICMPErrorEvent) { seen(e.ts); if icmp.count < 10_000 { icmp.append(e) } }
    public mutating func tcp(_ e: TCPConnectionEvent) {
        seen(e.firstTS); seen(e.lastTS)
        guard tcp.count < limits.maxTCPConnections else { dropped += 1; return }
        tcp.append(e)
    }
    public mutating func h2(_ e: HTTP2FrameEvent) {
        seen(e.ts)
        let k = FlowKey(e.src, e.dst, .tcp)
        if h2Frames[k] == nil && h2Frames.count >= limits.maxH2Connections { dropped += 1; return }
        var list = h2Frames[k, default: []]
        guard list.count < limits.maxH2FramesPerConnection else { return }
        list.append(FrameRecord(frame: e.frame, ts: e.ts, direction: e.direction, type: e.type.rawValue, flags: e.flags,
                                stream: e.stream, length: e.length))
        h2Frames[k] = list
    }
    public mutating func h2Connection(_ s: HTTP2ConnectionSummary) {
        guard h2.count < limits.maxH2Connections else { dropped += 1; return }
        h2.append(s)
    }
    public mutating func neighbor(_ e: NeighborEvent) {
        seen(e.ts)
        if neighbors[e.target] == nil && neighbors.count >= 10_000 { return }
        var n = neighbors[e.target] ?? NeighborLookups()
        if e.isRequest {
            n.requests += 1
            if n.requestFrames.count < 16 { n.requestFrames.append(e.frame) }
            if n.firstRequest == nil { n.firstRequest = e.ts }
            n.lastRequest = e.ts
        } else {
            n.replies += 1
        }
        neighbors[e.target] = n
    }
    public mutating func tls(_ e: TLSEvent) { if tls.count < limits.maxH2Connections { tls.append(e) } }

    public mutating func log(_ e: LogEvent) {
        haveLog = true
        guard e.kind != .unknown else { return }
        guard logs.count < limits.maxLogEvents else { dropped += 1; return }
        logs.append(e)
    }
}
