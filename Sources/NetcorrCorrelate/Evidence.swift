import NetcorrCore

/// Bounds on what the correlator keeps (constant memory whatever the capture's size).
/// Past a cap, events are counted in `Evidence.dropped` and the report says so. Worst case, about 100 MB.
public struct EvidenceLimits: Sendable {
    public var maxDNSTransactions = 100_000
    public var maxDNSResponses = 10_000
    public var maxTCPConnections = 50_000
    /// With `countHealthy`: TCP and HTTP/2 connections kept whatever they show (the report's first rows); past it
    /// only those a rule can use, and the first struggling TCP connections the report lists.
    public var maxConnectionsInFullWhenCounting = 64
    /// No log will be correlated and no timeline drawn (`netcorr replay` without --log or --html). Then past the
    /// first `maxConnectionsInFullWhenCounting` connections, healthy ones leave only counts:
    /// their TCP record, their frame records and the healthy streams of a kept HTTP/2 connection serve no rule
    /// (log lines are tied to connections by their frames and SYNs, so with a log everything is kept up to the
    /// caps). Memory then follows the failures, not the file.
    public var countHealthy = false
    public var maxH2Connections = 5_000
    /// HTTP/2 connections kept whatever they show; past it only those with a problem.
    public var maxH2ConnectionsInFull = 500
    public var maxH2FramesPerConnection = 128
    /// Frame records kept over all connections (the log's frames are matched on the first ones).
    public var maxH2FramesTotal = 200_000
    public var maxLogEvents = 100_000
    /// Healthy DNS lookups are counted, not kept (replay's report: memory and time follow the failures, not the
    /// traffic). A lookup is healthy when every query of it, as the correlator groups them (client, first label,
    /// time), was answered at once with an address; see `Evidence.dnsTransaction`. Off by default: the HTML
    /// report draws every query, and live capture reads the log while packets arrive.
    public var foldHealthyDNS = false
    /// An answer faster than this is never judged late (Go's resolver waits at least 1 s per attempt; lower it
    /// with a smaller --dns-timeout).
    public var healthyRTT: Duration = .seconds(1)
    /// How long after a failing query the healthy queries of its client and name are kept: the correlator
    /// groups a lookup over gaps of at most twice the client's timeout plus a second, and that timeout (given, or
    /// inferred from retries the tracker links within its retry window) is at most the tracker's retry window.
    /// `netcorr replay` sets it from that window; the default fits Go's longest timeout (30 s).
    public var dnsContext: Duration = .seconds(61)
    public init() {}
}

/// An HTTP/2 frame header as the correlator needs it (no payload, no strings).
public struct FrameRecord: Sendable, Hashable {
    public var frame: Int
    public var ts: Timestamp
    public var direction: FlowDirection
    public var type: UInt8
    public var flags: UInt8
    public var stream: UInt32
    public var length: Int
}

/// A DNS response as seen on the wire (for replies that the program may have ignored).
public struct DNSResponseRecord: Sendable, Hashable {
    public var frame: Int
    public var ts: Timestamp
    public var server: Endpoint
    public var client: Endpoint
    public var id: UInt16
    public var qname: String?
    public var rcode: DNSRcode
}

/// ARP / neighbor-discovery activity for one address.
public struct NeighborLookups: Sendable {
    public var requests = 0
    public var replies = 0
    public var requestFrames: [Int] = []
    public var firstRequest: Timestamp?
    public var lastRequest: Timestamp?
    /// Asked for more than once and never answered.
    public var unresolved: Bool { requests >= 2 && replies == 0 }
}

/// Everything the correlator looks at, collected from the pipeline's events and the log reader.
public struct Evidence: EventSink {
    public let limits: EvidenceLimits
    public var transactions: [DNSTransaction] = []
    public var responses: [DNSResponseRecord] = []
    public var icmp: [ICMPErrorEvent] = []
    public var tcp: [TCPConnectionEvent] = []
    /// Every TCP connection reported, kept or not, and their states (Zeek's conn_state).
    public var tcpCount = 0
    public var tcpStates: [String: Int] = [:]
    /// Connections that `struggled` but were not kept (`countHealthy`).
    public var tcpStruggledNotKept = 0
    var tcpStruggledKept = 0
    /// Kept HTTP/2 connections whose TCP record is still to come (the summary comes first): the rules need it.
    var h2KeysWanted: Set<FlowKey> = []
    public var h2: [HTTP2ConnectionSummary] = []
    public var h2Frames: [FlowKey: [FrameRecord]] = [:]
    var h2FrameCount = 0
    public var tls: [TLSEvent] = []
    public var logs: [LogEvent] = []
    /// Neighbor lookups (ARP / ND) per target address.
    public var neighbors: [IPAddress: NeighborLookups] = [:]
    public var dropped = 0
    /// Healthy HTTP/2 connections not kept past `maxH2ConnectionsInFull`.
    public var healthyH2Dropped = 0
    /// Streams of healthy HTTP/2 connections not kept, and (`countHealthy`) healthy streams of kept ones.
    public var h2StreamsNotKept = 0
    /// GOAWAYs of healthy HTTP/2 connections not kept, and (`countHealthy`) graceful ones (NO_ERROR, nothing
    /// cut) of kept connections.
    public var h2GoawaysNotKept = 0
    public var captureStart: Timestamp?
    public var captureEnd: Timestamp?
    /// Whether any log was given (rules then say "the log shows" or "no log line").
    public var haveLog = false
    /// DNS transactions per client address (all of them, kept or folded).
    public var dnsTransactionsByClient: [IPAddress: Int] = [:]
    /// Healthy DNS transactions counted and not kept (`EvidenceLimits.foldHealthyDNS`).
    public var healthyDNSFolded = 0
    /// Local endpoints that a DNS error line of the log names: their queries are kept whatever they show (the
    /// log is read before the packets when healthy lookups are folded).
    public var dnsLogClients: Set<Endpoint> = []
    /// The fold's state per client and first label: the table maps a key to its slot in `keyStates`. A bucket is
    /// the key and four bytes; the states (64 bytes and three lists each) sit in one array whose emptied slots are
    /// taken again with their lists' storage. Held in the table, the states made every bucket 96 bytes, and at 2M
    /// packets (a few hundred thousand keys: failing lookups keep theirs for the context window) one growth of the
    /// table copied 38 MB.
    var dnsKeys: [DNSLookupKey: Int32] = [:]
    var keyStates: [DNSKeyState] = []
    var freeKeySlots: [Int32] = []
    var dnsSweep: Timestamp?

    public init(limits: EvidenceLimits = .init()) { self.limits = limits }

    public var wantsDNSMessages: Bool { true }

    mutating func seen(_ ts: Timestamp) {
        if captureStart == nil || ts < captureStart! { captureStart = ts }
        if captureEnd == nil || captureEnd! < ts { captureEnd = ts }
    }

    public mutating func dns(_ e: DNSMessageEvent) {
        seen(e.ts)
        guard !e.quoted, e.duplicateOf == nil else { return }
        guard e.message.isResponse else {
            // The tracker opens a transaction for this query (same conditions): its lookup is not settled until
            // the transaction is.
            if limits.foldHealthyDNS, e.message.opcode == 0, let q = e.message.qname, e.message.qtype != nil {
                let k = DNSLookupKey(e.src.address, q)
                let lower = asciiLowercased(q)
                // In place: one hash lookup, no move of the state out and back.
                if let i = dnsKeys.index(forKey: k) {
                    let slot = Int(dnsKeys.values[i])
                    // Held answers are settled first when this query could not join their lookup.
                    if keyStates[slot].drainable(at: e.ts) { drain(slot: slot) }
                    keyStates[slot].opened(lower, hash: e.message.qnameHash, at: e.ts)
                } else {
                    let slot = newKeySlot()
                    keyStates[Int(slot)].opened(lower, hash: e.message.qnameHash, at: e.ts)
                    dnsKeys[k] = slot
                }
            }
            return
        }
        // Replies that match no query matter only to a log line naming their port (see notSentRules).
        if limits.foldHealthyDNS && !dnsLogClients.contains(e.dst) { return }
        guard responses.count < limits.maxDNSResponses else { dropped += 1; return }
        responses.append(DNSResponseRecord(frame: e.frame, ts: e.ts, server: e.src, client: e.dst, id: e.message.id,
                                           qname: e.message.qname, rcode: e.message.rcode))
    }
    public mutating func dnsTransaction(_ t: DNSTransaction) {
        seen(t.queryTS)
        if let i = dnsTransactionsByClient.index(forKey: t.client.address) {
            dnsTransactionsByClient.values[i] += 1
        } else if dnsTransactionsByClient.count < limits.maxDNSTransactions {
            dnsTransactionsByClient[t.client.address] = 1
        }
        guard limits.foldHealthyDNS else { keep(t); return }
        let now = t.responseTS ?? t.queryTS
        let k = DNSLookupKey(t.client.address, t.qname)
        let noData = isNoData(t)
        let answered = (isHealthy(t) || noData) && !dnsLogClients.contains(t.client)
        let slot: Int
        if let i = dnsKeys.index(forKey: k) {
            slot = Int(dnsKeys.values[i])
            // The usual case, in place: an answer held.
            if answered && !keyStates[slot].hotAndRelated(t.qname, at: t.queryTS) {
                keyStates[slot].open -= 1
                healthyDNSFolded += Self.hold(t, in: &keyStates[slot], at: now)
                sweepDNSIfDue(now: now)
                return
            }
        } else {
            slot = Int(newKeySlot())
            dnsKeys[k] = Int32(slot)
        }
        // Out of its slot while `keep` writes to `self`, and back after.
        var s = DNSKeyState()
        swap(&s, &keyStates[slot])
        s.settle()
        s.open -= 1
        if answered {
            if s.hotAndRelated(t.qname, at: t.queryTS) {
                keep(t)
                if noData { s.failed(asciiLowercased(t.qname), until: (t.responseTS ?? t.queryTS) + limits.dnsContext) }
            } else {
                healthyDNSFolded += Self.hold(t, in: &s, at: now)
            }
        } else {
            keep(t)
            let end = (t.responseTS ?? t.queryTS + limits.dnsContext) + limits.dnsContext
            s.failed(asciiLowercased(t.qname), until: end)
            // Held answers that may share this query's lookup are kept; the others wait on.
            var rest: [DNSTransaction] = []
            for p in s.pen {
                if s.related(asciiLowercased(p.qname), at: p.queryTS) { keep(p) } else { rest.append(p) }
            }
            s.pen = rest
        }
        swap(&s, &keyStates[slot])
        sweepDNSIfDue(now: now)
    }

    /// Held while a query of the same client and name is still open: it may yet fail, and then this answer belongs
    /// to its lookup. Returns the number of answers pushed out (counted as folded).
    static func hold(_ t: DNSTransaction, in s: inout DNSKeyState, at now: Timestamp) -> Int {
        var out = 0
        if s.pen.count >= 64 { s.pen.removeFirst(); out = 1 }
        s.pen.append(t)
        if s.lastAnswer < now { s.lastAnswer = now }
        return out
    }

    /// Answered at once with an address, first try: the correlator finds nothing in a lookup made only of these.
    func isHealthy(_ t: DNSTransaction) -> Bool { answeredAtOnce(t) && t.answers > 0 }

    /// Answered with no error, on the first try, within `healthyRTT`, neither truncated nor late.
    func answeredAtOnce(_ t: DNSTransaction) -> Bool {
        guard t.outcome == .answered, t.rcode == .noError, !t.truncated, !t.late, t.attempt == 1,
              t.retryOf == nil, t.afterTruncation == nil, let rtt = t.rtt else { return false }
        return rtt < limits.healthyRTT
    }

    /// Answered at once on the first try with no error and no address (NODATA, as AAAA for an IPv4-only name):
    /// part of a failure only when its lookup gets no address at all, which is known when its key is drained.
    func isNoData(_ t: DNSTransaction) -> Bool { answeredAtOnce(t) && t.answers == 0 }

    /// Held answers of a key whose lookups can take no more queries: counted and dropped, but a NODATA answer that
    /// no held answer with an address could have completed (a related name, answered no more than 20 ms before
    /// its query or after it) belongs to a lookup that failed: it is kept with what is related to it, and marks
    /// the key as a failing query does.
    mutating func drain(_ s: inout DNSKeyState) {
        s.settle()
        // The usual case: every held answer has an address, so none belongs to a failing lookup: counted, and the
        // list keeps its storage for the key's next answers.
        if !s.pen.contains(where: { $0.answers == 0 }) {
            healthyDNSFolded += s.pen.count
            emptyKeepingStorage(&s.pen)
            return
        }
        let pen = s.pen
        s.pen = []
        // (Past the usual case above, some held answer has no address.)
        if s.saturated {
            // More names than the key follows: which answer completes which is not known, so all are kept.
            for n in pen where n.answers == 0 { s.failed(asciiLowercased(n.qname), until: (n.responseTS ?? n.queryTS) + limits.dnsContext) }
            for p in pen { keep(p) }
            return
        }
        var kept = Set<Int>()
        for (i, n) in pen.enumerated() where n.answers == 0 {
            let nn = asciiLowercased(n.qname)
            let completed = pen.contains { h in
                guard h.answers > 0, let r = h.responseTS, n.queryTS <= r + .milliseconds(20) else { return false }
                return DNSKeyState.related(asciiLowercased(h.qname), nn, asked: s.asked)
            }
            if completed { continue }
            s.failed(nn, until: (n.responseTS ?? n.queryTS) + limits.dnsContext)
            for (j, p) in pen.enumerated() where j == i || DNSKeyState.related(asciiLowercased(p.qname), nn, asked: s.asked) { kept.insert(j) }
        }
        for j in kept.sorted() { keep(pen[j]) }
        healthyDNSFolded += pen.count - kept.count
    }

    mutating func keep(_ t: DNSTransaction) {
        guard transactions.count < limits.maxDNSTransactions else { dropped += 1; return }
        // Past a few thousand, room for the cap at once: doubling would hold the old and the new storage together
        // (up to three times the kept transactions' size at the moment of the copy). Untouched pages of the
        // reservation cost no memory.
        if transactions.count == 4096 { transactions.reserveCapacity(limits.maxDNSTransactions) }
        transactions.append(t)
    }

    mutating func sweepDNSIfDue(now: Timestamp) {
        if dnsSweep.map({ now - $0 > .seconds(2) }) ?? true { sweepDNS(now: now) }
    }

    /// Every 2 s of capture time, held answers whose lookup can no longer fail are counted and forgotten: no query
    /// of their client and name is open and 20 ms have passed (a lookup that has its answer takes no query sent
    /// later than that).
    mutating func sweepDNS(now: Timestamp) {
        dnsSweep = now
        var gone: [DNSLookupKey] = []
        let before = now - limits.dnsContext
        // Walked by index without holding `indices` (a value that shares the storage: writing through it made
        // every sweep copy the whole table). Keys are drained where they stand: nothing is inserted or removed
        // until the walk ends, and a drain touches only its own key's state.
        var i = dnsKeys.startIndex
        while i != dnsKeys.endIndex {
            defer { i = dnsKeys.index(after: i) }
            // Fields read in place: a copy of the state would retain and release its three arrays per key.
            let slot = Int(dnsKeys.values[i])
            guard keyStates[slot].open <= 0 else { continue }
            if keyStates[slot].drainable(at: now) {
                drain(slot: slot)
                keyStates[slot].forgetBefore = before
                if keyStates[slot].hotUntil < now { gone.append(dnsKeys.keys[i]) }
                continue
            }
            // Applied when the key is next read (`settle`): forgetting here touched every key's name lists.
            keyStates[slot].forgetBefore = before
            if keyStates[slot].pen.isEmpty && keyStates[slot].hotUntil < now { gone.append(dnsKeys.keys[i]) }
        }
        for k in gone {
            if let slot = dnsKeys.removeValue(forKey: k) { freeKeySlot(slot) }
        }
    }

    /// `drain` of the key state in `slot`, in place: swapped out and back (the state's lists are not copied, and
    /// `drain` may keep transactions, which writes to `self`).
    mutating func drain(slot: Int) {
        var st = DNSKeyState()
        swap(&st, &keyStates[slot])
        drain(&st)
        swap(&st, &keyStates[slot])
    }

    /// A slot for a new key: an emptied one when there is one (its lists keep their storage: a healthy lookup's
    /// key lives a few tens of milliseconds, and each new key allocated its name and answer lists anew).
    mutating func newKeySlot() -> Int32 {
        if let slot = freeKeySlots.popLast() { return slot }
        keyStates.append(DNSKeyState())
        return Int32(keyStates.count - 1)
    }

    /// A removed key's slot, emptied for a new key; lists grown past a few entries are let go.
    mutating func freeKeySlot(_ slot: Int32) {
        let s = Int(slot)
        if keyStates[s].pen.capacity <= 4 && keyStates[s].asked.capacity <= 4 && keyStates[s].hot.capacity <= 4 {
            keyStates[s].reset()
        } else {
            keyStates[s] = DNSKeyState()
        }
        freeKeySlots.append(slot)
    }

    /// End of input: what is still held is healthy.
    public mutating func finishDNS() {
        for k in Array(dnsKeys.keys) {
            guard let slot = dnsKeys.removeValue(forKey: k), !keyStates[Int(slot)].pen.isEmpty else { continue }
            drain(slot: Int(slot))
        }
        dnsKeys = [:]
        keyStates = []
        freeKeySlots = []
    }
    public mutating func icmp(_ e: ICMPErrorEvent) { seen(e.ts); if icmp.count < 10_000 { icmp.append(e) } }
    public mutating func tcp(_ e: TCPConnectionEvent) {
        seen(e.firstTS); seen(e.lastTS)
        tcpCount += 1
        tcpStates[e.state, default: 0] += 1
        let struggled = Self.struggled(e)
        let h2Kept = limits.countHealthy && h2KeysWanted.remove(FlowKey(e.initiator, e.responder, .tcp)) != nil
        if limits.countHealthy && tcp.count >= limits.maxConnectionsInFullWhenCounting && !h2Kept && !Self.mayMatter(e) {
            // The report lists the first struggling connections (30 rows) and counts the others.
            guard struggled && tcpStruggledKept < 64 else {
                if struggled { tcpStruggledNotKept += 1 }
                return
            }
        }
        guard tcp.count < limits.maxTCPConnections else {
            dropped += 1
            if struggled { tcpStruggledNotKept += 1 }
            return
        }
        if struggled { tcpStruggledKept += 1 }
        tcp.append(e)
    }

    /// What the report lists as "failed or struggled".
    public static func struggled(_ c: TCPConnectionEvent) -> Bool {
        ["S0", "REJ", "RSTR", "RSTO", "RSTOS0", "SH"].contains(c.state) || c.retransmissions > 0 || c.zeroWindow > 0
    }

    /// Anything but a connection closed normally by both sides: refused, reset, unanswered, still open,
    /// retransmitting at the end, stalled on a zero window, or silent from the responder (a DNS retry over TCP).
    static func mayMatter(_ c: TCPConnectionEvent) -> Bool {
        c.state != "SF" || c.rst || c.trailingRetransmissions != nil || c.zeroWindowStall != nil
            || (c.bytesPerDirection.count > 1 && c.bytesPerDirection[1] == 0)
    }
    public mutating func h2(_ e: HTTP2FrameEvent) {
        seen(e.ts)
        let k = FlowKey(e.src, e.dst, .tcp)
        let r = FrameRecord(frame: e.frame, ts: e.ts, direction: e.direction, type: e.type.rawValue, flags: e.flags,
                            stream: e.stream, length: e.length)
        // One hash of the key per frame; the connection's list is appended to in place.
        if let i = h2Frames.index(forKey: k) {
            guard h2FrameCount < limits.maxH2FramesTotal, h2Frames.values[i].count < limits.maxH2FramesPerConnection else { return }
            h2FrameCount += 1
            h2Frames.values[i].append(r)
        } else {
            guard h2Frames.count < limits.maxH2Connections else { dropped += 1; return }
            guard h2FrameCount < limits.maxH2FramesTotal else { return }
            h2FrameCount += 1
            h2Frames[k] = [r]
        }
    }
    public mutating func h2Connection(_ s: HTTP2ConnectionSummary) {
        // Past the first `maxH2ConnectionsInFull`, only connections with something the rules look at are kept
        // (memory stays flat on a capture of thousands of healthy connections).
        let k = FlowKey(s.client, s.server, .tcp)
        guard h2.count < limits.maxH2Connections else {
            dropped += 1
            if limits.countHealthy { dropFrames(k) }
            return
        }
        let inFull = limits.countHealthy ? min(limits.maxH2ConnectionsInFull, limits.maxConnectionsInFullWhenCounting)
            : limits.maxH2ConnectionsInFull
        guard h2.count < inFull || Self.mayMatter(s) else {
            healthyH2Dropped += 1
            h2StreamsNotKept += s.streams.count
            h2GoawaysNotKept += s.goaways.count
            if limits.countHealthy { dropFrames(k) }
            return
        }
        guard limits.countHealthy else { h2.append(s); return }
        guard h2.count >= inFull else { h2KeysWanted.insert(k); h2.append(s); return }
        // The TCP record only when a rule reads more of it than its state: streams left unanswered (was the
        // connection closed?), an unanswered PING (did the peer's TCP still talk?).
        let unanswered = s.pings.contains { $0.ackTs == nil }
        if unanswered || s.streams.contains(where: { if case .unfinished = $0.endedBy { return true } else { return false } }) {
            h2KeysWanted.insert(k)
        }
        // Only the streams, SETTINGS and GOAWAYs a rule looks at; the frame records only for an unanswered PING.
        var s = s
        s.settings = s.settings.filter { $0.ackTs == nil }
        let goaways = s.goaways.count
        s.goaways = s.goaways.filter { $0.errorCode != .noError || !$0.streamsCut.isEmpty }
        h2GoawaysNotKept += goaways - s.goaways.count
        s.anomalies = AnomalyCounts()
        let all = s.streams.count
        s.streams = s.streams.filter(Self.mayMatter)   // a new array: the whole one's storage goes
        h2StreamsNotKept += all - s.streams.count
        if !unanswered { dropFrames(k) }
        h2.append(s)
    }

    mutating func dropFrames(_ k: FlowKey) {
        if let f = h2Frames.removeValue(forKey: k) { h2FrameCount -= f.count }
    }

    /// A GOAWAY with an error or streams cut, a reset or failed or unfinished stream, an unanswered PING or
    /// SETTINGS, a stall. (A graceful GOAWAY that cut nothing is how healthy connections end.)
    static func mayMatter(_ s: HTTP2ConnectionSummary) -> Bool {
        if s.goaways.contains(where: { $0.errorCode != .noError || !$0.streamsCut.isEmpty }) || !s.stalls.isEmpty { return true }
        if s.pings.contains(where: { $0.ackTs == nil }) || s.settings.contains(where: { $0.ackTs == nil }) { return true }
        return s.streams.contains(where: mayMatter)
    }

    /// A stream that answered 5xx or a gRPC error, or did not end with END_STREAM both ways.
    static func mayMatter(_ st: HTTP2StreamSummary) -> Bool {
        if let x = st.status, x >= 500 { return true }
        if let g = st.grpcStatus, g != 0 { return true }
        switch st.endedBy {
        case .endStream: return false
        default: return true
        }
    }
    public mutating func neighbor(_ e: NeighborEvent) {
        seen(e.ts)
        if neighbors[e.target] == nil && neighbors.count >= 10_000 { return }
        var n = neighbors[e.target] ?? NeighborLookups()
        if e.isRequest {
            n.requests += 1
            if n.requestFrames.count < 16 { n.requestFrames.append(e.frame) }
            if n.firstRequest == nil { n.firstRequest = e.ts }
            n.lastRequest = e.ts
        } else {
            n.replies += 1
        }
        neighbors[e.target] = n
    }
    public mutating func tls(_ e: TLSEvent) { if tls.count < limits.maxH2Connections { tls.append(e) } }

    public mutating func log(_ e: LogEvent) {
        haveLog = true
        guard e.kind != .unknown else { return }
        if let k = e.errorKind, k.rawValue.hasPrefix("dns."), let l = e.local { dnsLogClients.insert(l) }
        guard logs.count < limits.maxLogEvents else { dropped += 1; return }
        logs.append(e)
    }
}

/// A client and the first label of a name, lower-cased, hashed: the correlator groups a lookup's queries under
/// it (a search-list suffix never changes the first label). Two names that collide are only grouped more
/// coarsely, which keeps more, never less.
struct DNSLookupKey: Hashable {
    var client: IPAddress
    var label: UInt64
    init(_ client: IPAddress, _ name: String) {
        self.client = client
        // As the correlator splits it: leading dots skipped, up to the next dot. A label with non-ASCII bytes
        // (lower-cased by Unicode rules there) falls into one shared key.
        var name = name
        label = name.withUTF8 { b in
            var h: UInt64 = 0xcbf2_9ce4_8422_2325
            var started = false
            for var c in b {
                if c == 0x2e { if started { break } else { continue } }
                started = true
                if c >= 0x80 { return 0 }
                if c &- 0x41 < 26 { c |= 0x20 }
                h = (h ^ UInt64(c)) &* 0x100_0000_01b3
            }
            return h
        }
    }
    func _rawHashValue(seed: Int) -> Int { FastHash.value(FastHash.step(client.words(FastHash.start(seed)), label)) }
}

/// What the fold knows of one client and first label.
///
/// The correlator puts two queries in one lookup only when both names extend (or are) the lookup's base, a name
/// this client asked: so a healthy answer for M can belong to the lookup of a failing query for N only when one
/// name is a label-prefix of the other, or a label-prefix of their common part was asked. That is what
/// `related` checks; when more names than it follows are in play (`saturated`), every answer counts as related.
struct DNSKeyState {
    static let followed = 16
    /// Queries sent and not yet settled.
    var open = 0
    /// The latest `until` of `hot`: no healthy answer after it is related.
    var hotUntil = Timestamp(nanoseconds: .min)
    /// Names (lower case) of failing queries, with how long answers near them are kept.
    var hot: [(name: String, until: Timestamp)] = []
    /// Names (lower case) this client asked, with when it last asked.
    var asked: [(name: String, hash: UInt64, ts: Timestamp)] = []
    var saturated = false
    var pen: [DNSTransaction] = []
    var lastAnswer = Timestamp(nanoseconds: .min)

    /// Empty, as a new state, with the lists' storage kept.
    mutating func reset() {
        open = 0
        hotUntil = Timestamp(nanoseconds: .min)
        emptyKeepingStorage(&hot)
        emptyKeepingStorage(&asked)
        saturated = false
        emptyKeepingStorage(&pen)
        lastAnswer = Timestamp(nanoseconds: .min)
        forgetBefore = Timestamp(nanoseconds: .min)
    }

    /// A query of this key: answers held until now are dropped first when their lookup could no longer take it
    /// (nothing open and more than 20 ms since the last answer). Returns how many were dropped.
    mutating func opened(_ name: String, hash: UInt64, at ts: Timestamp) {
        settle()
        open += 1
        asked(name, hash: hash, at: ts)
    }

    /// Held answers whose lookups can take no more queries: nothing open and more than 20 ms since the last
    /// answer (see `Evidence.sweepDNS`).
    func drainable(at now: Timestamp) -> Bool {
        open <= 0 && !pen.isEmpty && now - lastAnswer > .milliseconds(20)
    }

    /// `hash` is the name's `FastHash.name`.
    mutating func asked(_ name: String, hash: UInt64, at ts: Timestamp) {
        if let i = asked.firstIndex(where: { $0.hash == hash && $0.name == name }) { asked[i].ts = ts; return }
        if asked.count >= Self.followed { saturated = true; return }
        asked.append((name, hash, ts))
    }

    mutating func failed(_ name: String, until: Timestamp) {
        settle()
        if hotUntil < until { hotUntil = until }
        if let i = hot.firstIndex(where: { $0.name == name }) { if hot[i].until < until { hot[i].until = until }; return }
        if hot.count >= Self.followed { saturated = true; return }
        hot.append((name, until))
    }

    func related(_ m: String, at ts: Timestamp) -> Bool {
        if saturated { return true }
        for h in hot where ts <= h.until && Self.related(m, h.name, asked: asked) { return true }
        return false
    }

    /// Whether queries for `m` and `n` could be in one lookup (see the type's comment).
    static func related(_ m: String, _ n: String, asked: [(name: String, hash: UInt64, ts: Timestamp)]) -> Bool {
        let c = commonLabels(m, n)
        if c == m.utf8.count || c == n.utf8.count { return true }
        for a in asked where a.name.utf8.count <= c && isLabelPrefix(a.name, of: m) { return true }
        return false
    }

    /// A sweep's `forget(before:)` not yet applied (`Timestamp.min`: none). Applying only the latest is the
    /// same as applying each (forgetting is monotone and nothing is added between sweeps without `settle`).
    var forgetBefore = Timestamp(nanoseconds: .min)

    /// Applies the pending forget; every read of `hot`, `asked` or `saturated` comes after it.
    mutating func settle() {
        guard forgetBefore.nanoseconds != .min else { return }
        forget(before: forgetBefore)
        forgetBefore = Timestamp(nanoseconds: .min)
    }

    /// Whether an answer for `name` asked at `ts` may belong to a failing lookup of this key: `related` (of the
    /// lower-cased name) after `settle`, in place (a read of a state in the table copied it whole). The fold's one
    /// test of an answer against the key's failures, on the held-answer path and the slow one.
    mutating func hotAndRelated(_ name: String, at ts: Timestamp) -> Bool {
        guard ts <= hotUntil else { return false }
        settle()
        return related(asciiLowercased(name), at: ts)
    }

    /// Names asked or failed before `t` are forgotten (and the key is precise again once nothing is hot).
    mutating func forget(before t: Timestamp) {
        if !hot.isEmpty { hot.removeAll { $0.until < t } }
        if !asked.isEmpty && asked.contains(where: { $0.ts < t }) { asked.removeAll { $0.ts < t } }
        if saturated && hot.isEmpty && asked.count < Self.followed { saturated = false }
    }
}

/// `removeAll(keepingCapacity: true)` for the few elements of the fold's lists: that one goes through the generic
/// `replaceSubrange` (about 200 instructions even for an empty list).
@inline(__always) func emptyKeepingStorage<T>(_ a: inout [T]) {
    while !a.isEmpty { a.removeLast() }
}

/// Bytes of the longest common label-prefix of two names ("a.b.c", "a.b.d" → 3, the length of "a.b").
func commonLabels(_ a: String, _ b: String) -> Int {
    var last = 0, i = 0
    var x = a.utf8.makeIterator(), y = b.utf8.makeIterator()
    while true {
        let p = x.next(), q = y.next()
        if p == nil || q == nil {
            // One ended: the common part runs to its end when the other ends too or continues with a dot.
            if p == nil && q == nil { return i }
            if (p == nil && q == 0x2e) || (q == nil && p == 0x2e) { return i }
            return last
        }
        if p != q { return last }
        if p == 0x2e { last = i }
        i += 1
    }
}

/// `p` is `m` or `m` minus some trailing labels.
func isLabelPrefix(_ p: String, of m: String) -> Bool {
    let pc = p.utf8.count, mc = m.utf8.count
    guard pc <= mc, m.utf8.starts(with: p.utf8) else { return false }
    return pc == mc || m.utf8[m.utf8.index(m.utf8.startIndex, offsetBy: pc)] == 0x2e
}

