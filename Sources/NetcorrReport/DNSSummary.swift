import NetcorrCore

/// Per name and server: queries, answers by rcode, RTTs, unanswered, retries. Memory is bounded: at most
/// `maxKeys` name/server pairs (the rest are folded into one row) and a reservoir of RTT samples per pair.
public struct DNSSummary {
    public struct Key: Hashable, Comparable {
        public var qname: String
        public var server: Endpoint
        let nameHash: UInt64
        /// `nameHash` is `FastHash.name(qname)` (the transaction carries it).
        init(qname: String, nameHash: UInt64, server: Endpoint) {
            self.qname = qname; self.server = server; self.nameHash = nameHash
        }
        public func hash(into h: inout Hasher) { h.combine(nameHash); h.combine(server) }
        public func _rawHashValue(seed: Int) -> Int { FastHash.value(FastHash.step(server.words(FastHash.start(seed)), nameHash)) }
        public static func == (a: Key, b: Key) -> Bool { a.nameHash == b.nameHash && a.server == b.server && a.qname == b.qname }
        public static func < (a: Key, b: Key) -> Bool { (a.qname, a.server) < (b.qname, b.server) }
    }
    public struct Row {
        public var queries = 0
        /// Answers by rcode: the sixteen header rcodes in place (a dictionary per row was a table to hash into on
        /// every transaction), extended ones (EDNS) in `extendedRcodes`.
        var rcodes = InlineArray<16, Int>(repeating: 0)
        var extendedRcodes: [DNSRcode: Int] = [:]
        /// Answers with rcode `rc`.
        public func answers(_ rc: DNSRcode) -> Int {
            rc.rawValue < 16 ? rcodes[Int(rc.rawValue)] : extendedRcodes[rc] ?? 0
        }
        /// Answers, whatever their rcode.
        public var answered: Int {
            var n = extendedRcodes.values.reduce(0, +)
            for i in rcodes.indices { n += rcodes[i] }
            return n
        }
        public var unanswered = 0
        public var icmp = 0
        public var late = 0
        public var retries = 0
        public var truncated = 0
        public var rttSamples: [Int64] = []
        public var rttCount = 0
        public var rttMin = Int64.max
        public var rttMax = Int64.min
        public var median: Duration? {
            guard !rttSamples.isEmpty else { return nil }
            let s = rttSamples.sorted()
            return Duration(nanoseconds: s[s.count / 2])
        }
    }
    public private(set) var rows: [Key: Row] = [:]
    public private(set) var failed: [DNSTransaction] = []
    public private(set) var failedCount = 0
    public private(set) var total = 0
    public let maxKeys: Int
    public let maxFailedKept: Int
    /// RTT samples kept per row (the median is estimated from them; min and max are exact).
    let reservoir = 64

    public init(maxKeys: Int = 10_000, maxFailedKept: Int = 500) {
        self.maxKeys = maxKeys
        self.maxFailedKept = maxFailedKept
    }

    /// A transaction failed when it got no answer, an ICMP error, an error rcode, or its answer came late.
    public static func isFailure(_ t: DNSTransaction) -> Bool {
        switch t.outcome {
        case .unanswered, .icmpError: return true
        case .answered: return t.late || (t.rcode != nil && t.rcode != .noError)
        }
    }

    static let otherNames = "(other names)"
    static let otherNamesHash = FastHash.name(otherNames)

    public mutating func add(_ t: DNSTransaction) {
        total += 1
        var key = Key(qname: asciiLowercased(t.qname), nameHash: t.nameHash, server: t.server)
        if rows.count >= maxKeys && rows.index(forKey: key) == nil { key = Key(qname: Self.otherNames, nameHash: Self.otherNamesHash, server: t.server) }
        // In place: a copy out and back would copy the row's RTT reservoir on every transaction.
        Self.update(&rows[key, default: Row()], t, reservoir: reservoir)
        if Self.isFailure(t) {
            failedCount += 1
            if failed.count < maxFailedKept { failed.append(t) }
        }
    }

    static func update(_ r: inout Row, _ t: DNSTransaction, reservoir: Int) {
        r.queries += 1
        if t.attempt > 1 { r.retries += 1 }
        if t.truncated { r.truncated += 1 }
        if t.late { r.late += 1 }
        switch t.outcome {
        case .unanswered: r.unanswered += 1
        case .icmpError: r.icmp += 1
        case .answered:
            if let rc = t.rcode {
                if rc.rawValue < 16 { r.rcodes[Int(rc.rawValue)] += 1 } else { r.extendedRcodes[rc, default: 0] += 1 }
            }
            if let rtt = t.rtt?.nanoseconds {
                r.rttMin = min(r.rttMin, rtt)
                r.rttMax = max(r.rttMax, rtt)
                r.rttCount += 1
                if r.rttSamples.count < reservoir {
                    r.rttSamples.append(rtt)
                } else {
                    // Deterministic reservoir: replace a slot chosen by the sample count.
                    let j = Int(UInt64(r.rttCount) &* 0x9e37_79b9_7f4a_7c15 >> 33) % r.rttCount
                    if j < reservoir { r.rttSamples[j] = rtt }
                }
            }
        }
    }
}

