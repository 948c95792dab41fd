import NetcorrCore
import NetcorrWire

/// One TCP connection as seen on the wire: handshake, teardown, counts, and the two reassembled byte streams.
public struct TCPConnection: Sendable {
    public let initiator: Endpoint
    public let responder: Endpoint
    /// The packet that opened this record (1-based).
    public let firstFrame: Int
    public private(set) var firstTS: Timestamp
    public private(set) var lastTS: Timestamp
    public private(set) var lastFrame: Int
    /// Per direction (index FlowDirection.rawValue).
    public private(set) var packets = [0, 0]
    public private(set) var payloadBytes = [0, 0]
    public private(set) var synCount = 0
    public private(set) var synAckCount = 0
    public private(set) var finSeen = [false, false]
    public private(set) var rstSeen = [false, false]
    public private(set) var synFrames: [Int] = []
    public private(set) var rstFrame: Int?
    /// Seen the SYN (or SYN-ACK) that began it; false when the capture joined mid-connection.
    public let sawOpening: Bool
    public var analysis = TCPAnalysis()
    var streams: [StreamReassembler]

    public init(initiator: Endpoint, responder: Endpoint, origin: SegmentOrigin, sawOpening: Bool, limits: ReassemblyLimits) {
        self.initiator = initiator
        self.responder = responder
        self.firstFrame = origin.frame
        self.firstTS = origin.ts
        self.lastTS = origin.ts
        self.lastFrame = origin.frame
        self.sawOpening = sawOpening
        streams = [StreamReassembler(direction: .fromInitiator, limits: limits),
                   StreamReassembler(direction: .fromResponder, limits: limits)]
    }

    @inlinable public func direction(from src: Endpoint) -> FlowDirection {
        src == initiator ? .fromInitiator : .fromResponder
    }

    /// True once both sides sent FIN, or a RST was seen.
    public var isClosed: Bool { (finSeen[0] && finSeen[1]) || rstSeen[0] || rstSeen[1] }

    /// Feeds one segment. Payload bytes go through the direction's reassembler to `sink`.
    public mutating func segment<S: StreamSink>(_ h: TCPHeader, direction d: FlowDirection, payload: UnsafeRawBufferPointer,
                                                origin: SegmentOrigin, sink: inout S) {
        let i = Int(d.rawValue)
        packets[i] += 1
        payloadBytes[i] += payload.count
        lastTS = max(lastTS, origin.ts)
        lastFrame = origin.frame
        if h.flags.contains(.syn) {
            if h.flags.contains(.ack) { synAckCount += 1 } else { synCount += 1; synFrames.append(origin.frame) }
            streams[i].syn(seq: h.seq)
        }
        if h.flags.contains(.rst) { rstSeen[i] = true; if rstFrame == nil { rstFrame = origin.frame } }
        analysis.observe(h, direction: d, payloadCount: payload.count, origin: origin)
        if payload.count > 0 && !h.flags.contains(.rst) {
            streams[i].segment(seq: h.seq, payload: payload, origin: origin, sink: &sink)
        }
        if h.flags.contains(.fin) {
            finSeen[i] = true
            streams[i].flush(sink: &sink)
        }
    }

    /// End of the capture or of the record: deliver what waits behind holes.
    public mutating func flush<S: StreamSink>(sink: inout S) {
        streams[0].flush(sink: &sink)
        streams[1].flush(sink: &sink)
    }

    public var gapBytes: Int { streams[0].gapBytes + streams[1].gapBytes }

    /// Zeek's conn_state, from what was seen (see docs/EVENTS.md):
    /// S0 SYN unanswered; REJ SYN answered by RST; S1 established, not closed; SF normal close (FIN both ways);
    /// S2/S3 FIN from one side only (originator/responder); RSTO/RSTR reset by originator/responder after
    /// establishment; RSTOS0 originator SYN then RST; RSTRH responder SYN-ACK then RST, no SYN seen;
    /// SH/SHR originator/responder sent a FIN with no SYN-ACK/SYN seen; OTH no SYN seen (mid-stream).
    public var state: String {
        let established = synCount > 0 && synAckCount > 0
        if synCount > 0 && synAckCount == 0 {
            if rstSeen[1] { return "REJ" }
            if rstSeen[0] { return "RSTOS0" }
            if finSeen[0] { return "SH" }
            return packets[1] > 0 ? "OTH" : "S0"
        }
        if synCount == 0 && synAckCount > 0 {
            if rstSeen[1] { return "RSTRH" }
            if finSeen[1] { return "SHR" }
            return "OTH"
        }
        if established {
            if rstSeen[0] { return "RSTO" }
            if rstSeen[1] { return "RSTR" }
            if finSeen[0] && finSeen[1] { return "SF" }
            if finSeen[0] { return "S2" }
            if finSeen[1] { return "S3" }
            return "S1"
        }
        return "OTH"
    }

    public var event: TCPConnectionEvent {
        TCPConnectionEvent(initiator: initiator, responder: responder, state: state, firstFrame: firstFrame,
                           lastFrame: lastFrame, firstTS: firstTS, lastTS: lastTS,
                           syn: synCount > 0, synAck: synAckCount > 0, synCount: synCount, synFrames: synFrames,
                           fin: finSeen[0] || finSeen[1], rst: rstSeen[0] || rstSeen[1], rstFromResponder: rstSeen[1],
                           rstFrame: rstFrame,
                           packets: packets[0] + packets[1], packetsPerDirection: packets,
                           bytes: payloadBytes[0] + payloadBytes[1], bytesPerDirection: payloadBytes,
                           retransmissions: analysis.retransmissions, outOfOrder: analysis.outOfOrder,
                           lostSegments: analysis.lostSegments, zeroWindow: analysis.zeroWindow,
                           keepAlives: analysis.keepAlives, gapBytes: gapBytes)
    }
}
