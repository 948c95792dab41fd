import NetcorrCore
import NetcorrTCP
import Testing

/// Hand-built segments. Each scenario was also written to a pcap (Ethernet/IPv4, same addresses, times,
/// flags, sequence numbers, windows and lengths) and read with tshark 4.0.17
/// (`tshark -r s.pcap -n -o tcp.desegment_tcp_streams:TRUE -T fields -e frame.number -e tcp.stream
/// -e tcp.analysis.initial_rtt -e _ws.col.Info`); the expected flags below are tshark's, frame by frame.
@Suite struct TCPAnalysisScenarioTests {
    /// tshark: frame 7 "[TCP Spurious Retransmission]" (data already ACKed, though within 3 ms of the
    /// highest segment: spurious is checked before out-of-order in 4.0); frame 9 "[TCP Retransmission]" for
    /// a FIN sent again within 1 ms (the FIN's sequence byte counts, so it is not out-of-order).
    @Test func spuriousBeforeOutOfOrderAndFINRetransmission() {
        var s = Script()
        #expect(s.send(0.000, ">", "S", seq: 1000, ack: 0) == [])
        #expect(s.send(0.010, "<", "SA", seq: 5000, ack: 1001) == [])
        #expect(s.send(0.020, ">", "A", seq: 1001, ack: 5001) == [])
        #expect(s.send(1.000, ">", "PA", seq: 1001, ack: 5001, len: 100) == [])
        #expect(s.send(1.001, ">", "PA", seq: 1101, ack: 5001, len: 100) == [])
        #expect(s.send(1.005, "<", "A", seq: 5001, ack: 1201) == [])
        #expect(s.send(1.006, ">", "PA", seq: 1001, ack: 5001, len: 100) == [.spuriousRetransmission])
        #expect(s.send(2.000, ">", "FA", seq: 1201, ack: 5001) == [])
        #expect(s.send(2.001, ">", "FA", seq: 1201, ack: 5001) == [.retransmission])
        let c = s.table.all[0]
        #expect(c.analysis.retransmissions == 2)
        #expect(c.analysis.outOfOrder == 0)
        #expect(c.analysis.initialRTT == Duration(nanoseconds: 20_000_000))
        #expect(c.state == "S2")
        #expect(c.firstFINFrom == .fromInitiator)
    }

    /// Out-of-order: a segment below the highest sequence number, within the handshake RTT (100 ms) of it.
    /// tshark: 4 "[TCP Previous segment not captured]", 5 "[TCP Out-Of-Order]" (40 ms later), 6 "[TCP
    /// Retransmission]" (1 s later); tcp.analysis.initial_rtt 0.100000000.
    @Test func outOfOrderWithinInitialRTT() {
        var s = Script()
        _ = s.send(0.000, ">", "S", seq: 1000, ack: 0)
        _ = s.send(0.050, "<", "SA", seq: 5000, ack: 1001)
        _ = s.send(0.100, ">", "A", seq: 1001, ack: 5001)     // initial RTT 100 ms
        #expect(s.table.all[0].analysis.initialRTT == Duration(nanoseconds: 100_000_000))
        #expect(s.send(1.000, ">", "PA", seq: 1101, ack: 5001, len: 100) == [.lostSegment])
        #expect(s.send(1.040, ">", "PA", seq: 1001, ack: 5001, len: 100) == [.outOfOrder])
        // the same bytes again, long after: a retransmission
        #expect(s.send(2.000, ">", "PA", seq: 1001, ack: 5001, len: 100) == [.retransmission])
    }

    /// tshark: frames 1–6 one stream; frame 7 (SYN, same ISN, after FIN/FIN/ACK) "[TCP Retransmission]" in
    /// stream 0; frame 8 (SYN-ACK with a new ISN) "[TCP Previous segment not captured] [TCP Port numbers
    /// reused]" still stream 0; frame 9 "[TCP Keep-Alive] [TCP ACKed unseen segment]"; frame 10 RST (window
    /// 0, not a zero window); frame 11 SYN with a new ISN: stream 1; frame 13 SYN with another ISN while
    /// stream 1 is open: stream 2.
    @Test func newStreamOnlyForSYNWithNewISN() {
        var s = Script()
        _ = s.send(0.000, ">", "S", seq: 1000, ack: 0)
        _ = s.send(0.010, "<", "SA", seq: 5000, ack: 1001)
        _ = s.send(0.020, ">", "A", seq: 1001, ack: 5001)
        _ = s.send(1.000, ">", "FA", seq: 1001, ack: 5001)
        _ = s.send(1.010, "<", "FA", seq: 5001, ack: 1002)
        _ = s.send(1.020, ">", "A", seq: 1002, ack: 5002)
        #expect(s.send(2.000, ">", "S", seq: 1000, ack: 0) == [.retransmission])
        #expect(s.send(2.010, "<", "SA", seq: 7000, ack: 1001) == [.lostSegment])
        #expect(s.send(2.020, ">", "A", seq: 1001, ack: 7001) == [.keepAlive, .ackedUnseenSegment])
        #expect(s.send(3.000, ">", "R", seq: 1001, ack: 0, win: 0) == [])
        #expect(s.table.all.count == 1)
        _ = s.send(4.000, ">", "S", seq: 3000, ack: 0)
        _ = s.send(4.010, "<", "SA", seq: 9000, ack: 3001)
        _ = s.send(5.000, ">", "S", seq: 4000, ack: 0)
        let all = s.table.all
        #expect(all.map(\.firstFrame) == [1, 11, 13])
        #expect(all.map(\.packets).map { $0[0] + $0[1] } == [10, 2, 1])
        #expect(all[0].state == "RSTO")
        #expect(all[0].synRetransmissions == 1)
        #expect(all[1].state == "S1")
        #expect(all[2].state == "S0")
    }

    /// tshark: frame 5 "[TCP ACKed unseen segment]", frames 6 and 7 "[TCP Dup ACK 5#1]", "[TCP Dup ACK 5#2]"
    /// without it (reported once while the peer only repeats its ACK), frame 8 "[TCP Spurious
    /// Retransmission]" (its bytes are below the peer's ACK).
    @Test func ackedUnseenOnceThenDupAcks() {
        var s = Script()
        _ = s.send(0.000, ">", "S", seq: 1000, ack: 0)
        _ = s.send(0.010, "<", "SA", seq: 5000, ack: 1001)
        _ = s.send(0.020, ">", "A", seq: 1001, ack: 5001)
        _ = s.send(1.000, ">", "PA", seq: 1001, ack: 5001, len: 100)
        #expect(s.send(1.100, "<", "A", seq: 5001, ack: 1301) == [.ackedUnseenSegment])
        #expect(s.send(1.101, "<", "A", seq: 5001, ack: 1301) == [.duplicateAck])
        #expect(s.send(1.102, "<", "A", seq: 5001, ack: 1301) == [.duplicateAck])
        #expect(s.send(1.103, ">", "PA", seq: 1101, ack: 5001, len: 100) == [.spuriousRetransmission])
        #expect(s.table.all[0].analysis.duplicateAcks == 2)
    }

    /// Sequence numbers wrapping past 2^32, zero window, Linux-style probe (keep-alive shape), zero-window
    /// probe and its ACK, window update, retransmission, keep-alives with 0 and 1 byte.
    /// tshark: 6 ZeroWindow; 7 Keep-Alive; 8 ZeroWindow; 9 ZeroWindowProbe; 10 ZeroWindowProbeAck +
    /// ZeroWindow; 11 Window Update; 12 nothing (the probe byte did not advance nextseq); 13 Retransmission;
    /// 14 and 15 Keep-Alive; 16 nothing; 17 Previous segment not captured.
    @Test func wrapAroundZeroWindowProbesKeepAlives() {
        var s = Script()
        #expect(s.send(0.000, ">", "S", seq: 0xFFFF_FF00, ack: 0) == [])
        #expect(s.send(0.010, "<", "SA", seq: 5000, ack: 0xFFFF_FF01) == [])
        #expect(s.send(0.020, ">", "A", seq: 0xFFFF_FF01, ack: 5001) == [])
        #expect(s.send(1.000, ">", "PA", seq: 0xFFFF_FF01, ack: 5001, len: 200) == [])
        #expect(s.send(1.001, ">", "PA", seq: 0xFFFF_FFC9, ack: 5001, len: 100) == [])
        #expect(s.send(1.050, "<", "A", seq: 5001, ack: 0x2D, win: 0) == [.zeroWindow])
        #expect(s.send(1.300, ">", "A", seq: 0x2C, ack: 5001) == [.keepAlive])
        #expect(s.send(1.301, "<", "A", seq: 5001, ack: 0x2D, win: 0) == [.zeroWindow])
        #expect(s.send(1.800, ">", "PA", seq: 0x2D, ack: 5001, len: 1) == [.zeroWindowProbe])
        #expect(s.send(1.801, "<", "A", seq: 5001, ack: 0x2D, win: 0) == [.zeroWindow, .zeroWindowProbeAck])
        #expect(s.send(2.500, "<", "A", seq: 5001, ack: 0x2D, win: 8192) == [.windowUpdate])
        #expect(s.send(2.510, ">", "PA", seq: 0x2D, ack: 5001, len: 100) == [])
        #expect(s.send(3.510, ">", "PA", seq: 0x2D, ack: 5001, len: 100) == [.retransmission])
        #expect(s.send(13.51, ">", "A", seq: 0x90, ack: 5001) == [.keepAlive])
        #expect(s.send(23.51, ">", "A", seq: 0x90, ack: 5001, len: 1) == [.keepAlive])
        #expect(s.send(23.52, "<", "A", seq: 5001, ack: 0x91, win: 8192) == [])
        #expect(s.send(23.53, ">", "PA", seq: 0x191, ack: 5001, len: 10) == [.lostSegment])

        let c = s.table.all[0]
        #expect(c.analysis.zeroWindow == 3)
        #expect(c.analysis.zeroWindowBy.fromResponder == 3)
        #expect(c.analysis.keepAlives == 3)
        #expect(c.analysis.retransmissions == 1)
        // One zero-window period advertised by the responder: frames 6–10, closed by frame 11; the stalled
        // client probed twice (the keep-alive-shaped probe of frame 7 and the 1-byte probe of frame 9).
        #expect(c.zeroWindowPeriodCount == 1)
        let p = c.zeroWindowPeriods[0]
        #expect(p.advertiser == .fromResponder)
        #expect(p.start.frame == 6 && p.lastZero.frame == 10 && p.end?.frame == 11)
        #expect(p.zeroWindowPackets == 3 && p.probes == 2)
        #expect(c.stalledOnZeroWindow == nil)
        // The retransmission of frame 13 was answered by frame 16's ACK of new data.
        #expect(c.lastRetransmissionRun.fromInitiator?.open == false)
        #expect(c.trailingRetransmissions() == nil)
    }

    /// SYN sent three times, no answer: S0, two SYN retransmissions, a run still open at the end.
    @Test func synUnanswered() {
        var s = Script()
        #expect(s.send(0, ">", "S", seq: 77, ack: 0) == [])
        #expect(s.send(1, ">", "S", seq: 77, ack: 0) == [.retransmission])
        #expect(s.send(3, ">", "S", seq: 77, ack: 0) == [.retransmission])
        let c = s.table.all[0]
        #expect(c.state == "S0" && c.synUnanswered)
        #expect(c.synCount == 3 && c.synRetransmissions == 2)
        #expect(c.syns.first.map(\.frame) == [1, 2, 3])
        let run = c.trailingRetransmissions()
        #expect(run?.count == 2 && run?.first.frame == 2 && run?.last.frame == 3 && run?.open == true)
    }

    /// SYN answered by RST+ACK: REJ, refused, RST from the responder.
    @Test func refused() {
        var s = Script()
        _ = s.send(0, ">", "S", seq: 77, ack: 0)
        #expect(s.send(0.001, "<", "RA", seq: 0, ack: 78, win: 0) == [])
        let c = s.table.all[0]
        #expect(c.state == "REJ" && c.refused)
        #expect(c.firstRSTFrom == .fromResponder && c.rst.fromResponder?.frame == 2)
        #expect(c.event.rstFromResponder && c.event.rstFrame == 2)
    }

    /// Bounded lists: a thousand SYNs keep 8 frames and the count.
    @Test func boundedFrameLists() {
        var s = Script()
        for i in 0..<1000 { _ = s.send(Double(i), ">", "S", seq: 77, ack: 0) }
        let c = s.table.all[0]
        #expect(c.synCount == 1000 && c.syns.count == 1000)
        #expect(c.syns.first.count == FirstFrames.limit && c.syns.last?.frame == 1000)
        #expect(c.retransmissionFrames.fromInitiator.first.count == FirstFrames.limit)
    }
}
