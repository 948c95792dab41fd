import DequeModule
import NetcorrCore

/// Bounds on reassembly. Values, not hidden constants.
public struct ReassemblyLimits: Sendable {
    /// Out-of-order bytes buffered per direction before the reassembler gives up waiting for the hole and
    /// skips it (a gap is reported).
    public var maxBufferedBytesPerDirection: Int = 1 << 20
    /// Out-of-order segments buffered per direction.
    public var maxBufferedSegmentsPerDirection: Int = 1024
    public init() {}
}

/// What the reassembler hands to a stream consumer.
public protocol StreamSink {
    /// In-order bytes, valid only during the call.
    mutating func bytes(_ b: UnsafeRawBufferPointer, direction: FlowDirection, origin: SegmentOrigin)
    /// `count` bytes of this direction will never arrive (lost before the capture point, or the buffer
    /// limit was hit). The consumer must resynchronise.
    mutating func gap(_ count: Int, direction: FlowDirection, origin: SegmentOrigin)
}

/// Sequence-number arithmetic modulo 2^32 (RFC 9293 §3.4): a - b as a signed distance.
@inlinable func seqDiff(_ a: UInt32, _ b: UInt32) -> Int { Int(Int32(bitPattern: a &- b)) }

/// One direction of a TCP connection turned into an ordered byte stream. In-order data is delivered straight
/// from the packet (no copy); only out-of-order segments are copied, bounded by `ReassemblyLimits`.
/// Retransmitted and overlapping bytes are delivered once (the first copy wins, as in most stacks).
public struct StreamReassembler: Sendable {
    struct Pending: Sendable {
        var seq: UInt32
        var bytes: [UInt8]
        var origin: SegmentOrigin
    }
    /// The next sequence number expected; nil until the first SYN or data segment.
    public private(set) var nextSeq: UInt32?
    var pending: Deque<Pending> = []
    var pendingBytes = 0
    public private(set) var deliveredBytes = 0
    public private(set) var gapBytes = 0
    public private(set) var overflowed = 0
    public let direction: FlowDirection
    let limits: ReassemblyLimits

    public init(direction: FlowDirection, limits: ReassemblyLimits = .init()) {
        self.direction = direction
        self.limits = limits
    }

    /// A SYN fixes the initial sequence number; data starts at ISN + 1.
    public mutating func syn(seq: UInt32) {
        if nextSeq == nil { nextSeq = seq &+ 1 }
    }

    /// A segment's payload. Returns how the segment related to the stream (for analysis).
    @discardableResult
    public mutating func segment<S: StreamSink>(seq: UInt32, payload: UnsafeRawBufferPointer, origin: SegmentOrigin,
                                                 sink: inout S) -> SegmentFate {
        guard payload.count > 0 else { return .empty }
        guard let expected = nextSeq else {
            // Joined mid-connection: the first data we see starts the stream.
            nextSeq = seq
            return segment(seq: seq, payload: payload, origin: origin, sink: &sink)
        }
        let d = seqDiff(seq, expected)
        if d <= 0 {
            let skip = -d
            if skip >= payload.count { return .retransmission }
            let fresh = UnsafeRawBufferPointer(rebasing: payload[skip...])
            deliver(fresh, origin: origin, sink: &sink)
            drain(sink: &sink)
            return skip > 0 ? .partialOverlap : .inOrder
        }
        // A hole before this segment: keep a copy, ordered by sequence number.
        if pending.count >= limits.maxBufferedSegmentsPerDirection
            || pendingBytes + payload.count > limits.maxBufferedBytesPerDirection {
            overflowed += 1
            // Give up on the hole: skip to the earliest data we hold (or this segment).
            skipToEarliest(orBefore: seq, origin: origin, sink: &sink)
            return segment(seq: seq, payload: payload, origin: origin, sink: &sink)
        }
        var i = pending.endIndex
        while i > pending.startIndex && seqDiff(pending[i - 1].seq, seq) > 0 { i -= 1 }
        if i > pending.startIndex, pending[i - 1].seq == seq, pending[i - 1].bytes.count >= payload.count {
            return .retransmission
        }
        pending.insert(Pending(seq: seq, bytes: Array(payload), origin: origin), at: i)
        pendingBytes += payload.count
        return .outOfOrder
    }

    /// Delivers what is buffered past any holes (end of connection or of capture), reporting each hole.
    public mutating func flush<S: StreamSink>(sink: inout S) {
        while let first = pending.first {
            skipToEarliest(orBefore: first.seq, origin: first.origin, sink: &sink)
            drain(sink: &sink)
        }
    }

    public var bufferedBytes: Int { pendingBytes }

    mutating func skipToEarliest<S: StreamSink>(orBefore seq: UInt32, origin: SegmentOrigin, sink: inout S) {
        guard let expected = nextSeq else { return }
        var target = seq
        if let f = pending.first, seqDiff(f.seq, target) < 0 { target = f.seq }
        let missing = seqDiff(target, expected)
        if missing > 0 {
            gapBytes += missing
            sink.gap(missing, direction: direction, origin: origin)
            nextSeq = target
        }
        drain(sink: &sink)
    }

    mutating func deliver<S: StreamSink>(_ b: UnsafeRawBufferPointer, origin: SegmentOrigin, sink: inout S) {
        sink.bytes(b, direction: direction, origin: origin)
        deliveredBytes += b.count
        nextSeq = nextSeq! &+ UInt32(truncatingIfNeeded: b.count)
    }

    mutating func drain<S: StreamSink>(sink: inout S) {
        while let f = pending.first, let expected = nextSeq, seqDiff(f.seq, expected) <= 0 {
            pending.removeFirst()
            pendingBytes -= f.bytes.count
            let skip = -seqDiff(f.seq, expected)
            if skip < f.bytes.count {
                f.bytes.withUnsafeBytes { raw in
                    deliver(UnsafeRawBufferPointer(rebasing: raw[skip...]), origin: f.origin, sink: &sink)
                }
            }
        }
    }
}

/// How a data segment related to what the stream had already seen.
public enum SegmentFate: Sendable {
    case empty, inOrder, partialOverlap, retransmission, outOfOrder
}
