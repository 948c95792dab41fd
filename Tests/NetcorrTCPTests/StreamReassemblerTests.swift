import Testing
import NetcorrCore
@testable import NetcorrTCP

/// Collects what the reassembler delivers.
struct Collector: StreamSink {
    var bytes: [UInt8] = []
    var frames: [Int] = []
    var gaps: [Int] = []
    mutating func bytes(_ b: UnsafeRawBufferPointer, direction: FlowDirection, origin: SegmentOrigin) {
        bytes += b
        frames.append(origin.frame)
    }
    mutating func gap(_ count: Int, direction: FlowDirection, origin: SegmentOrigin) { gaps.append(count) }
}

@Suite struct StreamReassemblerTests {
    static func seg(_ r: inout StreamReassembler, _ c: inout Collector, seq: UInt32, _ data: [UInt8], frame: Int) -> SegmentFate {
        data.withUnsafeBytes { r.segment(seq: seq, payload: $0, origin: SegmentOrigin(frame: frame, ts: .init(nanoseconds: Int64(frame))), sink: &c) }
    }

    @Test func inOrderIsDeliveredAsIs() {
        var r = StreamReassembler(direction: .fromInitiator), c = Collector()
        r.syn(seq: 1000)
        #expect(Self.seg(&r, &c, seq: 1001, [1, 2, 3], frame: 2) == .inOrder)
        #expect(Self.seg(&r, &c, seq: 1004, [4, 5], frame: 3) == .inOrder)
        #expect(c.bytes == [1, 2, 3, 4, 5] && c.frames == [2, 3] && c.gaps.isEmpty)
    }

    @Test func outOfOrderWaitsForTheHole() {
        var r = StreamReassembler(direction: .fromInitiator), c = Collector()
        r.syn(seq: 0)
        #expect(Self.seg(&r, &c, seq: 4, [4, 5], frame: 2) == .outOfOrder)
        #expect(c.bytes.isEmpty)
        #expect(Self.seg(&r, &c, seq: 1, [1, 2, 3], frame: 3) == .inOrder)
        #expect(c.bytes == [1, 2, 3, 4, 5])
        #expect(r.bufferedBytes == 0)
    }

    @Test func retransmissionIsDeliveredOnce() {
        var r = StreamReassembler(direction: .fromInitiator), c = Collector()
        r.syn(seq: 0)
        _ = Self.seg(&r, &c, seq: 1, [1, 2, 3], frame: 2)
        #expect(Self.seg(&r, &c, seq: 1, [1, 2, 3], frame: 3) == .retransmission)
        #expect(Self.seg(&r, &c, seq: 2, [2, 3, 4, 5], frame: 4) == .partialOverlap)
        #expect(c.bytes == [1, 2, 3, 4, 5])
    }

    @Test func sequenceWrapAround() {
        var r = StreamReassembler(direction: .fromResponder), c = Collector()
        r.syn(seq: UInt32.max - 1)   // data starts at 2^32 - 1
        _ = Self.seg(&r, &c, seq: UInt32.max, [1, 2], frame: 2)   // occupies 2^32-1 and 0
        _ = Self.seg(&r, &c, seq: 1, [3], frame: 3)
        #expect(c.bytes == [1, 2, 3])
    }

    @Test func midstreamStartsAtTheFirstData() {
        var r = StreamReassembler(direction: .fromInitiator), c = Collector()
        _ = Self.seg(&r, &c, seq: 5000, [9, 9], frame: 1)
        _ = Self.seg(&r, &c, seq: 5002, [8], frame: 2)
        #expect(c.bytes == [9, 9, 8])
    }

    @Test func flushReportsTheHole() {
        var r = StreamReassembler(direction: .fromInitiator), c = Collector()
        r.syn(seq: 0)
        _ = Self.seg(&r, &c, seq: 1, [1], frame: 2)
        _ = Self.seg(&r, &c, seq: 10, [10, 11], frame: 3)   // bytes 2…9 never arrive
        r.flush(sink: &c)
        #expect(c.gaps == [8])
        #expect(c.bytes == [1, 10, 11])
    }

    @Test func bufferLimitSkipsTheHoleInsteadOfGrowing() {
        var limits = ReassemblyLimits()
        limits.maxBufferedBytesPerDirection = 16
        var r = StreamReassembler(direction: .fromInitiator, limits: limits), c = Collector()
        r.syn(seq: 0)
        for i in 0..<10 { _ = Self.seg(&r, &c, seq: UInt32(100 + i * 8), [UInt8](repeating: UInt8(i), count: 8), frame: i) }
        #expect(r.bufferedBytes <= 16)
        #expect(!c.gaps.isEmpty)
        #expect(r.overflowed > 0)
    }
}
