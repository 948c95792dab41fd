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
