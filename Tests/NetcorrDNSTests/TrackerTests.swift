import Testing
import NetcorrCore
@testable import NetcorrDNS

/// Hand-written events: the tracker sees decoded messages, never bytes.
struct Script {
    var tracker: DNSTransactionTracker
    var out: [DNSTransaction] = []
    init(timeout: Double = 1) {
        var o = DNSTrackerOptions()
        o.timeout = .seconds(timeout)
        o.lateGrace = .seconds(5)
        tracker = DNSTransactionTracker(options: o)
    }
    static let client = IPAddress("10.0.0.2")!, server = Endpoint(IPAddress("10.0.0.10")!, 53)

    mutating func query(_ frame: Int, at t: Double, id: UInt16, port: UInt16, name: String = "app.test",
                        type: DNSType = .a, transport: Transport = .udp) {
        var m = DNSMessage(id: id, flags: 0x0100, qdcount: 1, ancount: 0, nscount: 0, arcount: 0)
        m.qname = name; m.qtype = type
        tracker.message(DNSMessageEvent(frame: frame, ts: .init(nanoseconds: Int64(t * 1e9)), src: Endpoint(Self.client, port),
                                        dst: Self.server, transport: transport, message: m)) { out.append($0) }
    }
    mutating func response(_ frame: Int, at t: Double, id: UInt16, port: UInt16, name: String = "app.test",
                           type: DNSType = .a, rcode: UInt16 = 0, tc: Bool = false, transport: Transport = .udp) {
        var m = DNSMessage(id: id, flags: 0x8180 | rcode | (tc ? 0x0200 : 0), qdcount: 1, ancount: 1, nscount: 0, arcount: 0)
        m.qname = name; m.qtype = type
        tracker.message(DNSMessageEvent(frame: frame, ts: .init(nanoseconds: Int64(t * 1e9)), src: Self.server,
                                        dst: Endpoint(Self.client, port), transport: transport, message: m)) { out.append($0) }
    }
    mutating func finish(at t: Double) { tracker.finish(at: .init(nanoseconds: Int64(t * 1e9))) { out.append($0) } }
    func txn(_ frame: Int) -> DNSTransaction? { out.first { $0.queryFrame == frame } }
}

@Suite struct TrackerTests {
    @Test func answeredWithRTT() throws {
        var s = Script()
        s.query(1, at: 0, id: 7, port: 40000)
        s.response(2, at: 0.002, id: 7, port: 40000)
        let t = try #require(s.txn(1))
        #expect(t.outcome == .answered && t.responseFrame == 2 && t.rtt == .milliseconds(2) && !t.late)
    }

    @Test func responseFromWrongPortOrIdMatchesNothing() {
        var s = Script()
        s.query(1, at: 0, id: 7, port: 40000)
        s.response(2, at: 0.001, id: 8, port: 40000)
        s.response(3, at: 0.001, id: 7, port: 40001)
        s.response(4, at: 0.001, id: 7, port: 40000, name: "other.test")
        s.finish(at: 10)
        #expect(s.tracker.unmatchedResponseCount == 3)
        #expect(s.txn(1)?.outcome == .unanswered)
    }

    /// Go's retry: new id, new port, same question, after the timeout.
    @Test func retryIsLinkedByQuestionNotId() throws {
        var s = Script()
        s.query(1, at: 0, id: 100, port: 40000)
        s.query(5, at: 1.0, id: 200, port: 40001)
        s.response(6, at: 1.001, id: 200, port: 40001)
        s.finish(at: 10)
        let first = try #require(s.txn(1)), second = try #require(s.txn(5))
        #expect(first.outcome == .unanswered && !first.endedByCapture)
        #expect(second.attempt == 2 && second.retryOf == 1 && second.outcome == .answered)
    }

    /// A quick success, then the same name asked again later: a new lookup, not a retry (near-miss).
    @Test func repeatAfterSuccessIsNotARetry() throws {
        var s = Script()
        s.query(1, at: 0, id: 1, port: 40000)
        s.response(2, at: 0.001, id: 1, port: 40000)
        s.query(3, at: 0.5, id: 2, port: 40001)
        s.response(4, at: 0.501, id: 2, port: 40001)
        #expect(s.txn(3)?.attempt == 1 && s.txn(3)?.retryOf == nil)
    }

    @Test func responseAfterTheClientRetriedIsLate() throws {
        var s = Script()
        s.query(1, at: 0, id: 1, port: 40000)
        s.query(2, at: 1.0, id: 2, port: 40001)
        s.response(3, at: 1.5, id: 1, port: 40000)   // answer to the first try, after the retry went out
        let t = try #require(s.txn(1))
        #expect(t.outcome == .answered && t.late)
    }

    @Test func responseAfterTimeoutIsLate() throws {
        var s = Script(timeout: 1)
        s.query(1, at: 0, id: 1, port: 40000)
        s.response(2, at: 1.5, id: 1, port: 40000)
        #expect(s.txn(1)?.late == true)
    }

    @Test func unansweredSettlesOnceTimePasses() {
        var s = Script(timeout: 1)
        s.query(1, at: 0, id: 1, port: 40000)
        #expect(s.out.isEmpty)
        s.query(2, at: 7, id: 2, port: 40001, name: "later.test")   // 7 s > timeout + grace
        #expect(s.txn(1)?.outcome == .unanswered)
        #expect(s.tracker.openQueries == 1)
    }

    @Test func captureEndingEarlyIsSaid() {
        var s = Script(timeout: 5)
        s.query(1, at: 0, id: 1, port: 40000)
        s.finish(at: 2)
        #expect(s.txn(1)?.endedByCapture == true)
    }

    @Test func icmpPortUnreachableSettlesTheQuotedQuery() throws {
        var s = Script()
        s.query(1, at: 0, id: 9, port: 40000)
        let e = ICMPErrorEvent(frame: 2, ts: .init(nanoseconds: 1000), reporter: Script.server.address, v6: false, type: 3,
                               code: 3, name: "port unreachable", quotedSrc: Endpoint(Script.client, 40000),
                               quotedDst: Script.server, quotedProto: 17, quotedDNSID: 9)
        s.tracker.icmp(e) { s.out.append($0) }
        let t = try #require(s.txn(1))
        #expect(t.outcome == .icmpError && t.icmp?.frame == 2)
    }

    @Test func truncatedThenTCP() throws {
        var s = Script()
        s.query(1, at: 0, id: 1, port: 40000)
        s.response(2, at: 0.001, id: 1, port: 40000, tc: true)
        s.query(5, at: 0.002, id: 3, port: 50000, transport: .tcp)
        s.finish(at: 10)
        let t = try #require(s.txn(5))
        #expect(t.afterTruncation == 2 && t.transport == .tcp && t.outcome == .unanswered)
        #expect(s.txn(1)?.truncated == true)
    }

    @Test func servfailThenNextServerIsARetry() throws {
        var s = Script()
        s.query(1, at: 0, id: 1, port: 40000)
        s.response(2, at: 0.001, id: 1, port: 40000, rcode: 2)
        s.query(3, at: 0.002, id: 2, port: 40001)
        #expect(s.txn(3) == nil)   // still open
        s.finish(at: 10)
        #expect(s.txn(3)?.attempt == 2)
        #expect(s.txn(1)?.rcode == .servFail)
    }

    /// One query never answered, then thousands answered at once while it waits for its timeout: the list that
    /// `advance` settles from holds the open queries, not every query since the unanswered one; the unanswered one
    /// is still settled when its time runs out, and the queries still open at the end with the capture.
    @Test func settledQueriesLeaveTheOrderList() throws {
        var s = Script(timeout: 5)   // timeout + late grace: 10 s
        s.query(1, at: 0, id: 1, port: 10_000, name: "lost.test")
        for i in 0..<20_000 {
            let t = 0.001 + Double(i) * 0.0004   // 8 s of queries, each answered 0.1 ms later
            s.query(2 + 2 * i, at: t, id: UInt16(i & 0xffff), port: UInt16(20_000 + i % 1000), name: "n\(i).test")
            s.response(3 + 2 * i, at: t + 0.0001, id: UInt16(i & 0xffff), port: UInt16(20_000 + i % 1000), name: "n\(i).test")
        }
        #expect(s.tracker.order.count < 4096, "\(s.tracker.order.count) entries for \(s.tracker.openQueries) open queries")
        s.query(50_000, at: 9, id: 7, port: 10_001, name: "late.test")
        #expect(s.txn(1) == nil)
        s.query(50_001, at: 10.5, id: 8, port: 10_002, name: "other.test")
        #expect(s.txn(1)?.outcome == .unanswered && s.txn(1)?.endedByCapture == false)
        s.finish(at: 11)
        #expect(s.txn(50_000)?.outcome == .unanswered && s.txn(50_001)?.endedByCapture == true)
        #expect(s.out.filter { $0.outcome == .answered }.count == 20_000)
    }

    /// Memory follows the questions in flight, not the file: questions answered well are forgotten at once, and
    /// failed ones once the retry window has passed (epoch-sized capture times included: a sweep clock that
    /// starts at Int64.min wrapped and never swept).
    @Test func questionTableStaysBounded() {
        var s = Script()
        let base = 1_795_000_000.0
        for i in 0..<2000 {
            let t = base + Double(i) * 0.05   // 100 s of capture time
            s.query(2 * i + 1, at: t, id: UInt16(i & 0xffff), port: UInt16(20000 + i % 1000), name: "n\(i).test")
            if i % 2 == 0 { s.response(2 * i + 2, at: t + 0.001, id: UInt16(i & 0xffff), port: UInt16(20000 + i % 1000), name: "n\(i).test") }
        }
        // Half answered well (forgotten at once), half unanswered (kept for retries within the 12 s window).
        #expect(s.tracker.lastAttempt.count < 2 * 12 * 20 / 2 + 50, "\(s.tracker.lastAttempt.count) questions followed")
        #expect(s.out.filter { $0.outcome == .answered }.count == 1000)
    }
}

