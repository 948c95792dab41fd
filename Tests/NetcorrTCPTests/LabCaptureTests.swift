import Foundation
import NetcorrCore
import NetcorrTCP
import Testing

/// The lab's own captures (captures/*/capture.pcap, Linux cooked v2). Expected flags per frame are tshark
/// 4.0.17's, generated once with
/// `tshark -r captures/NAME/capture.pcap -n -Y 'tcp.analysis.flags && !icmp && !icmpv6' -T fields
///  -e tcp.analysis.retransmission -e tcp.analysis.fast_retransmission ... -e frame.number`
/// (a packet tshark marks fast or spurious also carries tcp.analysis.retransmission; here only the
/// specific flag is listed). Every other TCP frame has no flag.
@Suite struct LabCaptureTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("captures")

    static let expected: [String: [Int: TCPAnalysisFlags]] = [
        "tcp-refused": [:],
        "tcp-refused-v6": [:],
        "tcp-reset": [:],
        "tcp-retransmission-timeout": [16: [.retransmission], 19: [.retransmission], 22: [.retransmission],
                                       26: [.retransmission], 30: [.retransmission]],
        "tcp-syn-timeout": [18: [.retransmission], 24: [.retransmission]],
        "tcp-zero-window": [22: [.retransmission], 24: [.windowFull], 26: [.windowFull], 28: [.zeroWindow],
                            30: [.keepAlive], 31: [.zeroWindow], 35: [.keepAlive], 39: [.keepAlive],
                            40: [.zeroWindow], 42: [.keepAlive], 43: [.zeroWindow]],
        "h2-flow-control-stall": [:],
    ]

    static func load(_ name: String) throws -> ConnectionTable {
        try ConnectionTable.replay(root.appendingPathComponent(name).appendingPathComponent("capture.pcap").path)
    }

    @Test(arguments: expected.keys.sorted())
    func flagsAgreeWithTshark(_ name: String) throws {
        let t = try Self.load(name)
        let want = Self.expected[name]!
        for (frame, got) in t.flags.sorted(by: { $0.key < $1.key }) {
            #expect(got == (want[frame] ?? []), "\(name) frame \(frame)")
        }
        for frame in want.keys { #expect(t.flags[frame] != nil, "\(name) frame \(frame) not TCP here") }
    }

    /// tshark: frame 11 SYN 49140 → 8080, frame 12 "[RST, ACK]" from 8080, nothing else on that connection.
    @Test func refusedIsREJ() throws {
        for name in ["tcp-refused", "tcp-refused-v6"] {
            let t = try Self.load(name)
            let c = try #require(t.all.first { $0.responder.port == 8080 })
            #expect(c.state == "REJ" && c.refused, "\(name)")
            #expect(c.firstRSTFrom == .fromResponder)
            #expect(c.synCount == 1 && c.synRetransmissions == 0)
        }
    }

    /// tshark: SYN at frame 12, "[TCP Retransmission]" SYNs at 18 and 24, no answer.
    @Test func synTimeoutIsS0WithRetransmissions() throws {
        let t = try Self.load("tcp-syn-timeout")
        let c = try #require(t.all.first { $0.responder.port == 8080 && $0.sawSyn })
        #expect(c.state == "S0" && c.synUnanswered)
        #expect(c.synCount == 3 && c.synRetransmissions == 2)
        #expect(c.syns.first.map(\.frame) == [12, 18, 24])
        let run = try #require(c.trailingRetransmissions())
        #expect(run.sender == .fromInitiator && run.count == 2 && run.open)
    }

    /// tshark: established, data both ways, then frame 28 "[RST, ACK]" from the server (8080).
    @Test func resetByResponder() throws {
        let t = try Self.load("tcp-reset")
        let c = try #require(t.all.first { $0.responder.port == 8080 && $0.sawSyn })
        #expect(c.state == "RSTR")
        #expect(c.firstRSTFrom == .fromResponder && c.rst.fromResponder?.frame == 28)
    }

    /// tshark: the client's data is retransmitted at frames 16, 19, 22, 26, 30 (backing off), never ACKed.
    @Test func retransmissionTimeoutAtTheEnd() throws {
        let t = try Self.load("tcp-retransmission-timeout")
        let c = try #require(t.all.first { $0.analysis.retransmissions > 0 })
        #expect(c.analysis.retransmissionsBy.fromInitiator == 5)
        let run = try #require(c.trailingRetransmissions(minimum: 3))
        #expect(run.sender == .fromInitiator && run.count == 5 && run.first.frame == 16 && run.last.frame == 30)
        #expect(c.retransmissionFrames.fromInitiator.first.map(\.frame) == [16, 19, 22, 26, 30])
    }

    /// tshark: the server advertises a zero window at 28, 31, 40, 43 (never reopened); the client probes
    /// (Linux probes look like keep-alives to Wireshark) at 30, 35, 39, 42.
    @Test func zeroWindowStall() throws {
        let t = try Self.load("tcp-zero-window")
        let c = try #require(t.all.first { $0.analysis.zeroWindow > 0 })
        #expect(c.analysis.zeroWindowBy.fromResponder == 4)
        let p = try #require(c.stalledOnZeroWindow)
        #expect(p.advertiser == .fromResponder && p.start.frame == 28 && p.lastZero.frame == 43 && p.end == nil)
        #expect(p.zeroWindowPackets == 4 && p.probes == 4)
        #expect(p.duration(until: c.lastTS) > Duration.seconds(3))
    }
}
