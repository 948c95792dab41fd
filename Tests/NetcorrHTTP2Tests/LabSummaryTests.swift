import Testing
import NetcorrCore
@testable import NetcorrHTTP2

func lab(_ name: String) -> CorpusConnection? { CorpusFixtures.all.first { $0.name == "lab__\(name)#0" } }

/// What the connection summary shows for the lab's failure scenarios (captures/*/README.md, expected.json).
@Suite("HTTP/2 connection summaries on the lab's Go captures")
struct LabSummaryTests {
    @Test func flowControlStall() throws {
        let c = try #require(lab("h2-flow-control-stall"))
        let (_, s) = decode(c)
        // The client sent 65535 body bytes and waited for a WINDOW_UPDATE that never came.
        #expect(s.streams.map { $0.dataBytes[0] }.reduce(0, +) == 65535)
        let stalls = s.stalls.filter { $0.direction == .fromInitiator && $0.end == nil && $0.senderHadMore }
        #expect(!stalls.isEmpty)
        #expect(stalls.contains { $0.stream == 0 } && stalls.contains { $0.stream != 0 })
        #expect(stalls.allSatisfy { $0.duration.nanoseconds >= 0 && $0.startFrame > 0 })
        #expect(s.streams.first.map { $0.endedBy != .endStream } == true)
    }

    @Test func goaway() throws {
        let c = try #require(lab("h2-goaway"))
        let (events, s) = decode(c)
        let g = try #require(s.goaways.first)
        #expect(g.direction == .fromResponder)
        #expect(g.errorCode == .enhanceYourCalm)
        #expect(events.contains { $0.type == .goaway && $0.errorCode?.name == "ENHANCE_YOUR_CALM" })
    }

    @Test func rstStream() throws {
        let c = try #require(lab("h2-rst-stream"))
        let (_, s) = decode(c)
        #expect(s.streams.contains { $0.id == 3 && $0.endedBy == .rstStream(.internalError, by: .fromResponder) })
    }

    @Test func pingTimeout() throws {
        let c = try #require(lab("h2-ping-timeout"))
        let (_, s) = decode(c)
        let p = try #require(s.pings.first { $0.direction == .fromInitiator })
        #expect(p.ackTs == nil && p.rtt == nil)
    }

    @Test func status5xx() throws {
        let c = try #require(lab("h2-5xx-h2c"))
        let (_, s) = decode(c)
        #expect(s.streams.contains { $0.status == 503 && $0.method == "GET" && $0.endedBy == .endStream })
        #expect(s.hpackDesynchronized == [false, false])
    }

    @Test func okH2C() throws {
        let c = try #require(lab("h2-ok-h2c"))
        let (_, s) = decode(c)
        #expect(s.start == .priorKnowledge)
        #expect(s.streams.count >= 1 && s.streams.allSatisfy { $0.status == 200 && $0.endedBy == .endStream })
        #expect(s.stalls.filter { $0.end == nil && $0.senderHadMore }.isEmpty)
        // Both sides' SETTINGS were acknowledged.
        #expect(s.settings.count >= 2 && s.settings.allSatisfy { $0.ackDelay != nil })
        #expect(s.anomalies.total == 0)
    }

    @Test func grpcError() throws {
        guard let c = lab("h2-grpc-error") else { return }
        let (_, s) = decode(c)
        #expect(s.streams.contains { $0.grpcStatus != nil && $0.grpcStatus != 0 })
    }
}
