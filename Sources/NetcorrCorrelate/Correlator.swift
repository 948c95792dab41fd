import NetcorrCore

public struct CorrelatorOptions: Sendable {
    /// The client's per-attempt DNS timeout when known (resolv.conf `options timeout:`); nil: inferred from
    /// the spacing of retries, else Go's default of 5 s.
    public var dnsTimeout: Duration?
    /// A lookup that recovered after less than this is not worth a finding.
    public var minRecoveredDelay: Duration = .milliseconds(100)
    /// A SYN unanswered for less than this before the capture ended is not (yet) a failure.
    public var minSynWait: Duration = .seconds(1)
    /// A flow-control stall shorter than this is normal back-pressure.
    public var minStall: Duration = .seconds(1)
    /// More findings than this of one cause against one server are folded into one (see `aggregate`).
    public var aggregateAbove = 20
    /// Examples kept in a folded finding.
    public var aggregateExamples = 10
    public init() {}
}

/// The clock offset between the log and the capture.
public struct ClockInfo: Sendable {
    /// Capture time = log time + offset.
    public var estimate: ClockOffsetEstimate?
    /// "none" (no timestamps in the log), "pairs" (estimated from matched pairs), "unmatched" (timestamps but
    /// nothing to pair them with: used as is).
    public var method: String
    /// The log's times have one-second precision; lines tied to packets take the packets' times.
    public var secondPrecision: Bool = false
}

/// What the correlator concludes.
public struct Analysis: Sendable {
    public var findings: [Finding]
    public var clock: ClockInfo
    /// Log events tied to packets (log ref → frames).
    public var matchedLogLines: Int
    public var logEvents: Int
    public var inferredDNSTimeout: Duration?
    /// Log lines the correlator tied to a packet by content (a Framer's frame, a new connection's SYN, a frame
    /// inside a TLS record): line → packet.
    public var logPackets: [LogRef: Int] = [:]
}

/// Joins log events and wire events by content first and time second, and classifies what failed.
public struct Correlator {
    public var evidence: Evidence
    public let options: CorrelatorOptions
    var folder: FindingFolder
    var offset: Duration = .zero
    var matchedLog: Set<LogRef> = []
    var pairs: [(log: Timestamp, wire: Timestamp)] = []
    var dnsTimeout: Duration = .seconds(5)
    /// Logged HTTP/2 frames tied to the TLS records that carried them.
    var tlsMatch = TLSFrameMatch()
    /// Log lines tied to a packet, with that packet's time.
    var matchedTime: [LogRef: Timestamp] = [:]
    var matchedFrame: [LogRef: Int] = [:]
    /// The log's times have one-second precision.
    var coarseLog = false
    var ix = EvidenceIndex()
    /// Failing lookups whose finding is built only if the report shows it (see `dnsRules`).
    /// nil once the folder will not show it: a capture with many failing lookups kept every one of them here.
    var deferredDNS: [(lookup: Lookup, logs: [LogEvent])?] = []
    /// The queries of the lookups (`buildLookups`).
    var members = LookupMembers()

    public init(evidence: Evidence, options: CorrelatorOptions = .init()) {
        self.evidence = evidence
        self.options = options
        folder = FindingFolder(above: options.aggregateAbove, examples: options.aggregateExamples)
    }

    public mutating func run() -> Analysis {
        ix = EvidenceIndex(evidence)
        ix.framers = framerMatches()
        for (id, k) in ix.framers { ix.framersByConn[k, default: []].append(id) }
        let inferred = options.dnsTimeout == nil ? inferDNSTimeout() : nil
        dnsTimeout = options.dnsTimeout ?? inferred ?? .seconds(5)
        // Identity first: pairs that tie log lines to packets fix the clock before time is used.
        collectClockPairs()
        var est = ClockOffsetEstimate.estimate(pairs)
        let stamped = evidence.logs.contains { $0.ts != nil }
        // Second-precision log times (no fraction on any line) are truncated: wire − log lies in
        // [offset, offset + 1 s); the offset is the middle of the interval all pairs agree on.
        if var e = est, stamped, evidence.logs.allSatisfy({ ($0.ts?.nanoseconds ?? 0) % 1_000_000_000 == 0 }) {
            let d = pairs.map { $0.wire.nanoseconds - $0.log.nanoseconds }
            let lo = (d.max() ?? 0) - 1_000_000_000, hi = d.min() ?? 0
            e.offset = Duration(nanoseconds: lo <= hi ? (lo + hi) / 2 : e.offset.nanoseconds - 500_000_000)
            est = e
            coarseLog = true
        }
        let clock: ClockInfo
        if let est {
            offset = est.offset
            clock = ClockInfo(estimate: est, method: "pairs")
        } else {
            clock = ClockInfo(estimate: nil, method: stamped ? "unmatched" : "none")
        }
        var clockOut = clock
        clockOut.secondPrecision = coarseLog
        dnsRules()
        tcpRules()
        h2Rules()
        h2LogRules()
        programStalledRules()
        let me = self
        var findings = folder.result { me.buildDeferredDNS($0) }
        findings.sort { ($0.start ?? Timestamp(nanoseconds: .max)) < ($1.start ?? Timestamp(nanoseconds: .max)) }
        for i in findings.indices {
            findings[i].timeline.sort { ($0.ts ?? Timestamp(nanoseconds: .max)) < ($1.ts ?? Timestamp(nanoseconds: .max)) }
            findings[i].packets.sort()
            findings[i].logLines.sort()
        }
        var a = Analysis(findings: findings, clock: clockOut, matchedLogLines: matchedLog.union(matchedFrame.keys).count,
                         logEvents: evidence.logs.count, inferredDNSTimeout: inferred)
        a.logPackets = matchedFrame
        return a
    }

    /// A log event's time on the capture's clock: the time of the packet it was tied to when there is one
    /// (this refines second-precision log times), else its own time shifted by the clock offset.
    func wireTime(_ e: LogEvent) -> Timestamp? {
        if let t = matchedTime[LogRef(file: e.file, line: e.line)] { return t }
        return e.ts.map { $0 + offset }
    }

    mutating func add(_ f: Finding) {
        for r in f.logLines { matchedLog.insert(r) }
        folder.add(completed(f))
    }

    /// A finding whose text is built later (`build` of `folder.result`), with the log lines it cites. Returns the
    /// ids of deferred findings the result will not show.
    mutating func add(_ head: FindingFolder.Head, later id: Int, logLines: [LogRef]) -> [Int] {
        for r in logLines { matchedLog.insert(r) }
        return folder.add(head, later: id)
    }

    /// What every finding gets before it is reported.
    func completed(_ f: Finding) -> Finding {
        var f = f
        if !evidence.haveLog && f.toSettle.isEmpty {
            f.toSettle.append("Run the program with GODEBUG=netdns=go+2,http2debug=2 (merged with what it already sets; "
                + "`netcorr run --log-out app.log -- PROGRAM` does it) and give the log with --log: its own view of the "
                + "failure confirms or refutes this one.")
        }
        return f
    }

    /// Go's resolver re-sends an unanswered question after its per-attempt timeout: the median spacing between
    /// an unanswered attempt and the next attempt is the client's timeout.
    func inferDNSTimeout() -> Duration? {
        var gaps: [Int64] = []
        var byFrame: [Int: Int] = [:]
        for (i, t) in evidence.transactions.enumerated() where ix.retried.contains(t.queryFrame) { byFrame[t.queryFrame] = i }
        for t in evidence.transactions {
            // The previous attempt had no answer when this one was sent: the client's timeout ran out.
            guard let prev = t.retryOf, let pi = byFrame[prev], t.afterTruncation == nil else { continue }
            let p = evidence.transactions[pi]
            guard p.outcome != .icmpError, p.responseTS == nil || p.responseTS! > t.queryTS else { continue }
            gaps.append((t.queryTS - p.queryTS).nanoseconds)
        }
        guard !gaps.isEmpty else { return nil }
        gaps.sort()
        let med = gaps[gaps.count / 2]
        // Round to the whole second resolv.conf would have said.
        let secs = max(1, (med + 500_000_000) / 1_000_000_000)
        return Duration(nanoseconds: secs * 1_000_000_000)
    }

    mutating func collectClockPairs() {
        // "Transport creating client conn 0x… to IP:PORT" is followed by a SYN to IP:PORT (in order per endpoint).
        var synsTo: [Endpoint: [TCPConnectionEvent]] = [:]
        for c in evidence.tcp where c.syn { synsTo[c.responder, default: []].append(c) }
        for k in synsTo.keys { synsTo[k]!.sort { $0.firstTS < $1.firstTS } }
        var used: [Endpoint: Int] = [:]
        for e in evidence.logs where e.kind == .h2ConnNew {
            guard let r = e.remote, let list = synsTo[r] else { continue }
            let i = used[r, default: 0]
            guard i < list.count else { continue }
            used[r] = i + 1
            if let ts = e.ts { pairs.append((ts, list[i].firstTS)) }
            matchedTime[LogRef(file: e.file, line: e.line)] = list[i].firstTS
            matchedFrame[LogRef(file: e.file, line: e.line)] = list[i].firstFrame
        }
        // "dial tcp IP:PORT: connect: connection refused" right after the RST that refused it.
        var refusedTo: [Endpoint: [TCPConnectionEvent]] = [:]
        for c in evidence.tcp where c.state == "REJ" { refusedTo[c.responder, default: []].append(c) }
        var usedR: [Endpoint: Int] = [:]
        for e in evidence.logs where e.errorKind == .tcpRefused && e.kind != .h2RoundTripFailure {
            guard let r = e.remote, let ts = e.ts, let list = refusedTo[r] else { continue }
            let i = usedR[r, default: 0]
            guard i < list.count else { continue }
            usedR[r] = i + 1
            pairs.append((ts, list[i].lastTS))
        }
        // Logged frames matched to wire frames (see Correlator+H2), and to TLS records (Correlator+TLS).
        pairs += framerPairs()
        tlsMatch = tlsFrameMatches()
        pairs += tlsMatch.pairs
        for (r, rec) in tlsMatch.recordOf { matchedTime[r] = rec.ts; matchedFrame[r] = rec.frame }
        // Lookup errors are not used for the clock: Go logs them when the whole lookup ends (every name of the
        // search list, every attempt), not when the query whose port they name timed out.
    }
}
