import NetcorrCore
import NetcorrWire

/// Wireshark-style sequence analysis (retransmission, out-of-order, lost segment, zero window, keep-alive).
/// A first cut: per direction, the highest sequence number seen so far decides.
public struct TCPAnalysis: Sendable {
    public private(set) var retransmissions = 0
    public private(set) var outOfOrder = 0
    public private(set) var lostSegments = 0
    public private(set) var zeroWindow = 0
    public private(set) var keepAlives = 0
    var nextSeq: [UInt32?] = [nil, nil]
    public init() {}

    mutating func observe(_ h: TCPHeader, direction d: FlowDirection, payloadCount: Int, origin: SegmentOrigin) {
        let i = Int(d.rawValue)
        if h.window == 0 && !h.flags.contains(.rst) && !h.flags.contains(.syn) && !h.flags.contains(.fin) { zeroWindow += 1 }
        let seqLen = payloadCount + (h.flags.contains(.syn) ? 1 : 0) + (h.flags.contains(.fin) ? 1 : 0)
        guard let expected = nextSeq[i] else {
            nextSeq[i] = h.seq &+ UInt32(truncatingIfNeeded: seqLen)
            return
        }
        guard seqLen > 0 else { return }
        let d0 = seqDiff(h.seq, expected)
        if payloadCount == 1 && d0 == -1 { keepAlives += 1; return }
        if d0 > 0 { lostSegments += 1 }
        if d0 < 0 {
            let end = h.seq &+ UInt32(truncatingIfNeeded: seqLen)
            if seqDiff(end, expected) <= 0 { retransmissions += 1 } else { retransmissions += 1 }
        }
        let end = h.seq &+ UInt32(truncatingIfNeeded: seqLen)
        if seqDiff(end, expected) > 0 { nextSeq[i] = end }
    }
}
