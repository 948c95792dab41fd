import Testing
import NetcorrCore
@testable import NetcorrCorrelate

/// `EvidenceLimits.countHealthy` keeps counts, not records, for healthy connections past the first ones: the
/// rules must still see every connection that can matter, so the findings are those of keeping everything.
@Suite struct CountHealthyTests {
    /// Connection `i` of a mix: healthy, a 503, a refused stream, an unanswered request closed by FIN, an
    /// unanswered PING, a GOAWAY that cut streams, a reset by the server, a graceful GOAWAY.
    static func connection(_ i: Int) -> (HTTP2ConnectionSummary, TCPConnectionEvent) {
        let base = Double(i) * 20
        let port = UInt16(40000 + i)
        var tcp = Make.conn(i % 8 == 6 ? "RSTR" : "SF", from: base, to: base + 10, rstByServer: i % 8 == 6, fin: true, port: port)
        tcp.firstFrame = i * 100 + 1
        tcp.lastFrame = i * 100 + 99
        var s = HTTP2ConnectionSummary(client: Endpoint(Make.client, port), server: Make.web, start: .priorKnowledge,
                                       endTs: Make.t(base + 10))
        s.firstTs = Make.t(base); s.lastTs = Make.t(base + 10)
        s.settings = [HTTP2SettingsRecord(direction: .fromInitiator, frame: i * 100 + 4, ts: Make.t(base), settings: [])]
        s.settings[0].ackTs = Make.t(base + 0.01)
        for id in UInt32(1)...4 {
            var st = HTTP2StreamSummary(id: 2 * id - 1)
            st.method = "GET"; st.path = "/item/\(i)/\(id)"; st.status = 200
            st.requestStart = Make.t(base + Double(id)); st.requestFrame = i * 100 + Int(id) * 10
            st.responseHeaders = Make.t(base + Double(id) + 0.1); st.responseFrame = st.requestFrame! + 1
            st.end = Make.t(base + Double(id) + 0.2); st.endFrame = st.requestFrame! + 2; st.endedBy = .endStream
            s.streams.append(st)
        }
        switch i % 8 {
        case 1: s.streams[2].status = 503
        case 2: s.streams[1].status = nil; s.streams[1].endedBy = .rstStream(.refusedStream, by: .fromResponder)
        case 3: s.streams[3].status = nil; s.streams[3].responseHeaders = nil; s.streams[3].endedBy = .unfinished
        case 4: s.pings = [HTTP2PingRecord(direction: .fromInitiator, data: 7, frame: i * 100 + 60, sent: Make.t(base + 5))]
        case 5: s.goaways = [HTTP2GoawayRecord(direction: .fromResponder, frame: i * 100 + 70, ts: Make.t(base + 6), lastStream: 3,
                                                errorCode: .noError, debugData: [], streamsCut: [5])]
        case 7: s.goaways = [HTTP2GoawayRecord(direction: .fromResponder, frame: i * 100 + 70, ts: Make.t(base + 6), lastStream: 7,
                                                errorCode: .noError, debugData: [], streamsCut: [])]
        default: break
        }
        return (s, tcp)
    }

    static func findings(countHealthy: Bool) -> [String] {
        var limits = EvidenceLimits()
        limits.countHealthy = countHealthy
        limits.maxConnectionsInFullWhenCounting = 3
        var ev = Evidence(limits: limits)
        for i in 0..<200 {
            let (s, tcp) = connection(i)
            // In the pipeline's order: the HTTP/2 summary first, then the TCP record.
            ev.h2Connection(s)
            ev.tcp(tcp)
        }
        if countHealthy {
            #expect(ev.h2.count < 200 && ev.tcp.count < 200, "healthy connections were kept")
            #expect(ev.tcpCount == 200 && ev.h2.count + ev.healthyH2Dropped == 200)
            #expect(ev.h2.reduce(0) { $0 + $1.streams.count } + ev.h2StreamsNotKept == 800)
            #expect(ev.h2.reduce(0) { $0 + $1.goaways.count } + ev.h2GoawaysNotKept == 50)
        }
        return Make.run(ev).map { f in
            "\(f.cause) \(f.layer) \(f.summary) \(f.packets) \(f.timeline.map(\.text))"
        }
    }

    @Test func countingHealthyConnectionsChangesNoFinding() {
        let all = Self.findings(countHealthy: false)
        #expect(!all.isEmpty)
        #expect(Self.findings(countHealthy: true) == all)
    }
}
