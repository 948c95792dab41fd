import NetcorrCore
import NetcorrWire

/// What Wireshark's sequence analysis says of one segment (`tcp.analysis.*`). Several may be set at once.
public struct TCPAnalysisFlags: OptionSet, Hashable, Sendable {
    public var rawValue: UInt32
    @inlinable public init(rawValue: UInt32) { self.rawValue = rawValue }
    /// `tcp.analysis.retransmission` alone: data (or SYN/FIN) below the highest sequence number seen, not
    /// explained as one of the kinds below.
    public static let retransmission = TCPAnalysisFlags(rawValue: 1 << 0)
    /// `tcp.analysis.fast_retransmission`: at the sequence number the peer has dup-ACKed at least twice,
    /// within 20 ms of its last ACK.
    public static let fastRetransmission = TCPAnalysisFlags(rawValue: 1 << 1)
    /// `tcp.analysis.spurious_retransmission`: data the peer had already acknowledged.
    public static let spuriousRetransmission = TCPAnalysisFlags(rawValue: 1 << 2)
    /// `tcp.analysis.out_of_order`: below the highest sequence number, within the initial RTT (or 3 ms) of it.
    public static let outOfOrder = TCPAnalysisFlags(rawValue: 1 << 3)
    /// `tcp.analysis.lost_segment` ("previous segment not captured"): starts beyond the highest sequence
    /// number seen (not checked on RST).
    public static let lostSegment = TCPAnalysisFlags(rawValue: 1 << 4)
    /// `tcp.analysis.ack_lost_segment` ("ACKed unseen segment").
    public static let ackedUnseenSegment = TCPAnalysisFlags(rawValue: 1 << 5)
    /// `tcp.analysis.keep_alive`: 0 or 1 byte at next-sequence − 1, no SYN/FIN/RST. Linux's zero-window
    /// probes have this shape too.
    public static let keepAlive = TCPAnalysisFlags(rawValue: 1 << 6)
    public static let keepAliveAck = TCPAnalysisFlags(rawValue: 1 << 7)
    /// `tcp.analysis.zero_window`: window field 0, no SYN/FIN/RST.
    public static let zeroWindow = TCPAnalysisFlags(rawValue: 1 << 8)
    /// `tcp.analysis.zero_window_probe`: exactly 1 byte at next-sequence while the peer advertises 0.
    public static let zeroWindowProbe = TCPAnalysisFlags(rawValue: 1 << 9)
    public static let zeroWindowProbeAck = TCPAnalysisFlags(rawValue: 1 << 10)
    public static let windowUpdate = TCPAnalysisFlags(rawValue: 1 << 11)
    /// `tcp.analysis.window_full`: the segment ends exactly at the edge of the peer's advertised window.
    public static let windowFull = TCPAnalysisFlags(rawValue: 1 << 12)
    public static let duplicateAck = TCPAnalysisFlags(rawValue: 1 << 13)

    /// What tshark marks with the field `tcp.analysis.retransmission`: plain, fast and spurious
    /// retransmissions all carry it (packet-tcp.c adds `ei_tcp_analysis_retransmission` for all three).
    @inlinable public var isRetransmission: Bool {
        !intersection([.retransmission, .fastRetransmission, .spuriousRetransmission]).isEmpty
    }
}

/// A pair of values, one per direction (index `FlowDirection.rawValue`), stored inline: no allocation.
public struct PerDirection<T: Sendable>: Sendable {
    public var fromInitiator: T
    public var fromResponder: T
    @inlinable public init(_ a: T, _ b: T) { fromInitiator = a; fromResponder = b }
    @inlinable public init(repeating v: T) { fromInitiator = v; fromResponder = v }
    @inlinable public subscript(_ d: FlowDirection) -> T {
        get { d == .fromInitiator ? fromInitiator : fromResponder }
        set { if d == .fromInitiator { fromInitiator = newValue } else { fromResponder = newValue } }
    }
    @inlinable public var array: [T] { [fromInitiator, fromResponder] }
}

extension PerDirection: Equatable where T: Equatable {}
extension PerDirection: Hashable where T: Hashable {}

@inlinable func gtSeq(_ x: UInt32, _ y: UInt32) -> Bool { Int32(bitPattern: y &- x) < 0 }
@inlinable func ltSeq(_ x: UInt32, _ y: UInt32) -> Bool { Int32(bitPattern: x &- y) < 0 }
@inlinable func leSeq(_ x: UInt32, _ y: UInt32) -> Bool { Int32(bitPattern: x &- y) <= 0 }

/// Wireshark's TCP sequence analysis (epan/dissectors/packet-tcp.c, `tcp_analyze_sequence_number`, as in
/// tshark 4.0 with its default preferences: analyze_sequence_numbers, fastrt_supersedes_ooo), one packet at
/// a time in capture order, as tshark's single pass does. Checked against tshark 4.0.17 on the public corpus,
/// the lab captures and hand-made captures (see Tests/NetcorrTCPTests).
///
/// Per direction ("fwd" = the sender of the segment, "rev" = its peer) it keeps: nextseq (the highest
/// sequence number + length seen, 0 = unknown, as in Wireshark, where 0 doubles as "not set") and its time,
/// the last ACK number and window sent and their time, the dup-ACK count, the highest contiguous sequence
/// number ("max seq to be acked"), the window scale and the flags of its last segment. In that order:
///
/// 1. zero-window probe: 1 byte at nextseq while rev's window is 0 (then skip to step 5);
/// 2. zero window: window 0 and none of SYN/FIN/RST;
/// 3. lost segment: seq > nextseq (nextseq known, not RST); keep-alive: 0 or 1 byte at nextseq − 1, no
///    SYN/FIN/RST; window update; window full;
/// 4. keep-alive ACK / zero-window-probe ACK / duplicate ACK: no data, same seq/ack/window as before;
/// 5. ACKed unseen segment: ack beyond rev's highest contiguous sequence number (see the code for how it is
///    kept, fitted to tshark 4.0.17);
/// 6. for data or SYN/FIN, unless a keep-alive: not advanced = seq < nextseq (but not for > 1 byte at
///    nextseq − 1). Then, first that matches: spurious retransmission (seq + len ≤ rev's last ACK; data
///    only); fast retransmission (not advanced, rev dup-ACKed ≥ 2 times at this seq, < 20 ms after rev's
///    last ACK); out-of-order (not advanced, < initial RTT — or 3 ms without one — after nextseq was last
///    raised, and seq + len (+1 for SYN/FIN) ≠ nextseq); retransmission (not advanced).
/// 7. nextseq = max(nextseq, seq + len (+1 for SYN/FIN)), unless a zero-window probe.
///
/// The initial RTT is the time from the last pure SYN to the first packet with ACK and without SYN (a
/// RST+ACK counts), computed after that packet was analysed. Wireshark's list of unacknowledged segments
/// only serves the RTO/bytes-in-flight displays and is not kept here, with one consequence: Wireshark stops
/// adding the SYN/FIN byte to nextseq once 10,000 segments of a direction are unacknowledged; here it
/// always adds it. State is a fixed size per connection; nothing is allocated per packet.
public struct TCPAnalysis: Sendable {
    struct Flow: Sendable {
        var baseSeq: UInt32 = 0
        var baseSeqSet = false
        var nextSeq: UInt32 = 0
        var nextSeqTime = Timestamp(nanoseconds: 0)
        var nextSeqFrame = 0
        var lastAck: UInt32 = 0
        var lastAckTime = Timestamp(nanoseconds: 0)
        /// Raw window field of the last segment; UInt32.max before any (Wireshark's G_MAXUINT32).
        var window: UInt32 = .max
        /// -1 unknown, -2 no scaling (Wireshark's convention), else the shift.
        var winScale: Int8 = -1
        var dupAckNum: Int32 = 0
        var lastNonDupAck = 0
        var maxSeqToBeAcked: UInt32 = 0
        var lastSegmentFlags: TCPAnalysisFlags = []
    }

    var flows = PerDirection(Flow(), Flow())
    /// Time of the most recent SYN without ACK (Wireshark's ts_mru_syn); 0 = none.
    var mruSyn = Timestamp(nanoseconds: 0)
    /// Handshake round-trip time used as the out-of-order threshold; 0 = not known (3 ms is used).
    public private(set) var initialRTT = Duration.zero

    // Counts, as tshark's fields would be summed over the connection's packets.
    /// Packets with `tcp.analysis.retransmission` (plain, fast or spurious), per sender.
    public private(set) var retransmissionsBy = PerDirection(repeating: 0)
    public private(set) var fastRetransmissions = 0
    public private(set) var spuriousRetransmissions = 0
    public private(set) var outOfOrder = 0
    public private(set) var lostSegments = 0
    public private(set) var ackedUnseen = 0
    /// Packets with `tcp.analysis.zero_window`, per advertiser (the receiver whose buffer is full).
    public private(set) var zeroWindowBy = PerDirection(repeating: 0)
    public private(set) var zeroWindowProbes = 0
    public private(set) var keepAlives = 0
    public private(set) var duplicateAcks = 0
    public private(set) var windowFull = 0

    public var retransmissions: Int { retransmissionsBy.fromInitiator + retransmissionsBy.fromResponder }
    public var zeroWindow: Int { zeroWindowBy.fromInitiator + zeroWindowBy.fromResponder }

    public init() {}

    /// Wireshark's rule for a new conversation on the same addresses and ports (`TCP_A_REUSED_PORTS`): a
    /// SYN without ACK whose sequence number differs from the ISN (base sequence number) already known for
    /// its direction. The base sequence number is the SYN's seq, or seq − 1 of the first other segment, or
    /// ack − 1 of the first segment with ACK from the other side.
    public func startsNewConversation(seq: UInt32, flags: TCPFlags, direction d: FlowDirection) -> Bool {
        flags.contains(.syn) && !flags.contains(.ack) && flows[d].baseSeqSet && seq != flows[d].baseSeq
    }

    /// Analyses one segment; `seglen` is the TCP payload length from the IP header (what tshark calls
    /// tcp.len, even when the capture truncated the packet). Returns the segment's flags.
    @discardableResult
    public mutating func observe(_ h: TCPHeader, direction d: FlowDirection, seglen: Int, ts: Timestamp, frame: Int)
        -> TCPAnalysisFlags {
        let f: TCPAnalysisFlags
        if d == .fromInitiator {
            f = Self.analyze(fwd: &flows.fromInitiator, rev: &flows.fromResponder, h, seglen: UInt32(truncatingIfNeeded: seglen),
                             ts: ts, frame: frame, initialRTT: initialRTT)
        } else {
            f = Self.analyze(fwd: &flows.fromResponder, rev: &flows.fromInitiator, h, seglen: UInt32(truncatingIfNeeded: seglen),
                             ts: ts, frame: frame, initialRTT: initialRTT)
        }
        // After the analysis, as in dissect_tcp: remember the SYN's time, the handshake RTT, window scaling.
        let syn = h.flags.contains(.syn), ack = h.flags.contains(.ack)
        if syn && !ack { mruSyn = ts }
        if ack && !syn && mruSyn.nanoseconds != 0 && initialRTT == .zero { initialRTT = ts - mruSyn }
        if syn {
            if let ws = h.windowScale { flows[d].winScale = Int8(min(ws, 14)) }
            if flows[d].winScale == -1 {
                flows[d].winScale = -2
                flows[d.reversed].winScale = -2
            } else if ack && flows[d.reversed].winScale == -2 {
                flows[d].winScale = -2
            }
        }
        if f.isRetransmission { retransmissionsBy[d] += 1 }
        if !f.isEmpty {
            if f.contains(.fastRetransmission) { fastRetransmissions += 1 }
            if f.contains(.spuriousRetransmission) { spuriousRetransmissions += 1 }
            if f.contains(.outOfOrder) { outOfOrder += 1 }
            if f.contains(.lostSegment) { lostSegments += 1 }
            if f.contains(.ackedUnseenSegment) { ackedUnseen += 1 }
            if f.contains(.zeroWindow) { zeroWindowBy[d] += 1 }
            if f.contains(.zeroWindowProbe) { zeroWindowProbes += 1 }
            if f.contains(.keepAlive) { keepAlives += 1 }
            if f.contains(.duplicateAck) { duplicateAcks += 1 }
            if f.contains(.windowFull) { windowFull += 1 }
        }
        return f
    }

    /// `tcp_analyze_sequence_number` for one segment.
    static func analyze(fwd: inout Flow, rev: inout Flow, _ h: TCPHeader, seglen: UInt32, ts: Timestamp, frame: Int,
                        initialRTT: Duration) -> TCPAnalysisFlags {
        let seq = h.seq, ack = h.ack, window = UInt32(h.window)
        let syn = h.flags.contains(.syn), fin = h.flags.contains(.fin), rst = h.flags.contains(.rst)
        let hasAck = h.flags.contains(.ack)
        let synFinRst = syn || fin || rst
        var f: TCPAnalysisFlags = []

        if !fwd.baseSeqSet {
            fwd.baseSeq = syn ? seq : seq &- 1
            fwd.baseSeqSet = true
        }
        if !rev.baseSeqSet && hasAck {
            rev.baseSeq = ack &- 1
            rev.baseSeqSet = true
        }

        fwdChecks: do {
            if seglen == 1 && seq == fwd.nextSeq && rev.window == 0 {
                f.insert(.zeroWindowProbe)
                break fwdChecks
            }
            if window == 0 && !synFinRst { f.insert(.zeroWindow) }
            if fwd.nextSeq != 0 && gtSeq(seq, fwd.nextSeq) && !rst {
                f.insert(.lostSegment)
            }
            if seglen <= 1 && seq == fwd.nextSeq &- 1 && !synFinRst { f.insert(.keepAlive) }
            let sameAsBefore = seglen == 0 && seq == fwd.nextSeq && ack == fwd.lastAck && !synFinRst
            if sameAsBefore && window != 0 && window != fwd.window { f.insert(.windowUpdate) }
            if seglen > 0 && rev.winScale != -1 && !synFinRst {
                let shift = rev.winScale == -2 ? 0 : UInt32(rev.winScale)
                if seq &+ seglen == rev.lastAck &+ (rev.window &<< shift) { f.insert(.windowFull) }
            }
            if sameAsBefore && window != 0 && window == fwd.window && rev.lastSegmentFlags.contains(.keepAlive) {
                f.insert(.keepAliveAck)
                break fwdChecks
            }
            if sameAsBefore && window == 0 && window == fwd.window && rev.lastSegmentFlags.contains(.zeroWindowProbe) {
                f.insert(.zeroWindowProbeAck)
                break fwdChecks
            }
            if sameAsBefore && window != 0 && window == fwd.window {
                fwd.dupAckNum = fwd.dupAckNum == -1 ? 1 : fwd.dupAckNum + 1
                f.insert(.duplicateAck)
            }
        }

        if ack != fwd.lastAck {
            fwd.lastNonDupAck = frame
            fwd.dupAckNum = 0
        }

        // ACKed unseen segment. Fitted to tshark 4.0.17's output (the 4.0 source was not at hand): flagged
        // unless the acking side is repeating a duplicate ACK; the peer's "max seq to be acked" moves to its
        // nextseq, and the peer's dup-ACK count becomes -1, which Wireshark keeps in an unsigned field, so
        // that it passes the ">= 2 duplicate ACKs" test of a fast retransmission (zeek tcp-reassembly.pcap
        // frames 8, 10, 12: FINs sent again within 20 ms of the peer's ACK are "Fast Retransmission").
        // Agrees on all but 2 of 3,540 packets of the corpus and lab captures; both only differ in this flag.
        if rev.maxSeqToBeAcked != 0 && gtSeq(ack, rev.maxSeqToBeAcked) && hasAck {
            if fwd.dupAckNum == 0 { f.insert(.ackedUnseenSegment) }
            rev.maxSeqToBeAcked = rev.nextSeq
            rev.dupAckNum = -1
        }

        if (seglen > 0 || syn || fin) && !f.contains(.keepAlive) {
            var notAdvanced = fwd.nextSeq != 0 && ltSeq(seq, fwd.nextSeq)
            if seglen > 1 && fwd.nextSeq &- 1 == seq { notAdvanced = false }
            classify: do {
                if seglen > 0 && rev.lastAck != 0 && leSeq(seq &+ seglen, rev.lastAck) {
                    f.insert(.spuriousRetransmission)
                    break classify
                }
                let sinceAck = ts.nanoseconds &- rev.lastAckTime.nanoseconds
                // dupAckNum is unsigned in Wireshark: -1 counts as >= 2.
                if notAdvanced && UInt32(bitPattern: rev.dupAckNum) >= 2 && rev.lastAck == seq && sinceAck >= 0 && sinceAck < 20_000_000 {
                    f.insert(.fastRetransmission)
                    break classify
                }
                // Wireshark keeps these as unsigned 64-bit numbers: a negative difference is huge.
                let sinceNext = UInt64(bitPattern: ts.nanoseconds &- fwd.nextSeqTime.nanoseconds)
                let threshold = initialRTT == .zero ? 3_000_000 : UInt64(bitPattern: initialRTT.nanoseconds)
                if notAdvanced && sinceNext < threshold && fwd.nextSeq != seq &+ seglen &+ (syn || fin ? 1 : 0) {
                    f.insert(.outOfOrder)
                    break classify
                }
                if notAdvanced { f.insert(.retransmission) }
            }
        }

        let nextSeq = seq &+ seglen &+ (syn || fin ? 1 : 0)
        if (gtSeq(nextSeq, fwd.nextSeq) || fwd.nextSeq == 0) && !f.contains(.zeroWindowProbe) {
            fwd.nextSeq = nextSeq
            fwd.nextSeqFrame = frame
            fwd.nextSeqTime = ts
        }
        if (seq == fwd.maxSeqToBeAcked || fwd.maxSeqToBeAcked == 0) && !f.contains(.zeroWindowProbe) {
            fwd.maxSeqToBeAcked = fwd.nextSeq
        }
        fwd.window = window
        fwd.lastAck = ack
        fwd.lastAckTime = ts
        fwd.lastSegmentFlags = f
        return f
    }
}

