import NetcorrCore
import NetcorrWire

/// A packet of interest: its number (1-based, as Wireshark counts) and time.
public struct FrameRef: Hashable, Sendable {
    public var frame: Int
    public var ts: Timestamp
    @inlinable public init(frame: Int, ts: Timestamp) { self.frame = frame; self.ts = ts }
    @inlinable public init(_ o: SegmentOrigin) { frame = o.frame; ts = o.ts }
}

/// The first few frames of a kind, and how many there were: bounded, whatever the connection's length.
public struct FirstFrames: Hashable, Sendable {
    public static let limit = 8
    public private(set) var count = 0
    public private(set) var first: [FrameRef] = []
    public var last: FrameRef?
    public init() {}
    @inlinable public var isEmpty: Bool { count == 0 }
    public mutating func add(_ r: FrameRef) {
        count += 1
        if first.count < Self.limit { first.append(r) }
        last = r
    }
}

/// A time during which one side advertised a zero receive window (`tcp.analysis.zero_window` packets),
/// until it advertised a non-zero window again. The other side — the sender — is stalled meanwhile; its
/// probes (Wireshark's zero-window probes, and Linux's probes, which Wireshark calls keep-alives) are counted.
public struct ZeroWindowPeriod: Hashable, Sendable {
    /// The side whose receive window was zero (the receiver that stopped reading).
    public var advertiser: FlowDirection
    /// The first zero-window packet.
    public var start: FrameRef
    /// The first packet from `advertiser` with a non-zero window afterwards; nil while the window is still
    /// zero (at the end of the connection or capture: the sender was still stalled).
    public var end: FrameRef?
    /// The last zero-window packet of the period.
    public var lastZero: FrameRef
    public var zeroWindowPackets: Int
    /// Probes and keep-alives the stalled sender sent during the period.
    public var probes: Int
    /// Until the window opened, or until `now` while it is still zero.
    public func duration(until now: Timestamp) -> Duration { (end?.ts ?? now) - start.ts }
}

/// Retransmissions by one side with no progress in between: the run starts at a retransmitted segment
/// (plain, fast or spurious, SYN included) and ends when the peer acknowledges new data (its ACK number
/// passes the highest it had sent). A run still open when the connection ends is what a retransmission
/// timeout looks like (the sender backing off, unanswered; Linux gives up after tcp_retries2).
public struct RetransmissionRun: Hashable, Sendable {
    public var sender: FlowDirection
    public var first: FrameRef
    public var last: FrameRef
    public var count: Int
    /// False once the peer acknowledged new data.
    public var open: Bool
    /// Time from the first to the last retransmission of the run.
    public var span: Duration { last.ts - first.ts }
}

/// One TCP connection as seen on the wire: handshake, teardown, counts, Wireshark's sequence analysis, what
/// a failure classifier needs, and the two reassembled byte streams.
///
/// Memory is bounded per connection: counters, a few `FrameRef`s, at most `FirstFrames.limit` frames per
/// list and `ZeroWindowPeriod` list, plus what the two `StreamReassembler`s buffer (bounded by
/// `ReassemblyLimits`). Nothing is allocated per packet once the lists are full.
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
    /// SYNs without ACK (from either side; normally the initiator's).
    public private(set) var synCount = 0
    public private(set) var synAckCount = 0
    /// The SYNs without ACK: first frames and the last one.
    public private(set) var syns = FirstFrames()
    public private(set) var synAcks = FirstFrames()
    /// SYNs (with or without ACK) that tshark marks as retransmissions.
    public private(set) var synRetransmissions = 0
    /// First FIN and first RST sent by each side.
    public private(set) var fin = PerDirection<FrameRef?>(repeating: nil)
    public private(set) var rst = PerDirection<FrameRef?>(repeating: nil)
    /// Seen the SYN (or SYN-ACK) that began it; false when the capture joined mid-connection.
    public let sawOpening: Bool
    public private(set) var analysis = TCPAnalysis()
    /// Flags of the last segment analysed (for tests and debugging).
    public private(set) var lastFlags: TCPAnalysisFlags = []
    /// Frames tshark marks `tcp.analysis.retransmission`, per sender.
    public private(set) var retransmissionFrames = PerDirection(repeating: FirstFrames())
    /// Completed zero-window periods (the first `FirstFrames.limit`), their number, and the one still open
    /// per advertiser.
    public private(set) var zeroWindowPeriods: [ZeroWindowPeriod] = []
    public private(set) var zeroWindowPeriodCount = 0
    public private(set) var openZeroWindow = PerDirection<ZeroWindowPeriod?>(repeating: nil)
    /// The longest completed zero-window period.
    public private(set) var longestZeroWindow: ZeroWindowPeriod?
    /// Per sender: the latest retransmission run (open or not) and the longest (by count).
    public private(set) var lastRetransmissionRun = PerDirection<RetransmissionRun?>(repeating: nil)
    public private(set) var longestRetransmissionRun = PerDirection<RetransmissionRun?>(repeating: nil)
    /// Highest ACK number each side sent (valid once `ackSeen`).
    var highestAck = PerDirection<UInt32>(repeating: 0)
    var ackSeen = PerDirection(repeating: false)
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

    /// True once both sides sent FIN, or a RST was seen. (Inlinable: a caller holding the connection in a class
    /// reads two fields instead of copying the connection.)
    @inlinable public var isClosed: Bool {
        (fin.fromInitiator != nil && fin.fromResponder != nil) || rst.fromInitiator != nil || rst.fromResponder != nil
    }

    /// Whether this segment, sent by `src` on this connection's addresses and ports, begins a new connection
    /// (tshark's new tcp.stream): a SYN without ACK whose sequence number differs from the initial sequence
    /// number known for its sender. A SYN with the same ISN — even after FIN or RST — is a retransmission
    /// of this connection's, as tshark counts it.
    @inlinable public func startsNewConnection(_ h: TCPHeader, from src: Endpoint) -> Bool {
        analysis.startsNewConversation(seq: h.seq, flags: h.flags, direction: direction(from: src))
    }

    /// Feeds one segment. Payload bytes go through the direction's reassembler to `sink`. `seglen` is the
    /// payload length the IP header announces (tshark's tcp.len) when the capture truncated the packet;
    /// nil means `payload.count`.
    public mutating func segment<S: StreamSink>(_ h: TCPHeader, direction d: FlowDirection, payload: UnsafeRawBufferPointer,
                                                origin: SegmentOrigin, seglen: Int? = nil, sink: inout S) {
        let i = Int(d.rawValue)
        let len = seglen ?? payload.count
        let here = FrameRef(origin)
        packets[i] += 1
        payloadBytes[i] += len
        lastTS = max(lastTS, origin.ts)
        lastFrame = origin.frame
        let f = analysis.observe(h, direction: d, seglen: len, ts: origin.ts, frame: origin.frame)
        lastFlags = f
        note(h, flags: f, direction: d, at: here)
        if h.flags.contains(.syn) { streams[i].syn(seq: h.seq) }
        if payload.count > 0 && !h.flags.contains(.rst) {
            streams[i].segment(seq: h.seq, payload: payload, origin: origin, sink: &sink)
        }
        if h.flags.contains(.fin) { streams[i].flush(sink: &sink) }
    }

    /// Handshake, teardown, zero-window periods and retransmission runs.
    mutating func note(_ h: TCPHeader, flags f: TCPAnalysisFlags, direction d: FlowDirection, at here: FrameRef) {
        let syn = h.flags.contains(.syn), ack = h.flags.contains(.ack)
        if syn {
            if ack { synAckCount += 1; synAcks.add(here) } else { synCount += 1; syns.add(here) }
            if f.isRetransmission { synRetransmissions += 1 }
        }
        if h.flags.contains(.fin) && fin[d] == nil { fin[d] = here }
        if h.flags.contains(.rst) && rst[d] == nil { rst[d] = here }

        // Zero-window periods: `d` is the advertiser of its own window.
        if f.contains(.zeroWindow) {
            if var p = openZeroWindow[d] {
                p.zeroWindowPackets += 1
                p.lastZero = here
                openZeroWindow[d] = p
            } else {
                openZeroWindow[d] = ZeroWindowPeriod(advertiser: d, start: here, end: nil, lastZero: here,
                                                     zeroWindowPackets: 1, probes: 0)
            }
        } else if h.window != 0 && !syn && !h.flags.contains(.rst), var p = openZeroWindow[d] {
            p.end = here
            openZeroWindow[d] = nil
            zeroWindowPeriodCount += 1
            if zeroWindowPeriods.count < FirstFrames.limit { zeroWindowPeriods.append(p) }
            if longestZeroWindow.map({ $0.duration(until: here.ts) < p.duration(until: here.ts) }) ?? true {
                longestZeroWindow = p
            }
        }
        if !f.intersection([.zeroWindowProbe, .keepAlive]).isEmpty, var p = openZeroWindow[d.reversed] {
            p.probes += 1
            openZeroWindow[d.reversed] = p
        }

        // Retransmission runs: progress is the peer acknowledging new data.
        if ack && (!ackSeen[d] || gtSeq(h.ack, highestAck[d])) {
            if var run = lastRetransmissionRun[d.reversed], run.open {
                run.open = false
                lastRetransmissionRun[d.reversed] = run
                if longestRetransmissionRun[d.reversed]?.first == run.first { longestRetransmissionRun[d.reversed] = run }
            }
            highestAck[d] = h.ack
            ackSeen[d] = true
        }
        if f.isRetransmission {
            retransmissionFrames[d].add(here)
            var run: RetransmissionRun
            if let r = lastRetransmissionRun[d], r.open {
                run = r
                run.count += 1
                run.last = here
            } else {
                run = RetransmissionRun(sender: d, first: here, last: here, count: 1, open: true)
            }
            lastRetransmissionRun[d] = run
            if (longestRetransmissionRun[d]?.count ?? 0) <= run.count { longestRetransmissionRun[d] = run }
        }
    }

    /// End of the capture or of the record: deliver what waits behind holes.
    public mutating func flush<S: StreamSink>(sink: inout S) {
        streams[0].flush(sink: &sink)
        streams[1].flush(sink: &sink)
    }

    public var gapBytes: Int { streams[0].gapBytes + streams[1].gapBytes }

    // MARK: - For the classifier

    public var sawSyn: Bool { synCount > 0 }
    public var sawSynAck: Bool { synAckCount > 0 }

    /// SYN sent (and possibly sent again) with no SYN-ACK, RST or any other packet back: Zeek's S0.
    /// `syns` has the frames (the first `FirstFrames.limit` and the last), `synRetransmissions` how many
    /// tshark marks as retransmissions.
    public var synUnanswered: Bool { state == "S0" }

    /// SYN answered by a RST from the responder without SYN-ACK: connection refused (Zeek's REJ). The
    /// RST is `rst.fromResponder`.
    public var refused: Bool { state == "REJ" }

    /// The side that sent the first RST, if any (by time; the initiator's if both in one instant).
    public var firstRSTFrom: FlowDirection? { firstOf(rst) }
    /// The side that sent the first FIN, if any: who began closing.
    public var firstFINFrom: FlowDirection? { firstOf(fin) }

    func firstOf(_ p: PerDirection<FrameRef?>) -> FlowDirection? {
        switch (p.fromInitiator, p.fromResponder) {
        case (nil, nil): return nil
        case (.some, nil): return .fromInitiator
        case (nil, .some): return .fromResponder
        case let (a?, b?): return b.frame < a.frame ? .fromResponder : .fromInitiator
        }
    }

    /// A zero-window period still open when the connection ended (or the capture did): the sender was
    /// stalled on a receiver that stopped reading. The earliest-started if both sides have one.
    public var stalledOnZeroWindow: ZeroWindowPeriod? {
        switch (openZeroWindow.fromInitiator, openZeroWindow.fromResponder) {
        case let (a?, b?): return b.start.frame < a.start.frame ? b : a
        case let (a, b): return a ?? b
        }
    }

    /// Retransmissions at the end of the connection: `sender`'s last run of retransmissions was never
    /// answered by an ACK of new data — a retransmission timeout in progress (or given up) when the
    /// connection or capture ended. `minimum` retransmissions are required (1 by default).
    public func trailingRetransmissions(minimum: Int = 1) -> RetransmissionRun? {
        var best: RetransmissionRun?
        for d in [FlowDirection.fromInitiator, .fromResponder] {
            if let r = lastRetransmissionRun[d], r.open, r.count >= minimum, best.map({ r.last.ts > $0.last.ts }) ?? true {
                best = r
            }
        }
        return best
    }

    /// Zeek's conn_state (base/protocols/conn/main.zeek), from what was seen. "Originator" is `initiator`
    /// (the SYN's sender; when no SYN was seen, the side the pipeline judged to be the client):
    ///
    /// - S0: SYN seen, no reply at all (SYN retransmissions included).
    /// - REJ: SYN answered by a RST from the responder, no SYN-ACK (connection refused).
    /// - RSTOS0: the originator sent SYN then RST, nothing seen from the responder.
    /// - SH: the originator sent SYN then FIN, nothing seen from the responder.
    /// - S1: established (SYN and SYN-ACK seen), no FIN or RST.
    /// - SF: established, FIN from both sides, no RST.
    /// - S2 / S3: established, FIN from the originator / responder only, no RST.
    /// - RSTR / RSTO: established, RST from the responder / originator (the responder's counts first, as
    ///   in Zeek, when both sent one).
    /// - RSTRH: SYN-ACK seen but no SYN, then a RST from the responder.
    /// - SHR: SYN-ACK seen but no SYN, then a FIN from the responder.
    /// - OTH: anything else, notably no SYN and no SYN-ACK (the capture joined mid-connection), or a SYN
    ///   followed by traffic from the responder without SYN-ACK.
    public var state: String {
        let rstO = rst.fromInitiator != nil, rstR = rst.fromResponder != nil
        let finO = fin.fromInitiator != nil, finR = fin.fromResponder != nil
        switch (sawSyn, sawSynAck) {
        case (true, false):
            if rstR { return "REJ" }
            if packets[1] > 0 { return "OTH" }
            if rstO { return "RSTOS0" }
            if finO { return "SH" }
            return "S0"
        case (false, true):
            if rstR { return "RSTRH" }
            if rstO { return "RSTO" }
            if finR && !finO { return "SHR" }
            return "OTH"
        case (true, true):
            if rstR { return "RSTR" }
            if rstO { return "RSTO" }
            if finO && finR { return "SF" }
            if finO { return "S2" }
            if finR { return "S3" }
            return "S1"
        case (false, false):
            return "OTH"
        }
    }

    public var event: TCPConnectionEvent {
        var e = baseEvent
        if let r = trailingRetransmissions(minimum: 1) {
            e.trailingRetransmissions = TCPRetransmissionRunInfo(sender: r.sender, first: PacketRef(frame: r.first.frame, ts: r.first.ts),
                                                                 last: PacketRef(frame: r.last.frame, ts: r.last.ts), count: r.count)
        }
        if let z = stalledOnZeroWindow ?? longestZeroWindow {
            e.zeroWindowStall = TCPZeroWindowInfo(advertiser: z.advertiser, start: PacketRef(frame: z.start.frame, ts: z.start.ts),
                                                  end: z.end.map { PacketRef(frame: $0.frame, ts: $0.ts) }, probes: z.probes,
                                                  duration: z.duration(until: lastTS))
        }
        e.lastSYN = syns.last.map { PacketRef(frame: $0.frame, ts: $0.ts) }
        return e
    }

    var baseEvent: TCPConnectionEvent {
        TCPConnectionEvent(initiator: initiator, responder: responder, state: state, firstFrame: firstFrame,
                           lastFrame: lastFrame, firstTS: firstTS, lastTS: lastTS,
                           syn: synCount > 0, synAck: synAckCount > 0, synCount: synCount,
                           synFrames: syns.first.map(\.frame),
                           fin: isFinSeen, rst: firstRSTFrom != nil, rstFromResponder: rst.fromResponder != nil,
                           rstFrame: firstRSTFrom.flatMap { rst[$0]?.frame },
                           packets: packets[0] + packets[1], packetsPerDirection: packets,
                           bytes: payloadBytes[0] + payloadBytes[1], bytesPerDirection: payloadBytes,
                           retransmissions: analysis.retransmissions, outOfOrder: analysis.outOfOrder,
                           lostSegments: analysis.lostSegments, zeroWindow: analysis.zeroWindow,
                           keepAlives: analysis.keepAlives, gapBytes: gapBytes)
    }

    var isFinSeen: Bool { fin.fromInitiator != nil || fin.fromResponder != nil }
}

