/// A packet: its number and time.
public struct PacketRef: Hashable, Sendable {
    public var frame: Int
    public var ts: Timestamp
    public init(frame: Int, ts: Timestamp) { self.frame = frame; self.ts = ts }
}

/// Retransmissions by one side that the peer never acknowledged: what a retransmission timeout looks like.
public struct TCPRetransmissionRunInfo: Hashable, Sendable {
    public var sender: FlowDirection
    public var first: PacketRef
    public var last: PacketRef
    public var count: Int
    public init(sender: FlowDirection, first: PacketRef, last: PacketRef, count: Int) {
        self.sender = sender; self.first = first; self.last = last; self.count = count
    }
}

/// A zero receive window: the advertiser stopped reading, the other side was stalled.
public struct TCPZeroWindowInfo: Hashable, Sendable {
    public var advertiser: FlowDirection
    public var start: PacketRef
    /// nil: still zero when the connection or capture ended.
    public var end: PacketRef?
    public var probes: Int
    public var duration: Duration
    public init(advertiser: FlowDirection, start: PacketRef, end: PacketRef?, probes: Int, duration: Duration) {
        self.advertiser = advertiser; self.start = start; self.end = end; self.probes = probes; self.duration = duration
    }
}

/// One TCP connection, reported when it ends or the capture ends.
public struct TCPConnectionEvent: Sendable {
    public var initiator: Endpoint
    public var responder: Endpoint
    /// Zeek-like conn_state: S0, REJ, S1, SF, S2, S3, RSTO, RSTR, RSTOS0, RSTRH, SH, SHR, OTH.
    public var state: String
    public var firstFrame: Int
    public var lastFrame: Int
    public var firstTS: Timestamp
    public var lastTS: Timestamp
    public var syn: Bool
    public var synAck: Bool
    public var synCount: Int
    public var synFrames: [Int]
    public var fin: Bool
    public var rst: Bool
    public var rstFromResponder: Bool
    public var rstFrame: Int?
    public var packets: Int
    public var packetsPerDirection: [Int]
    public var bytes: Int
    public var bytesPerDirection: [Int]
    public var retransmissions: Int
    public var outOfOrder: Int
    public var lostSegments: Int
    public var zeroWindow: Int
    public var keepAlives: Int
    public var gapBytes: Int
    /// The run of retransmissions still unanswered at the end (retransmission timeout), if any.
    public var trailingRetransmissions: TCPRetransmissionRunInfo?
    /// The longest zero-window period (the one still open at the end first).
    public var zeroWindowStall: TCPZeroWindowInfo?
    /// The last SYN, with its time (for SYN timeouts).
    public var lastSYN: PacketRef?

    public init(initiator: Endpoint, responder: Endpoint, state: String, firstFrame: Int, lastFrame: Int,
                firstTS: Timestamp, lastTS: Timestamp, syn: Bool, synAck: Bool, synCount: Int, synFrames: [Int],
                fin: Bool, rst: Bool, rstFromResponder: Bool, rstFrame: Int?, packets: Int, packetsPerDirection: [Int],
                bytes: Int, bytesPerDirection: [Int], retransmissions: Int, outOfOrder: Int, lostSegments: Int,
                zeroWindow: Int, keepAlives: Int, gapBytes: Int) {
        self.initiator = initiator; self.responder = responder; self.state = state; self.firstFrame = firstFrame
        self.lastFrame = lastFrame; self.firstTS = firstTS; self.lastTS = lastTS; self.syn = syn; self.synAck = synAck
        self.synCount = synCount; self.synFrames = synFrames; self.fin = fin; self.rst = rst
        self.rstFromResponder = rstFromResponder; self.rstFrame = rstFrame; self.packets = packets
        self.packetsPerDirection = packetsPerDirection; self.bytes = bytes; self.bytesPerDirection = bytesPerDirection
        self.retransmissions = retransmissions; self.outOfOrder = outOfOrder; self.lostSegments = lostSegments
        self.zeroWindow = zeroWindow; self.keepAlives = keepAlives; self.gapBytes = gapBytes
    }
}
