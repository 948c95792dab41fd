import NetcorrCore

/// Bounds on what the correlator keeps (constant memory whatever the capture's size).
/// Past a cap, events are counted in `Evidence.dropped` and the report says so. Worst case, about 100 MB.
public struct EvidenceLimits: Sendable {
    public var maxDNSTransactions = 100_000
    public var maxDNSResponses = 10_000
    public var maxTCPConnections = 50_000
    public var maxH2Connections = 5_000
    /// HTTP/2 connections kept whatever they show; past it only those with a problem.
    public var maxH2ConnectionsInFull = 500
    public var maxH2FramesPerConnection = 128
    /// Frame records kept over all connections (the log's frames are matched on the first ones).
    public var maxH2FramesTotal = 200_000
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
    var h2FrameCount = 0
    public var tls: [TLSEvent] = []
    public var logs: [LogEvent] = []
    /// Neighbor lookups (ARP / ND) per target address.
    public var neighbors: [IPAddress: NeighborLookups] = [:]
    public var dropped = 0
    /// Healthy HTTP/2 connections not kept past `maxH2ConnectionsInFull`.
    public var healthyH2Dropped = 0
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
        guard h2FrameCount < limits.maxH2FramesTotal, (h2Frames[k]?.count ?? 0) < limits.maxH2FramesPerConnection else { return }
        h2FrameCount += 1
        h2Frames[k, default: []].append(FrameRecord(frame: e.frame, ts: e.ts, direction: e.direction, type: e.type.rawValue,
                                                    flags: e.flags, stream: e.stream, length: e.length))
    }
    public mutating func h2Connection(_ s: HTTP2ConnectionSummary) {
        // Past the first `maxH2ConnectionsInFull`, only connections with something the rules look at are kept
        // (memory stays flat on a capture of thousands of healthy connections).
        guard h2.count < limits.maxH2Connections else { dropped += 1; return }
        if h2.count >= limits.maxH2ConnectionsInFull && !Self.mayMatter(s) { healthyH2Dropped += 1; return }
        h2.append(s)
    }

    /// A GOAWAY, a reset or failed or unfinished stream, an unanswered PING or SETTINGS, a stall.
    static func mayMatter(_ s: HTTP2ConnectionSummary) -> Bool {
        if !s.goaways.isEmpty || !s.stalls.isEmpty { return true }
        if s.pings.contains(where: { $0.ackTs == nil }) || s.settings.contains(where: { $0.ackTs == nil }) { return true }
        return s.streams.contains { st in
            if let x = st.status, x >= 500 { return true }
            if let g = st.grpcStatus, g != 0 { return true }
            switch st.endedBy {
            case .endStream: return false
            default: return true
            }
        }
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
