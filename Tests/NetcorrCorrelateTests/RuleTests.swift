import Testing
import NetcorrCore
@testable import NetcorrCorrelate

/// Hand-written events: the correlator sees events, never bytes. Each rule fires on its case and stays quiet
/// on the near-miss next to it.
enum Make {
    static let client = IPAddress("10.0.0.2")!, dns = Endpoint(IPAddress("10.0.0.10")!, 53), web = Endpoint(IPAddress("10.0.0.80")!, 443)
    static func t(_ s: Double) -> Timestamp { Timestamp(nanoseconds: Int64(s * 1e9)) }

    static func txn(_ frame: Int, at q: Double, name: String = "app.test", type: DNSType = .a, port: UInt16,
                    answeredAt r: Double? = nil, rcode: DNSRcode = .noError, answers: Int = 1, attempt: Int = 1,
                    retryOf: Int? = nil) -> DNSTransaction {
        var x = DNSTransaction(client: Endpoint(client, port), server: dns, transport: .udp, id: UInt16(frame), qname: name,
                               qtype: type, queryFrame: frame, queryTS: t(q))
        x.attempt = attempt
        x.retryOf = retryOf
        if let r {
            x.outcome = .answered; x.responseFrame = frame + 1000; x.responseTS = t(r); x.rcode = rcode; x.answers = answers
        }
        return x
    }

    static func conn(_ state: String, from: Double, to: Double, syns: Int = 1, rstByServer: Bool = false,
                     retrans: Int = 0, zeroWindow: Int = 0, fin: Bool = false, port: UInt16 = 40000,
                     trailing: Bool = false) -> TCPConnectionEvent {
        var e = TCPConnectionEvent(initiator: Endpoint(client, port), responder: web, state: state, firstFrame: 1, lastFrame: 9,
                           firstTS: t(from), lastTS: t(to), syn: true, synAck: state != "S0" && state != "REJ", synCount: syns,
                           synFrames: Array(1...syns), fin: fin, rst: rstByServer || state == "REJ", rstFromResponder: rstByServer || state == "REJ",
                           rstFrame: rstByServer || state == "REJ" ? 9 : nil, packets: 10, packetsPerDirection: [5, 5], bytes: 100,
                           bytesPerDirection: [60, 40], retransmissions: retrans, outOfOrder: 0, lostSegments: 0,
                           zeroWindow: zeroWindow, keepAlives: 0, gapBytes: 0)
        if trailing && retrans > 0 {
            e.trailingRetransmissions = TCPRetransmissionRunInfo(sender: .fromInitiator, first: PacketRef(frame: 3, ts: t(from + 0.2)),
                                                                 last: PacketRef(frame: 8, ts: t(to)), count: retrans)
        }
        return e
    }

    static func run(_ ev: Evidence, timeout: Double? = 1) -> [Finding] {
        var ev = ev
        if ev.captureStart == nil {
            let ts = ev.transactions.map(\.queryTS) + ev.tcp.map(\.firstTS) + ev.tcp.map(\.lastTS) + ev.h2.map(\.endTs)
            ev.captureStart = ts.min(); ev.captureEnd = ts.max()
        }
        var o = CorrelatorOptions()
        o.dnsTimeout = timeout.map { .seconds($0) }
        var c = Correlator(evidence: ev, options: o)
        return c.run().findings
    }
}

@Suite struct DNSRuleTests {
    @Test func allUnansweredIsNoResponse() throws {
        var ev = Evidence()
        ev.transactions = [Make.txn(1, at: 0, port: 1), Make.txn(2, at: 1, port: 2, attempt: 2, retryOf: 1)]
        ev.captureEnd = Make.t(5)
        let f = try #require(Make.run(ev).first)
        #expect(f.cause == .dnsNoResponse && f.layer == .network && !f.recovered)
        #expect(f.packets == [1, 2])
    }

    @Test func unansweredAAAAThenSuccessIsARecoveredNoResponse() throws {
        var ev = Evidence()
        ev.transactions = [Make.txn(1, at: 0, port: 1, answeredAt: 0.001), Make.txn(2, at: 0, type: .aaaa, port: 2),
                           Make.txn(3, at: 1, type: .aaaa, port: 3, answeredAt: 1.001, answers: 0, attempt: 2, retryOf: 2)]
        // Go's lookup of A+AAAA ends when both are settled: the A answer at 1 ms does not end it, the AAAA
        // retry belongs to it, and the delay is the unanswered AAAA's timeout.
        ev.captureEnd = Make.t(3)
        let f = Make.run(ev)
        #expect(f.count == 1)
        let x = try #require(f.first)
        #expect(x.cause == .dnsNoResponse && x.layer == .network && x.recovered)
        #expect(x.packets.contains(2) && x.packets.contains(3))
    }

    /// Near-miss: the first server said SERVFAIL, the next attempt succeeded at once: no finding.
    @Test func retryThatSucceedsQuicklyIsNotAFinding() {
        var ev = Evidence()
        ev.transactions = [Make.txn(1, at: 0, port: 1, answeredAt: 0.001, rcode: .servFail, answers: 0),
                           Make.txn(2, at: 0.002, port: 2, answeredAt: 0.003, attempt: 2, retryOf: 1)]
        ev.captureEnd = Make.t(5)
        #expect(Make.run(ev).isEmpty)
    }

    /// Near-miss: a late duplicate answer after the lookup already had its address.
    @Test func lateResponseNobodyWaitedForIsNotAFinding() {
        var ev = Evidence()
        var late = Make.txn(2, at: 0, port: 2, answeredAt: 3)
        late.late = true
        ev.transactions = [Make.txn(1, at: 0, port: 1, answeredAt: 0.002), late]
        ev.captureEnd = Make.t(5)
        #expect(Make.run(ev).isEmpty)
    }

    @Test func lateAnswersAreLateResponse() throws {
        var ev = Evidence()
        ev.transactions = [Make.txn(1, at: 0, port: 1, answeredAt: 1.5), Make.txn(2, at: 1, port: 2, answeredAt: 2.5, attempt: 2, retryOf: 1)]
        ev.captureEnd = Make.t(5)
        let f = try #require(Make.run(ev).first)
        #expect(f.cause == .dnsLateResponse && f.layer == .service)
    }

    @Test func everyNameNXDOMAINIsNXDomain() throws {
        var ev = Evidence()
        ev.transactions = [Make.txn(1, at: 0, name: "app.corp.test", port: 1, answeredAt: 0.001, rcode: .nxDomain, answers: 0),
                           Make.txn(2, at: 0.002, name: "app", port: 2, answeredAt: 0.003, rcode: .nxDomain, answers: 0)]
        let f = try #require(Make.run(ev).first)
        #expect(f.cause == .dnsNXDomain && f.layer == .service)
        #expect(f.summary.contains("app.corp.test") && f.summary.contains("2 names"))
    }

    /// Near-miss: the search list's first name is NXDOMAIN, the bare name resolves: normal, no finding.
    @Test func searchListMissThenHitIsNotAFinding() {
        var ev = Evidence()
        ev.transactions = [Make.txn(1, at: 0, name: "app.corp.test", port: 1, answeredAt: 0.001, rcode: .nxDomain, answers: 0),
                           Make.txn(2, at: 0.002, name: "app", port: 2, answeredAt: 0.003)]
        #expect(Make.run(ev).isEmpty)
    }

    @Test func logNamesAQueryTheWireNeverCarried() throws {
        var ev = Evidence()
        ev.transactions = []
        var e = LogEvent(file: "app.log", line: 7, kind: .error, message: "lookup app.test on 10.0.0.10:53: write udp 10.0.0.2:5555->10.0.0.10:53: write: operation not permitted")
        e.errorKind = .dnsSendBlocked; e.local = Endpoint(Make.client, 5555); e.server = Make.dns; e.host = "app.test"
        ev.log(e)
        ev.captureStart = Make.t(0); ev.captureEnd = Make.t(1)
        let f = try #require(Make.run(ev).first)
        #expect(f.cause == .dnsNotSent && f.layer == .local)
        #expect(f.logLines == [LogRef(file: "app.log", line: 7)])
    }
}

@Suite struct TCPRuleTests {
    @Test func synUnansweredIsSynTimeout() throws {
        var ev = Evidence()
        ev.tcp = [Make.conn("S0", from: 0, to: 3, syns: 3)]
        let f = try #require(Make.run(ev).first)
        #expect(f.cause == .tcpSynTimeout && f.layer == .network)
        #expect(f.packets == [1, 2, 3])
    }

    /// Near-miss: one SYN sent just before the capture stopped.
    @Test func synAtTheVeryEndIsNotYetAFailure() {
        var ev = Evidence()
        ev.tcp = [Make.conn("S0", from: 9.8, to: 9.8)]
        ev.captureStart = Make.t(0); ev.captureEnd = Make.t(10)
        #expect(Make.run(ev).isEmpty)
    }

    @Test func rstToSynIsRefused() throws {
        var ev = Evidence()
        ev.tcp = [Make.conn("REJ", from: 0, to: 0.001)]
        let f = try #require(Make.run(ev).first)
        #expect(f.cause == .tcpRefused && f.layer == .service)
    }

    @Test func serverResetIsReset() throws {
        var ev = Evidence()
        ev.tcp = [Make.conn("RSTR", from: 0, to: 1, rstByServer: true)]
        #expect(Make.run(ev).first?.cause == .tcpReset)
    }

    /// Near-miss: a clean close.
    @Test func cleanCloseIsNothing() {
        var ev = Evidence()
        ev.tcp = [Make.conn("SF", from: 0, to: 1, fin: true)]
        #expect(Make.run(ev).isEmpty)
    }

    @Test func retransmittedUntilTheEndIsRetransmissionTimeout() throws {
        var ev = Evidence()
        ev.tcp = [Make.conn("S1", from: 0, to: 4, retrans: 5, trailing: true)]
        let f = Make.run(ev).first
        #expect(f?.cause == .tcpRetransmissionTimeout && f?.packets.contains(8) == true)
    }

    /// Near-miss: retransmissions that the peer acknowledged in the end (loss that recovered).
    @Test func retransmissionsThatWereAcknowledgedAreNothing() {
        var ev = Evidence()
        ev.tcp = [Make.conn("S1", from: 0, to: 4, retrans: 5, trailing: false)]
        #expect(Make.run(ev).isEmpty)
    }

    /// Near-miss: one retransmission on a connection that finished normally.
    @Test func aRetransmissionThatRecoveredIsNothing() {
        var ev = Evidence()
        ev.tcp = [Make.conn("SF", from: 0, to: 1, retrans: 1, fin: true)]
        #expect(Make.run(ev).isEmpty)
    }
}

@Suite struct H2RuleTests {
    static func summary(goaway code: HTTP2ErrorCode? = nil, cut: [UInt32] = [], status: Int? = 200, pingAcked: Bool? = nil,
                        end: Double = 10) -> HTTP2ConnectionSummary {
        var s = HTTP2ConnectionSummary(client: Endpoint(Make.client, 40000), server: Make.web, start: .priorKnowledge, endTs: Make.t(end))
        s.firstTs = Make.t(0); s.lastTs = Make.t(end)
        var st = HTTP2StreamSummary(id: 1)
        st.method = "GET"; st.path = "/x"; st.status = status; st.requestStart = Make.t(0.1); st.requestFrame = 5
        st.responseHeaders = Make.t(0.2); st.responseFrame = 6; st.end = Make.t(0.3); st.endFrame = 7; st.endedBy = .endStream
        s.streams = [st]
        if let code { s.goaways = [HTTP2GoawayRecord(direction: .fromResponder, frame: 8, ts: Make.t(1), lastStream: 1, errorCode: code, debugData: [], streamsCut: cut)] }
        if let acked = pingAcked {
            var p = HTTP2PingRecord(direction: .fromInitiator, data: 1, frame: 9, sent: Make.t(2))
            if acked { p.ackTs = Make.t(2.001); p.ackFrame = 10 }
            s.pings = [p]
        }
        return s
    }

    @Test func goawayWithErrorIsGoaway() throws {
        var ev = Evidence()
        ev.h2 = [Self.summary(goaway: .enhanceYourCalm)]
        let f = try #require(Make.run(ev).first)
        #expect(f.cause == .h2GoAway && f.layer == .service && f.packets.contains(8))
    }

    /// Near-miss: GOAWAY NO_ERROR after every stream completed (a graceful close).
    @Test func gracefulGoawayAfterAllStreamsIsNothing() {
        var ev = Evidence()
        ev.h2 = [Self.summary(goaway: .noError)]
        #expect(Make.run(ev).isEmpty)
    }

    @Test func gracefulGoawayThatCutStreamsIsAFinding() {
        var ev = Evidence()
        ev.h2 = [Self.summary(goaway: .noError, cut: [3, 5])]
        #expect(Make.run(ev).first?.cause == .h2GoAway)
    }

    @Test func status503IsStatus5xx() throws {
        var ev = Evidence()
        ev.h2 = [Self.summary(status: 503)]
        let f = try #require(Make.run(ev).first)
        #expect(f.cause == .h2Status5xx && f.flow.stream == 1)
    }

    /// Near-miss: a 404 is the service's answer, not a failure of it.
    @Test func status404IsNothing() {
        var ev = Evidence()
        ev.h2 = [Self.summary(status: 404)]
        #expect(Make.run(ev).isEmpty)
    }

    @Test func unansweredPingIsPingTimeout() {
        var ev = Evidence()
        ev.h2 = [Self.summary(pingAcked: false)]
        #expect(Make.run(ev).first?.cause == .h2PingTimeout)
    }

    /// Near-miss: a PING sent half a second before the capture ended.
    @Test func pingAtTheEndIsNotYetATimeout() {
        var ev = Evidence()
        ev.h2 = [Self.summary(pingAcked: false, end: 2.5)]
        #expect(Make.run(ev).isEmpty)
    }

    @Test func answeredPingIsNothing() {
        var ev = Evidence()
        ev.h2 = [Self.summary(pingAcked: true)]
        #expect(Make.run(ev).isEmpty)
    }
}

@Suite struct ClockTests {
    @Test func medianWithOutliersRejected() throws {
        let base = Make.t(1000)
        var pairs: [(log: Timestamp, wire: Timestamp)] = []
        for i in 0..<9 {
            let at: Int64 = Int64(i) * 100
            let jitter: Int64 = Int64(i % 3)
            pairs.append((log: base + .milliseconds(at), wire: base + .milliseconds(at + 2000 + jitter)))
        }
        pairs.append((log: base, wire: base + .seconds(60)))   // a wrong match
        let e = try #require(ClockOffsetEstimate.estimate(pairs))
        #expect(abs(e.offset.nanoseconds - 2_001_000_000) <= 1_000_000)
        #expect(e.pairsRejected == 1)
    }

    @Test func noPairsNoEstimate() { #expect(ClockOffsetEstimate.estimate([]) == nil) }
}

@Suite struct DiscrepancyTests {
    static func logFrame(_ line: Int, at t: Double, _ dir: LogFrameDirection, type: UInt8, name: String, stream: UInt32, len: Int) -> LogEvent {
        var e = LogEvent(file: "app.log", line: line, ts: Make.t(t), tsSource: .prefix, kind: .h2Frame,
                         message: "http2: Framer 0x1: \(dir) \(name) stream=\(stream) len=\(len)")
        e.connID = 1; e.direction = dir; e.role = .client
        e.frame = H2FrameSummary(typeName: name, type: type, flags: 0, streamID: stream, length: len)
        return e
    }
    static func wire(_ frame: Int, at t: Double, _ d: FlowDirection, type: UInt8, stream: UInt32, len: Int) -> FrameRecord {
        FrameRecord(frame: frame, ts: Make.t(t), direction: d, type: type, flags: 0, stream: stream, length: len)
    }

    func evidence(readsResponse: Bool) -> Evidence {
        var ev = Evidence()
        let k = FlowKey(Endpoint(Make.client, 40000), Make.web, .tcp)
        ev.h2Frames[k] = [Self.wire(4, at: 0.1, .fromInitiator, type: 4, stream: 0, len: 18),
                          Self.wire(5, at: 0.11, .fromResponder, type: 4, stream: 0, len: 6),
                          Self.wire(6, at: 0.12, .fromInitiator, type: 1, stream: 1, len: 30),
                          Self.wire(7, at: 0.5, .fromResponder, type: 1, stream: 1, len: 20),
                          Self.wire(8, at: 0.5, .fromResponder, type: 0, stream: 1, len: 5),
                          Self.wire(9, at: 3.0, .fromInitiator, type: 6, stream: 0, len: 8)]
        var logs = [Self.logFrame(1, at: 0.1, .wrote, type: 4, name: "SETTINGS", stream: 0, len: 18),
                    Self.logFrame(2, at: 0.11, .read, type: 4, name: "SETTINGS", stream: 0, len: 6),
                    Self.logFrame(3, at: 0.12, .wrote, type: 1, name: "HEADERS", stream: 1, len: 30)]
        if readsResponse {
            logs += [Self.logFrame(4, at: 0.5, .read, type: 1, name: "HEADERS", stream: 1, len: 20),
                     Self.logFrame(5, at: 0.5, .read, type: 0, name: "DATA", stream: 1, len: 5)]
        }
        logs.append(Self.logFrame(6, at: 3.0, .wrote, type: 6, name: "PING", stream: 0, len: 8))
        for e in logs { ev.log(e) }
        ev.captureStart = Make.t(0); ev.captureEnd = Make.t(3)
        return ev
    }

    @Test func framesArrivedButNeverReadIsProgramStalled() throws {
        let f = Make.run(evidence(readsResponse: false))
        let x = try #require(f.first { $0.cause == .h2ProgramStalled })
        #expect(x.layer == .local && x.packets == [7, 8])
    }

    /// Near-miss: the program logged reading them.
    @Test func framesReadAreNothing() {
        #expect(!Make.run(evidence(readsResponse: true)).contains { $0.cause == .h2ProgramStalled })
    }
}

@Suite struct AggregationTests {
    func nxdomains(_ n: Int) -> Evidence {
        var ev = Evidence()
        ev.transactions = (0..<n).map { i in
            Make.txn(i + 1, at: Double(i) * 10, name: "name\(i).test", port: UInt16(1000 + i), answeredAt: Double(i) * 10 + 0.001,
                     rcode: .nxDomain, answers: 0)
        }
        return ev
    }

    @Test func manyOfOneCauseAndServerAreOneFinding() throws {
        let f = Make.run(nxdomains(25))
        #expect(f.count == 1)
        let x = try #require(f.first)
        #expect(x.cause == .dnsNXDomain && x.summary.hasPrefix("25 failures"))
        #expect(x.timeline.count == 11)   // 10 examples and the rest counted
    }

    /// Near-miss: a handful are reported one by one.
    @Test func aFewStaySeparate() { #expect(Make.run(nxdomains(5)).count == 5) }
}

/// `EvidenceLimits.foldHealthyDNS`: healthy lookups are counted, not kept, and the findings are the same as
/// with every transaction kept. Events arrive as the pipeline sends them: each query when it is seen, each
/// transaction when it settles (an unanswered one long after its query).
@Suite struct HealthyFoldTests {
    enum Step { case query(DNSTransaction), settle(DNSTransaction), log(LogEvent) }

    static func query(_ t: DNSTransaction) -> DNSMessageEvent {
        var m = DNSMessage(id: t.id, flags: 0x0100, qdcount: 1, ancount: 0, nscount: 0, arcount: 0)
        m.qname = t.qname; m.qtype = t.qtype; m.qclass = 1
        return DNSMessageEvent(frame: t.queryFrame, ts: t.queryTS, src: t.client, dst: t.server, transport: t.transport, message: m)
    }

    static func feed(_ steps: [Step], fold: Bool) -> Evidence {
        var l = EvidenceLimits()
        l.foldHealthyDNS = fold
        var ev = Evidence(limits: l)
        for s in steps {
            switch s {
            case .query(let t): ev.dns(query(t))
            case .settle(let t): ev.dnsTransaction(t)
            case .log(let e): ev.log(e)
            }
        }
        ev.finishDNS()
        return ev
    }

    static func same(_ steps: [Step]) -> (folded: Evidence, findings: [Finding]) {
        let a = feed(steps, fold: true), b = feed(steps, fold: false)
        let fa = Make.run(a), fb = Make.run(b)
        #expect(fa.map(\.summary) == fb.map(\.summary))
        #expect(fa.map(\.packets) == fb.map(\.packets))
        return (a, fa)
    }

    @Test func answerHeldWhileItsLookupMayStillFail() throws {
        // A answered at once while AAAA of the same lookup is still open; the AAAA fails later.
        let a = Make.txn(1, at: 0, port: 1, answeredAt: 0.001)
        let aaaa = Make.txn(2, at: 0, type: .aaaa, port: 2)
        let retry = Make.txn(3, at: 1, type: .aaaa, port: 3, answeredAt: 1.001, answers: 0, attempt: 2, retryOf: 2)
        // Another client's lookup at the same time, healthy from end to end.
        var other = Make.txn(4, at: 0.5, name: "db.test", port: 9, answeredAt: 0.502)
        other.client = Endpoint(IPAddress("10.0.0.3")!, 9)
        let (ev, f) = Self.same([.query(a), .query(aaaa), .settle(a), .query(other), .settle(other), .query(retry),
                                 .settle(retry), .settle(aaaa)])
        let x = try #require(f.first)
        #expect(x.cause == .dnsNoResponse && x.recovered)
        #expect(ev.transactions.contains { $0.queryFrame == 1 }, "the A answer belongs to the failing lookup")
        #expect(!ev.transactions.contains { $0.queryFrame == 4 } && ev.healthyDNSFolded == 1)
        #expect(ev.dnsTransactionsByClient[Make.client] == 3)
    }

    @Test func healthyLookupsAloneAreCountedOnly() {
        var steps: [Step] = []
        for i in 0..<50 {
            let t = Make.txn(i + 1, at: Double(i) * 0.1, name: "svc\(i % 5).test", port: UInt16(100 + i), answeredAt: Double(i) * 0.1 + 0.002)
            steps += [.query(t), .settle(t)]
        }
        let (ev, f) = Self.same(steps)
        #expect(f.isEmpty)
        #expect(ev.transactions.isEmpty && ev.healthyDNSFolded == 50)
    }

    /// Near-miss: a later query of the same name, after the lookup had its answer, is a new lookup; the healthy
    /// answer before it is not needed, and a failing one after it still gives its finding.
    @Test func failureAfterASucceededLookupIsItsOwnLookup() throws {
        let ok = Make.txn(1, at: 0, port: 1, answeredAt: 0.001)
        let bad = Make.txn(2, at: 3, port: 2, answeredAt: 3.001, rcode: .servFail, answers: 0)
        let (_, f) = Self.same([.query(ok), .settle(ok), .query(bad), .settle(bad)])
        #expect(f.first?.cause == .dnsServfail)
    }

    /// A query the log names is kept whatever it shows: here its answer was on the wire at once, and the log
    /// says it timed out (the program did not take the reply).
    @Test func queryNamedByTheLogIsKept() throws {
        let t = Make.txn(1, at: 0, port: 5555, answeredAt: 0.002)
        var e = LogEvent(file: "app.log", line: 3, ts: Make.t(5), tsSource: .prefix, kind: .error,
                         message: "lookup app.test on 10.0.0.10:53: read udp 10.0.0.2:5555->10.0.0.10:53: i/o timeout")
        e.errorKind = .dnsTimeout; e.local = Endpoint(Make.client, 5555); e.server = Make.dns; e.host = "app.test"
        let (ev, f) = Self.same([.log(e), .query(t), .settle(t)])
        #expect(ev.transactions.count == 1)
        #expect(f.first?.cause == .dnsReplyIgnored)
    }

    /// The correlator's lookup of "app" holds "app.x.test" and "app.y.test" (both extend the asked base): the
    /// healthy sibling is kept. "www.b.test" shares only the first label with the failing "www.a.test", and
    /// "www" was never asked: it is its own lookup, folded.
    @Test func siblingsAreRelatedOnlyThroughAnAskedBase() {
        let base = Make.txn(1, at: 0, name: "app", port: 1, answeredAt: 0.001)
        let bad = Make.txn(2, at: 0, name: "app.x.test", port: 2, answeredAt: 0.002, rcode: .servFail, answers: 0)
        let sib = Make.txn(3, at: 0.003, name: "App.Y.test", port: 3, answeredAt: 0.004)
        let wa = Make.txn(4, at: 10, name: "www.a.test", port: 4, answeredAt: 10.001, rcode: .servFail, answers: 0)
        let wb = Make.txn(5, at: 10.002, name: "www.b.test", port: 5, answeredAt: 10.003)
        let (ev, _) = Self.same([.query(base), .query(bad), .settle(base), .settle(bad), .query(sib), .settle(sib),
                                 .query(wa), .settle(wa), .query(wb), .settle(wb)])
        #expect(Set(ev.transactions.map(\.queryFrame)) == [1, 2, 3, 4])
        #expect(ev.healthyDNSFolded == 1)
    }

    @Test func labelPrefixes() {
        #expect(commonLabels("a.b.c", "a.b.d") == 3 && commonLabels("a.b", "a.b") == 3 && commonLabels("a.b", "a.bc") == 1)
        #expect(commonLabels("a.b", "a.b.c") == 3 && commonLabels("x", "y") == 0)
        #expect(isLabelPrefix("a.b", of: "a.b.c") && isLabelPrefix("a.b", of: "a.b") && !isLabelPrefix("a.b", of: "a.bc"))
    }

    /// NODATA for AAAA next to an address for A (an IPv4-only name) is a healthy lookup: both folded. NODATA
    /// alone is a failed lookup ("no such host"): kept, the same finding as with everything kept. NODATA asked
    /// more than 20 ms after the answer, while another query of the key is open, is a new lookup of its own: kept.
    @Test func noDataIsFoldedOnlyWhenItsLookupGotAnAddress() throws {
        let a = Make.txn(1, at: 0, port: 1, answeredAt: 0.001)
        let aaaa = Make.txn(2, at: 0, type: .aaaa, port: 2, answeredAt: 0.001, answers: 0)
        let (ok, f1) = Self.same([.query(a), .query(aaaa), .settle(a), .settle(aaaa)])
        #expect(f1.isEmpty && ok.transactions.isEmpty && ok.healthyDNSFolded == 2)

        let na = Make.txn(3, at: 10, name: "gone.test", port: 3, answeredAt: 10.001, answers: 0)
        let naaaa = Make.txn(4, at: 10, name: "gone.test", type: .aaaa, port: 4, answeredAt: 10.002, answers: 0)
        let (bad, f2) = Self.same([.query(na), .query(naaaa), .settle(na), .settle(naaaa)])
        #expect(f2.first?.cause == .dnsNXDomain)
        #expect(bad.transactions.count == 2)

        let open = Make.txn(5, at: 20, name: "slow.test", port: 5, answeredAt: 20.9)
        let hit = Make.txn(6, at: 20, name: "late.test", port: 6, answeredAt: 20.001)
        let miss = Make.txn(7, at: 20.5, name: "late.test", type: .aaaa, port: 7, answeredAt: 20.501, answers: 0)
        // Same client, different first labels: "slow" keeps nothing of "late" open; use one first label instead.
        var openSame = open; openSame.qname = "late.other.test"
        let (_, f3) = Self.same([.query(openSame), .query(hit), .settle(hit), .query(miss), .settle(miss), .settle(openSame)])
        #expect(f3.contains { $0.cause == .dnsNXDomain })
    }
}

