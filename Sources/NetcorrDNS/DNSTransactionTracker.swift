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
    struct Key: Hashable {
        var client: Endpoint; var server: Endpoint; var transport: Transport; var id: UInt16
        /// The endpoints' words and the id through `FastHash.step` instead of a hasher over every field.
        func _rawHashValue(seed: Int) -> Int {
            FastHash.value(FastHash.step(server.words(client.words(FastHash.start(seed))), UInt64(id) | UInt64(transport.rawValue) << 16))
        }
    }
    /// Client, name (compared without case) and type. The name's hash comes with the transaction (`FastHash.name`,
    /// computed by the parser) and goes through `FastHash.step` with the client and the type: String's own hashing
    /// (SipHash after a normalization check) was the largest cost of the tracker. Equality still compares the names.
    struct QuestionKey: Hashable {
        var client: IPAddress; var qname: String; var qtype: UInt16; var nameHash: UInt64
        init(_ t: DNSTransaction) {
            client = t.client.address; qname = t.qname; qtype = t.qtype.rawValue; nameHash = t.nameHash
        }
        /// Names compare without case (the same name, the same hash); lowered only when their bytes differ.
        static func == (a: QuestionKey, b: QuestionKey) -> Bool {
            a.nameHash == b.nameHash && a.qtype == b.qtype && a.client == b.client
                && (a.qname == b.qname || asciiLowercased(a.qname) == asciiLowercased(b.qname))
        }
        func hash(into h: inout Hasher) { h.combine(client); h.combine(nameHash); h.combine(qtype) }
        func _rawHashValue(seed: Int) -> Int {
            FastHash.value(FastHash.step(FastHash.step(client.words(FastHash.start(seed)), nameHash), UInt64(qtype)))
        }
    }
    /// The open queries of one key: almost always one, so no array is allocated for it.
    enum Slots {
        case one(Int)
        case many([Int])
        var list: [Int] { switch self { case .one(let s): [s]; case .many(let l): l } }
        init?(_ l: [Int]) {
            if l.isEmpty { return nil }
            self = l.count == 1 ? .one(l[0]) : .many(l)
        }
        func appending(_ s: Int) -> Slots {
            switch self { case .one(let f): .many([f, s]); case .many(let l): .many(l + [s]) }
        }
    }
    struct LastAttempt {
        var frame: Int; var ts: Timestamp; var attempt: Int; var settledOK: Bool; var tcFrame: Int?
        /// Queries of this question still open (any attempt).
        var open = 1
    }

    public let options: DNSTrackerOptions
    /// Open queries by slot (a `HashWord` of the slot number: hashed without a `Hasher`).
    var open: [HashWord: DNSTransaction] = [:]
    /// Query frames the client itself re-sent (it gave up on them: they did not end with the capture).
    var superseded: Set<Int> = []
    var byKey: [Key: Slots] = [:]
    var order: Deque<Int> = []
    var nextSlot = 0
    var lastAttempt: [QuestionKey: LastAttempt] = [:]
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
            let qk = QuestionKey(t)
            if let last = lastAttempt[qk], e.ts - last.ts <= options.retryWindow {
                if e.transport == .tcp, let tc = last.tcFrame {
                    t.afterTruncation = tc
                    t.attempt = last.attempt
                    t.retryOf = last.frame
                } else if !last.settledOK {
                    t.attempt = last.attempt + 1
                    t.retryOf = last.frame
                    superseded.insert(last.frame)
                }
            }
            lastAttempt[qk] = LastAttempt(frame: e.frame, ts: e.ts, attempt: t.attempt, settledOK: false, tcFrame: nil,
                                          open: (lastAttempt[qk]?.open ?? 0) + 1)
            let slot = nextSlot
            nextSlot += 1
            open[HashWord(UInt64(slot))] = t
            let k = Key(client: e.src, server: e.dst, transport: e.transport, id: e.message.id)
            if let s = byKey[k] { byKey[k] = s.appending(slot) } else { byKey[k] = .one(slot) }
            order.append(slot)
            return
        }
        let key = Key(client: e.dst, server: e.src, transport: e.transport, id: e.message.id)
        guard var slots = byKey[key]?.list else { unmatched(e.frame); return }
        // The oldest open query with the same question (a response without a question matches by id alone).
        guard let pos = slots.firstIndex(where: { s in
            guard let t = open[HashWord(UInt64(s))] else { return false }
            guard let rq = e.message.qname else { return true }
            return e.message.qnameHash == t.nameHash && (rq == t.qname || asciiLowercased(rq) == asciiLowercased(t.qname))
                && (e.message.qtype == nil || e.message.qtype == t.qtype)
        }) else { unmatched(e.frame); return }
        let slot = slots.remove(at: pos)
        byKey[key] = Slots(slots)
        guard var t = open.removeValue(forKey: HashWord(UInt64(slot))) else { return }
        t.outcome = .answered
        t.responseFrame = e.frame
        t.responseTS = e.ts
        t.rcode = e.message.rcode
        t.truncated = e.message.truncated
        t.answers = e.message.ancount
        let qk = QuestionKey(t)
        if e.ts - t.queryTS > options.timeout { t.late = true }
        if var last = lastAttempt[qk] {
            if last.frame != t.queryFrame && last.ts > t.queryTS && last.ts < e.ts { t.late = true }
            if last.frame == t.queryFrame {
                last.settledOK = (e.message.rcode == .noError || e.message.rcode == .nxDomain) && !e.message.truncated && !t.late
                if e.message.truncated && e.transport == .udp { last.tcFrame = e.frame }
            }
            last.open -= 1
            // A question settled well with nothing of it in flight is no longer followed: a repeat is a first
            // attempt either way and no late answer can come, so the table holds open and failed questions, not
            // every name asked in the window.
            lastAttempt[qk] = last.open <= 0 && last.settledOK && last.tcFrame == nil ? nil : last
        }
        emit(t)
    }

    /// An ICMP error quoting a UDP datagram: settles the query it quotes.
    public mutating func icmp(_ e: ICMPErrorEvent, emit: (DNSTransaction) -> Void) {
        advance(to: e.ts, emit: emit)
        guard e.quotedProto == 17 else { return }
        // The quoted datagram went client → server.
        let candidates = byKey.filter { $0.key.client == e.quotedSrc && $0.key.server == e.quotedDst && $0.key.transport == .udp
            && (e.quotedDNSID == nil || $0.key.id == e.quotedDNSID!) }.map { ($0.key, $0.value.list) }
        guard let (key, slots) = candidates.min(by: { ($0.1.first ?? 0) < ($1.1.first ?? 0) }), let slot = slots.first,
              var t = open.removeValue(forKey: HashWord(UInt64(slot))) else { return }
        byKey[key] = Slots(Array(slots.dropFirst()))
        settledQuestion(t)
        t.outcome = .icmpError
        t.icmp = e
        t.responseFrame = e.frame
        t.responseTS = e.ts
        emit(t)
    }

    /// Settles queries whose time has run out by `now` (capture time).
    public mutating func advance(to now: Timestamp, emit: (DNSTransaction) -> Void) {
        let limit = options.timeout + options.lateGrace
        while let slot = order.first {
            guard let t = open[HashWord(UInt64(slot))] else { order.removeFirst(); continue }
            guard now - t.queryTS > limit else { break }
            order.removeFirst()
            settleUnanswered(slot, emit: emit, endedByCapture: false)
        }
        if lastSweep.map({ now - $0 > options.retryWindow }) ?? true {
            lastSweep = now
            // In place: a filtered copy rebuilt (and re-grew) the whole table every window.
            var stale: [QuestionKey] = []
            for (k, v) in lastAttempt where now - v.ts > options.retryWindow { stale.append(k) }
            for k in stale { lastAttempt[k] = nil }
        }
    }

    /// End of capture: every open query is settled.
    public mutating func finish(at end: Timestamp, emit: (DNSTransaction) -> Void) {
        while let slot = order.popFirst() {
            guard let t = open[HashWord(UInt64(slot))] else { continue }
            settleUnanswered(slot, emit: emit, endedByCapture: end - t.queryTS < options.timeout && !superseded.contains(t.queryFrame))
        }
    }

    public var openQueries: Int { open.count }

    mutating func settleUnanswered(_ slot: Int, emit: (DNSTransaction) -> Void, endedByCapture: Bool) {
        guard var t = open.removeValue(forKey: HashWord(UInt64(slot))) else { return }
        superseded.remove(t.queryFrame)
        let key = Key(client: t.client, server: t.server, transport: t.transport, id: t.id)
        if var s = byKey[key]?.list {
            s.removeAll { $0 == slot }
            byKey[key] = Slots(s)
        }
        settledQuestion(t)
        t.outcome = .unanswered
        t.endedByCapture = endedByCapture
        emit(t)
    }

    /// One query of `t`'s question is no longer open (settled without an answer).
    mutating func settledQuestion(_ t: DNSTransaction) {
        lastAttempt[QuestionKey(t)]?.open -= 1
    }

    mutating func unmatched(_ frame: Int) {
        unmatchedResponseCount += 1
        if unmatchedResponses.count < 64 { unmatchedResponses.append(frame) }
    }
}

