import Testing
import NetcorrCore
@testable import NetcorrHTTP2

func frame(_ type: UInt8, _ flags: UInt8, _ stream: UInt32, _ payload: [UInt8], length: Int? = nil) -> [UInt8] {
    let n = length ?? payload.count
    return [UInt8(n >> 16 & 0xff), UInt8(n >> 8 & 0xff), UInt8(n & 0xff), type, flags,
            UInt8(stream >> 24 & 0x7f), UInt8(stream >> 16 & 0xff), UInt8(stream >> 8 & 0xff), UInt8(stream & 0xff)] + payload
}

let c = Endpoint(.v4(0x0a000001), 40000), s = Endpoint(.v4(0x0a000002), 8080)
let o1 = SegmentOrigin(frame: 1, ts: Timestamp(nanoseconds: 1_000))

/// Server-side frames after prior-knowledge start; returns the events and the summary.
func run(server bytes: [UInt8], limits: HTTP2Limits = .init()) -> ([HTTP2FrameEvent], HTTP2ConnectionSummary) {
    var d = HTTP2ConnectionDecoder(client: c, server: s, limits: limits, start: .priorKnowledge)
    var ev: [HTTP2FrameEvent] = []
    d.receive(HTTP2Detect.clientPreface, direction: .fromInitiator, origin: o1) { ev.append($0) }
    d.receive(bytes, direction: .fromResponder, origin: o1) { ev.append($0) }
    let sum = d.finish(at: Timestamp(nanoseconds: 2_000)) { ev.append($0) }
    return (ev, sum)
}

struct MalformedCase: Sendable, CustomStringConvertible {
    var name: String
    var bytes: [UInt8]
    var anomaly: Anomaly
    var description: String { name }
}

@Suite("Malformed input is reported, bounded and never traps")
struct MalformedTests {
    static let cases: [MalformedCase] = [
        .init(name: "SETTINGS length 7", bytes: frame(4, 0, 0, [0, 1, 0, 0, 0x10, 0, 9]), anomaly: .h2BadSettingsLength),
        .init(name: "SETTINGS ACK with payload", bytes: frame(4, 1, 0, [0, 1, 0, 0, 0x10, 0]), anomaly: .h2BadSettingsLength),
        .init(name: "WINDOW_UPDATE length 3", bytes: frame(8, 0, 0, [0, 0, 1]), anomaly: .h2BadWindowUpdateLength),
        .init(name: "PING length 7", bytes: frame(6, 0, 0, [1, 2, 3, 4, 5, 6, 7]), anomaly: .h2BadPingLength),
        .init(name: "RST_STREAM length 5", bytes: frame(3, 0, 1, [0, 0, 0, 8, 0]), anomaly: .h2BadRstLength),
        .init(name: "GOAWAY length 4", bytes: frame(7, 0, 0, [0, 0, 0, 1]), anomaly: .h2BadGoawayLength),
        .init(name: "PRIORITY length 4", bytes: frame(2, 0, 1, [0, 0, 0, 1]), anomaly: .h2BadPriorityLength),
        .init(name: "DATA on stream 0", bytes: frame(0, 0, 0, [1, 2]), anomaly: .h2BadStreamID),
        .init(name: "DATA padding beyond length", bytes: frame(0, 8, 1, [9, 1, 2]), anomaly: .h2BadPadding),
        .init(name: "DATA longer than max frame size", bytes: frame(0, 0, 1, [UInt8](repeating: 0, count: 20000)), anomaly: .h2FrameTooLarge),
        .init(name: "HPACK garbage", bytes: frame(1, 4, 1, [0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), anomaly: .h2HPACKError),
        .init(name: "CONTINUATION without HEADERS", bytes: frame(9, 4, 1, [0x88]), anomaly: .h2UnexpectedContinuation),
        .init(name: "HEADERS then DATA instead of CONTINUATION", bytes: frame(1, 0, 1, [0x88]) + frame(0, 1, 1, []), anomaly: .h2ContinuationExpected),
    ]

    @Test(arguments: cases)
    func reported(_ k: MalformedCase) {
        let (ev, sum) = run(server: k.bytes)
        #expect(sum.anomalies.counts[k.anomaly, default: 0] >= 1, "\(sum.anomalies.sorted)")
        #expect(!ev.isEmpty)
        // Every prefix, and byte-at-a-time, is safe and gives the same frame list.
        for n in 0..<k.bytes.count { _ = run(server: Array(k.bytes.prefix(n))) }
        var d = HTTP2ConnectionDecoder(client: c, server: s, start: .priorKnowledge)
        var drip: [HTTP2FrameEvent] = []
        for b in k.bytes { d.receive([b], direction: .fromResponder, origin: o1) { drip.append($0) } }
        _ = d.finish(at: o1.ts) { drip.append($0) }
        #expect(drip.map(signature) == ev.map(signature))
    }

    @Test func hpackFailureDesynchronisesDirection() {
        // A valid block (":status: 200" = 0x88) after a failed one is not decoded: the table is unknown.
        let (ev, sum) = run(server: frame(1, 4, 1, [0xff, 0xff, 0xff, 0xff, 0xff, 0xff]) + frame(1, 4, 3, [0x88]))
        #expect(ev[0].headersUndecodable?.hasPrefix("hpack-error") == true)
        #expect(ev[1].headersUndecodable == "hpack-desync" && ev[1].status == nil)
        #expect(sum.hpackDesynchronized == [false, true])
    }

    @Test func hugeContinuationChainIsBounded() {
        var limits = HTTP2Limits()
        limits.maxContinuationFrames = 50
        limits.maxHeaderBlockSize = 1000
        var bytes = frame(1, 0, 1, [0x88])
        for _ in 0..<200 { bytes += frame(9, 0, 1, [UInt8](repeating: 0x40, count: 100)) }
        let (ev, sum) = run(server: bytes, limits: limits)
        #expect(ev.count == 201)
        #expect(sum.anomalies.counts[.h2HeaderBlockTooLarge, default: 0] >= 1)
        #expect(ev.allSatisfy { $0.headers == nil })
    }

    @Test func oversizeNonDataFrameIsSkippedNotBuffered() {
        var limits = HTTP2Limits()
        limits.maxFrameBuffer = 1024
        let big = frame(7, 0, 0, [0, 0, 0, 0, 0, 0, 0, 0] + [UInt8](repeating: 0x41, count: 5000))
        let (ev, _) = run(server: big + frame(6, 0, 0, [1, 2, 3, 4, 5, 6, 7, 8]), limits: limits)
        #expect(ev.map(\.type) == [.goaway, .ping])
        #expect(ev[0].malformed != nil && ev[1].pingData == 0x0102030405060708)
    }

    @Test func midstreamJoinFindsBoundaries() {
        // Junk, then a PING and a WINDOW_UPDATE: the decoder hunts and finds both.
        let junk: [UInt8] = [0x13, 0x37, 0x00, 0x42, 0x99, 0x01, 0x02]
        var d = HTTP2ConnectionDecoder(client: c, server: s, start: .midstream)
        var ev: [HTTP2FrameEvent] = []
        d.receive(junk + frame(6, 0, 0, [UInt8](repeating: 1, count: 8)) + frame(8, 0, 0, [0, 0, 0x10, 0]),
                  direction: .fromResponder, origin: o1) { ev.append($0) }
        _ = d.finish(at: o1.ts) { ev.append($0) }
        #expect(ev.map(\.type) == [.ping, .windowUpdate])
        #expect(d.skippedBytes[1] == junk.count)
    }

    @Test func gapInsideDataKeepsStep() {
        var d = HTTP2ConnectionDecoder(client: c, server: s, start: .priorKnowledge)
        var ev: [HTTP2FrameEvent] = []
        d.receive(HTTP2Detect.clientPreface, direction: .fromInitiator, origin: o1) { ev.append($0) }
        let data = frame(0, 0, 1, [UInt8](repeating: 7, count: 1000))
        d.receive(Array(data.prefix(100)), direction: .fromResponder, origin: o1) { ev.append($0) }
        d.gap(direction: .fromResponder, count: 500, origin: o1)
        d.receive(Array(data.suffix(409)) + frame(6, 1, 0, [UInt8](repeating: 2, count: 8)), direction: .fromResponder, origin: o1) { ev.append($0) }
        #expect(ev.map(\.type) == [.data, .ping])
        #expect(d.hpackState(.fromResponder) == nil)
    }

    @Test func h2cUpgrade() {
        let req = Array("GET /x HTTP/1.1\r\nHost: a.test\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAoAAA\r\n\r\n".utf8)
        let resp = Array("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n".utf8)
        req.withUnsafeBytes { #expect(HTTP2Detect.isH2CUpgradeRequest($0) == .yes) }
        resp.withUnsafeBytes { #expect(HTTP2Detect.isSwitchingProtocols($0) == .yes) }
        var d = HTTP2ConnectionDecoder(client: c, server: s)
        var ev: [HTTP2FrameEvent] = []
        d.receive(req, direction: .fromInitiator, origin: o1) { ev.append($0) }
        d.receive(resp + frame(4, 0, 0, []) + frame(1, 5, 1, [0x88]), direction: .fromResponder, origin: o1) { ev.append($0) }
        d.receive(HTTP2Detect.clientPreface + frame(4, 0, 0, []), direction: .fromInitiator, origin: o1) { ev.append($0) }
        let sum = d.finish(at: o1.ts)
        #expect(sum.start == .upgrade)
        #expect(ev.map(\.type) == [.settings, .headers, .settings])
        #expect(sum.streams.first?.path == "/x" && sum.streams.first?.status == 200 && sum.streams.first?.endedBy == .endStream)
    }

    @Test func upgradeRefusedStops() {
        var d = HTTP2ConnectionDecoder(client: c, server: s)
        d.receive(Array("GET / HTTP/1.1\r\nHost: a\r\nUpgrade: h2c\r\n\r\n".utf8), direction: .fromInitiator, origin: o1) { _ in }
        d.receive(Array("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n".utf8), direction: .fromResponder, origin: o1) { _ in }
        #expect(d.isStopped)
    }
}
