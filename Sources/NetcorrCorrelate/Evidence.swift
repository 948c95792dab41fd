import NetcorrCore

/// Bounds on what the correlator keeps (constant memory whatever the capture's size).
/// Past a cap, events are counted in `Evidence.dropped` and the report says so. Worst case, about 100 MB.
public struct EvidenceLimits: Sendable {
    public var maxDNSTransactions = 100_000
    public var maxDNSResponses = 10_000
    public var maxTCPConnections = 50_000
    /// With `countHealthy`: TCP and HTTP/2 connections kept whatever they show (the report's first rows); past it
    /// only those a rule can use, and the first struggling TCP connections the report lists.
    public var maxConnectionsInFullWhenCounting = 64
    /// No log will be correlated and no timeline drawn (`netcorr replay` without --log or --html). Then past the
    /// first `maxConnectionsInFullWhenCounting` connections, healthy ones leave only counts:
    /// their TCP record, their frame records and the healthy streams of a kept HTTP/2 connection serve no rule
    /// (log lines are tied to connections by their frames and SYNs, so with a log everything is kept up to the
    /// caps). Memory then follows the failures, not the file.
    public var countHealthy = false
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
    /// Every TCP connection reported, kept or not, and their states (Zeek's conn_state).
    public var tcpCount = 0
    public var tcpStates: [String: Int] = [:]
    /// Connections that `struggled` but were not kept (`countHealthy`).
    public var tcpStruggledNotKept = 0
    var tcpStruggledKept = 0
    /// Kept HTTP/2 connections whose TCP record is still to come (the summary comes first): the rules need it.
    var h2KeysWanted: Set<FlowKey> = []
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
    /// Streams of healthy HTTP/2 connections not kept, and (`countHealthy`) healthy streams of kept ones.
    public var h2StreamsNotKept = 0
    /// GOAWAYs of healthy HTTP/2 connections not kept, and (`countHealthy`) graceful ones (NO_ERROR, nothing
    /// cut) of kept connections.
    public var h2GoawaysNotKept = 0
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
        tcpCount += 1
        tcpStates[e.state, default: 0] += 1
        let struggled = Self.struggled(e)
        let h2Kept = limits.countHealthy && h2KeysWanted.remove(FlowKey(e.initiator, e.responder, .tcp)) != nil
        if limits.countHealthy && tcp.count >= limits.maxConnectionsInFullWhenCounting && !h2Kept && !Self.mayMatter(e) {
            // The report lists the first struggling connections (30 rows) and counts the others.
            guard struggled && tcpStruggledKept < 64 else {
                if struggled { tcpStruggledNotKept += 1 }
                return
            }
        }
        guard tcp.count < limits.maxTCPConnections else {
            dropped += 1
            if struggled { tcpStruggledNotKept += 1 }
            return
        }
        if struggled { tcpStruggledKept += 1 }
        tcp.append(e)
    }

    /// What the report lists as "failed or struggled".
    public static func struggled(_ c: TCPConnectionEvent) -> Bool {
        ["S0", "REJ", "RSTR", "RSTO", "RSTOS0", "SH"].contains(c.state) || c.retransmissions > 0 || c.zeroWindow > 0
    }

    /// Anything but a connection closed normally by both sides: refused, reset, unanswered, still open,
    /// retransmitting at the end, stalled on a zero window, or silent from the responder (a DNS retry over TCP).
    static func mayMatter(_ c: TCPConnectionEvent) -> Bool {
        c.state != "SF" || c.rst || c.trailingRetransmissions != nil || c.zeroWindowStall != nil
            || (c.bytesPerDirection.count > 1 && c.bytesPerDirection[1] == 0)
    }
    public mutating func h2(_ e: HTTP2FrameEvent) {
        seen(e.ts)
        let k = FlowKey(e.src, e.dst, .tcp)
        let r = FrameRecord(frame: e.frame, ts: e.ts, direction: e.direction, type: e.type.rawValue, flags: e.flags,
                            stream: e.stream, length: e.length)
        // One hash of the key per frame; the connection's list is appended to in place.
        if let i = h2Frames.index(forKey: k) {
            guard h2FrameCount < limits.maxH2FramesTotal, h2Frames.values[i].count < limits.maxH2FramesPerConnection else { return }
            h2FrameCount += 1
            h2Frames.values[i].append(r)
        } else {
            guard h2Frames.count < limits.maxH2Connections else { dropped += 1; return }
            guard h2FrameCount < limits.maxH2FramesTotal else { return }
            h2FrameCount += 1
            h2Frames[k] = [r]
        }
    }
    public mutating func h2Connection(_ s: HTTP2ConnectionSummary) {
        // Past the first `maxH2ConnectionsInFull`, only connections with something the rules look at are kept
        // (memory stays flat on a capture of thousands of healthy connections).
        let k = FlowKey(s.client, s.server, .tcp)
        guard h2.count < limits.maxH2Connections else {
            dropped += 1
            if limits.countHealthy { dropFrames(k) }
            return
        }
        let inFull = limits.countHealthy ? min(limits.maxH2ConnectionsInFull, limits.maxConnectionsInFullWhenCounting)
            : limits.maxH2ConnectionsInFull
        guard h2.count < inFull || Self.mayMatter(s) else {
            healthyH2Dropped += 1
            h2StreamsNotKept += s.streams.count
            h2GoawaysNotKept += s.goaways.count
            if limits.countHealthy { dropFrames(k) }
            return
        }
        guard limits.countHealthy else { h2.append(s); return }
        guard h2.count >= inFull else { h2KeysWanted.insert(k); h2.append(s); return }
        // The TCP record only when a rule reads more of it than its state: streams left unanswered (was the
        // connection closed?), an unanswered PING (did the peer's TCP still talk?).
        let unanswered = s.pings.contains { $0.ackTs == nil }
        if unanswered || s.streams.contains(where: { if case .unfinished = $0.endedBy { return true } else { return false } }) {
            h2KeysWanted.insert(k)
        }
        // Only the streams, SETTINGS and GOAWAYs a rule looks at; the frame records only for an unanswered PING.
        var s = s
        s.settings = s.settings.filter { $0.ackTs == nil }
        let goaways = s.goaways.count
        s.goaways = s.goaways.filter { $0.errorCode != .noError || !$0.streamsCut.isEmpty }
        h2GoawaysNotKept += goaways - s.goaways.count
        s.anomalies = AnomalyCounts()
        let all = s.streams.count
        s.streams = s.streams.filter(Self.mayMatter)   // a new array: the whole one's storage goes
        h2StreamsNotKept += all - s.streams.count
        if !unanswered { dropFrames(k) }
        h2.append(s)
    }

    mutating func dropFrames(_ k: FlowKey) {
        if let f = h2Frames.removeValue(forKey: k) { h2FrameCount -= f.count }
    }

    /// A GOAWAY with an error or streams cut, a reset or failed or unfinished stream, an unanswered PING or
    /// SETTINGS, a stall. (A graceful GOAWAY that cut nothing is how healthy connections end.)
    static func mayMatter(_ s: HTTP2ConnectionSummary) -> Bool {
        if s.goaways.contains(where: { $0.errorCode != .noError || !$0.streamsCut.isEmpty }) || !s.stalls.isEmpty { return true }
        if s.pings.contains(where: { $0.ackTs == nil }) || s.settings.contains(where: { $0.ackTs == nil }) { return true }
        return s.streams.contains(where: mayMatter)
    }

    /// A stream that answered 5xx or a gRPC error, or did not end with END_STREAM both ways.
    static func mayMatter(_ st: HTTP2StreamSummary) -> Bool {
        if let x = st.status, x >= 500 { return true }
        if let g = st.grpcStatus, g != 0 { return true }
        switch st.endedBy {
        case .endStream: return false
        default: return true
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
