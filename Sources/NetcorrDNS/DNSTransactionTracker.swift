import DequeModule
import NetcorrCore

/// How queries are judged. Go's resolver defaults: 5 s per attempt, 2 attempts (resolv.conf `options
/// timeout:N attempts:N` change them).
public struct DNSTrackerOptions: Sendable {
    /// A query with no response after this long is unanswered.
    public var timeout: Duration = .seconds(5)
    /// A response this long after the timeout still counts as the (late) answer to it.
    public var lateGrace: Duration = .seconds(30)
    /// A repeat of the same question by the same client within this window of the previous attempt is a retry.
    public var retryWindow: Duration = .seconds(12)
    public init() {}
}

/// Matches responses to queries and follows retries. Fed DNS messages and ICMP errors in capture order;
/// emits each transaction once it is settled (answered, or unanswered once `timeout + lateGrace` passed, or at
/// `finish`). Memory holds only open queries and the last attempt per recent question.
public struct DNSTransactionTracker {
    /// Client, name (compared without case) and type. The name's hash comes with the transaction (`FastHash.name`,
    /// computed by the parser) and goes through `FastHash.step` with the client and the type: String's own hashing
    /// (SipHash after a normalization check) was the largest cost of the tracker. Equality still compares the names.
    struct QuestionKey: Equatable {
        var client: IPAddress; var qname: String; var qtype: UInt16; var nameHash: UInt64
        init(_ t: DNSTransaction) {
            client = t.client.address; qname = t.qname; qtype = t.qtype.rawValue; nameHash = t.nameHash
        }
        /// Names compare without case (the same name, the same hash); lowered only when their bytes differ.
        static func == (a: QuestionKey, b: QuestionKey) -> Bool {
            a.nameHash == b.nameHash && a.qtype == b.qtype && a.client == b.client
                && (a.qname == b.qname || asciiLowercased(a.qname) == asciiLowercased(b.qname))
        }
        func hash(seed: Int) -> UInt64 {
            FastHash.step(FastHash.step(client.words(FastHash.start(seed)), nameHash), UInt64(qtype))
        }
    }
    struct LastAttempt {
        var frame: Int; var ts: Timestamp; var attempt: Int; var settledOK: Bool; var tcFrame: Int?
        /// Queries of this question still open (any attempt).
        var open = 1
        /// A question not asked before (the frame no query has).
        static let none = LastAttempt(frame: .min, ts: Timestamp(nanoseconds: 0), attempt: 0, settledOK: false, tcFrame: nil,
                                      open: 0)
    }

    public let options: DNSTrackerOptions
    /// Found by key for a response, by `Ref` for `order`.
    var open = OpenQueries()
    /// Query frames the client itself re-sent (it gave up on them: they did not end with the capture).
    var superseded: Set<Int> = []
    /// Every query in capture order, with its time: `advance` settles from the front without reading the
    /// transactions (answered ones are dropped from the front as it reaches them).
    var order: Deque<(query: OpenQueries.Ref, ts: Timestamp)> = []
    var nextSlot = 0
    var lastAttempt = Questions()
    /// nil until the first sweep (a difference with Int64.min would wrap and never come out positive).
    var lastSweep: Timestamp?
    /// Responses that matched no open query (wrong id, port or question, or a duplicate).
    public private(set) var unmatchedResponses: [Int] = []
    public private(set) var unmatchedResponseCount = 0

    public init(options: DNSTrackerOptions = .init()) { self.options = options }

    public mutating func message(_ e: DNSMessageEvent, emit: (DNSTransaction) -> Void) {
        guard !e.quoted, e.duplicateOf == nil else { return }
        advance(to: e.ts, emit: emit)
        // Read in place: a copy of the message retained its strings and arrays once more per packet.
        if !e.message.isResponse {
            guard e.message.opcode == 0, let qname = e.message.qname, let qtype = e.message.qtype else { return }
            var t = DNSTransaction(client: e.src, server: e.dst, transport: e.transport, id: e.message.id, qname: qname,
                                   qtype: qtype, queryFrame: e.frame, queryTS: e.ts, nameHash: e.message.qnameHash)
            // One lookup: a new question comes in as `LastAttempt.none` and is filled in place.
            let q = lastAttempt.entry(QuestionKey(t))
            if let gaveUp = Self.attempt(&t, e, &lastAttempt[Int(q.index)], options.retryWindow) {
                superseded.insert(gaveUp)
            }
            let slot = nextSlot
            nextSlot += 1
            order.append((open.insert(consume t, serial: slot, question: q), e.ts))
            if order.count >= 4096 && order.count > 4 * open.count { compactOrder() }
            return
        }
        // The oldest open query with the same question (a response without a question matches by id alone).
        guard case (var t, let question)? = open.removeFirst(client: e.dst, server: e.src, transport: e.transport, id: e.message.id, where: { t in
            guard let rq = e.message.qname else { return true }
            return e.message.qnameHash == t.nameHash && (rq == t.qname || asciiLowercased(rq) == asciiLowercased(t.qname))
                && (e.message.qtype == nil || e.message.qtype == t.qtype)
        }) else { unmatched(e.frame); return }
        t.outcome = .answered
        t.responseFrame = e.frame
        t.responseTS = e.ts
        t.rcode = e.message.rcode
        t.truncated = e.message.truncated
        t.answers = e.message.ancount
        if e.ts - t.queryTS > options.timeout { t.late = true }
        if let i = lastAttempt.find(t, hint: question) {
            var last = lastAttempt[i]
            if last.frame != t.queryFrame && last.ts > t.queryTS && last.ts < e.ts { t.late = true }
            if last.frame == t.queryFrame {
                last.settledOK = (e.message.rcode == .noError || e.message.rcode == .nxDomain) && !e.message.truncated && !t.late
                if e.message.truncated && e.transport == .udp { last.tcFrame = e.frame }
            }
            last.open -= 1
            // A question settled well with nothing of it in flight is no longer followed: a repeat is a first
            // attempt either way and no late answer can come, so the table holds open and failed questions, not
            // every name asked in the window.
            if last.open <= 0 && last.settledOK && last.tcFrame == nil { lastAttempt.remove(i) } else { lastAttempt[i] = last }
        }
        emit(t)
    }

    /// A query `t` (event `e`) of a question last asked as `last` (`.none` when new): its attempt and the
    /// attempt it retries, and `last` now this query. Returns the frame of a query the client gave up on.
    static func attempt(_ t: inout DNSTransaction, _ e: DNSMessageEvent, _ last: inout LastAttempt, _ window: Duration) -> Int? {
        var gaveUp: Int?
        if last.frame != .min, e.ts - last.ts <= window {
            if e.transport == .tcp, let tc = last.tcFrame {
                t.afterTruncation = tc
                t.attempt = last.attempt
                t.retryOf = last.frame
            } else if !last.settledOK {
                t.attempt = last.attempt + 1
                t.retryOf = last.frame
                gaveUp = last.frame
            }
        }
        last = LastAttempt(frame: e.frame, ts: e.ts, attempt: t.attempt, settledOK: false, tcFrame: nil, open: last.open + 1)
        return gaveUp
    }

    /// An ICMP error quoting a UDP datagram: settles the query it quotes.
    public mutating func icmp(_ e: ICMPErrorEvent, emit: (DNSTransaction) -> Void) {
        advance(to: e.ts, emit: emit)
        guard e.quotedProto == 17 else { return }
        // The quoted datagram went client → server; the oldest open query it may be.
        guard let r = open.oldest(where: { $0.client == e.quotedSrc && $0.server == e.quotedDst && $0.transport == .udp
            && (e.quotedDNSID == nil || $0.id == e.quotedDNSID!) }), case (var t, let question)? = open.remove(r) else { return }
        settledQuestion(t, question)
        t.outcome = .icmpError
        t.icmp = e
        t.responseFrame = e.frame
        t.responseTS = e.ts
        emit(t)
    }

    /// Drops the settled queries from `order` (in place of waiting for `advance` to reach them). `order` runs from the
    /// oldest open query: one unanswered query held every later one in it for the timeout and the late grace (35
    /// s: at 2M packets, 24 MB of a list whose entries had nearly all been answered). Rebuilt when at most a quarter
    /// of it is open, so the cost per query stays constant; `advance` and `finish` skipped settled entries anyway.
    mutating func compactOrder() {
        var kept = Deque<(query: OpenQueries.Ref, ts: Timestamp)>()
        kept.reserveCapacity(open.count)
        for q in order where open.isOpen(q.query) { kept.append(q) }
        order = kept
    }

    /// Settles queries whose time has run out by `now` (capture time).
    public mutating func advance(to now: Timestamp, emit: (DNSTransaction) -> Void) {
        let limit = options.timeout + options.lateGrace
        while let q = order.first {
            guard open.isOpen(q.query) else { order.removeFirst(); continue }
            guard now - q.ts > limit else { break }
            order.removeFirst()
            settleUnanswered(q.query, emit: emit, captureEnd: nil)
        }
        if lastSweep.map({ now - $0 > options.retryWindow }) ?? true {
            lastSweep = now
            lastAttempt.removeAll { now - $0.ts > options.retryWindow }
        }
    }

    /// End of capture: every open query is settled.
    public mutating func finish(at end: Timestamp, emit: (DNSTransaction) -> Void) {
        while let q = order.popFirst() { settleUnanswered(q.query, emit: emit, captureEnd: end) }
        // Nothing is open any more: the tables' storage goes (the report is built after, and its peak memory
        // held the capture's largest tables, empty).
        open = OpenQueries()
        order = []
        lastAttempt = Questions()
        superseded = []
    }

    public var openQueries: Int { open.count }

    /// Settles `q` if it is still open: at the end of the capture (`captureEnd`) or once its time ran out (nil).
    mutating func settleUnanswered(_ q: OpenQueries.Ref, emit: (DNSTransaction) -> Void, captureEnd: Timestamp?) {
        guard case (var t, let question)? = open.remove(q) else { return }
        // A query the client re-sent did not end with the capture: it was given up on.
        t.endedByCapture = captureEnd.map { $0 - t.queryTS < options.timeout && !superseded.contains(t.queryFrame) } ?? false
        superseded.remove(t.queryFrame)
        settledQuestion(t, question)
        t.outcome = .unanswered
        emit(t)
    }

    /// One query of `t`'s question is no longer open (settled without an answer).
    mutating func settledQuestion(_ t: DNSTransaction, _ question: Questions.Ref) {
        if let i = lastAttempt.find(t, hint: question) { lastAttempt[i].open -= 1 }
    }

    mutating func unmatched(_ frame: Int) {
        unmatchedResponseCount += 1
        if unmatchedResponses.count < 64 { unmatchedResponses.append(frame) }
    }
}

