/// Which way bytes travel on a connection: from the side that opened it (sent the SYN, or, when the capture
/// joined mid-connection, the side judged to be the client) or back.
public enum FlowDirection: UInt8, Hashable, Sendable {
    case fromInitiator = 0
    case fromResponder = 1
    @inlinable public var reversed: FlowDirection { self == .fromInitiator ? .fromResponder : .fromInitiator }
}

/// Where a chunk of in-order stream bytes came from: the packet (1-based, as Wireshark counts) and its time.
public struct SegmentOrigin: Hashable, Sendable {
    public var frame: Int
    public var ts: Timestamp
    @inlinable public init(frame: Int, ts: Timestamp) { self.frame = frame; self.ts = ts }
}
