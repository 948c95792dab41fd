import NetcorrCore

/// One lookup as Go's resolver makes it: the names of the search list × A/AAAA × attempts × servers.
struct Lookup {
    var client: IPAddress
    var base: String
    /// Its queries, as indices into `Evidence.transactions` chained through `LookupMembers.next` (the transactions
    /// themselves are re-judged when a rule reads them: a copy of every kept transaction per lookup doubled the
    /// correlator's memory; an array of indices and one of names per lookup were two allocations each).
    var first: Int32
    var lastMember: Int32
    var start: Timestamp
    var last: Timestamp
    /// When a name first got an address (the lookup's result); nil while none has.
    var succeededAt: Timestamp?
}

/// The chains of lookups' queries: `next[i]` is the query after transaction `i` in its lookup (-1: the last).
struct LookupMembers {
    var next: [Int32] = []

    /// `l`'s queries in the order they joined it.
    func of(_ l: Lookup) -> [Int32] {
        var out: [Int32] = []
        var i = l.first
        while i >= 0 { out.append(i); i = next[Int(i)] }
        return out
    }
}

/// Names of one lookup: equal, or one is the other with a search-list suffix ("app" / "app.lab.test").
func sameLookupName(_ a: String, _ b: String) -> Bool {
    let x = asciiLowercased(a), y = asciiLowercased(b)
    return x == y || isLabelPrefix(y, of: x) || isLabelPrefix(x, of: y)
}

/// The first label as `split(separator: ".")` gives it (leading dots skipped; a name of dots alone is itself),
/// without building the array.
func firstLabel(_ s: String) -> Substring {
    let u = s.utf8
    guard let start = u.firstIndex(where: { $0 != 0x2e }) else { return Substring(s) }
    let end = u[start...].firstIndex(of: 0x2e) ?? u.endIndex
    return s[start..<end]
}

extension Correlator {
    /// The tracker judged with its own timeout; re-judge with the client's (given or inferred).
    func rejudged(_ t: DNSTransaction) -> DNSTransaction {
        var t = t
        if let rtt = t.rtt, t.outcome == .answered, rtt > dnsTimeout { t.late = true }
        if t.endedByCapture, let end = evidence.captureEnd, end - t.queryTS >= dnsTimeout { t.endedByCapture = false }
        if t.endedByCapture && ix.retried.contains(t.queryFrame) { t.endedByCapture = false }
        return t
    }

    /// The names a lookup tried, each once (compared without case, as first spelled), in the order they were asked.
    func names(_ l: Lookup) -> [String] {
        var names: [String] = []
        for m in members.of(l) {
            let q = evidence.transactions[Int(m)].qname
            let lower = asciiLowercased(q)
            if !names.contains(where: { asciiLowercased($0) == lower }) { names.append(q) }
        }
        return names
    }

    mutating func buildLookups() -> [Lookup] {
        // Names of one lookup share their first label (the search list only appends suffixes): open lookups are
        // kept per client address and first label, so grouping costs O(n), not O(n × open lookups).
        struct Key: Hashable {
            var client: IPAddress; var label: Substring
            func hash(into h: inout Hasher) { h.combine(client); h.combine(label) }
            func _rawHashValue(seed: Int) -> Int {
                let l = label.utf8.withContiguousStorageIfAvailable { FastHash.name($0) } ?? FastHash.name(String(label))
                return FastHash.value(FastHash.step(client.words(FastHash.start(seed)), l))
            }
        }
        var lookups: [Lookup] = []
        var open: [Key: [Int]] = [:]
        // Only queries that a later one retries are looked up by frame.
        var lookupOfQuery: [Int: Int] = [:]
        let window = dnsTimeout + dnsTimeout + .seconds(1)
        let all = evidence.transactions
        members.next = Array(repeating: -1, count: all.count)
        let order = all.indices.sorted { all[$0].queryTS < all[$1].queryTS }
        var pruned = 0
        for n in order {
            let t = rejudged(all[n])
            // Now and then, keys whose lookups have all run out of time are dropped (the table held every client
            // and first label of the capture). A lookup out of its window is dropped from its key's list by the
            // next query of that key anyway (a retry that joins it by `retryOf` comes after that drop), so
            // dropping the key earlier changes nothing.
            pruned += 1
            if pruned == 4096 {
                pruned = 0
                open = open.filter { $0.value.contains { t.queryTS - lookups[$0].last <= window } }
            }
            let lower = asciiLowercased(t.qname)
            let key = Key(client: t.client.address, label: firstLabel(lower))
            // Out of the table while it changes: a copy still held by the table would be copied on write.
            var list = open.removeValue(forKey: key) ?? []
            list.removeAll { t.queryTS - lookups[$0].last > window }
            // A retry belongs to its first attempt's lookup (Go waits for both A and AAAA, retries included).
            let retryHome = t.retryOf.flatMap { lookupOfQuery[$0] }
            let fits = retryHome ?? list.last { i in
                let l = lookups[i]
                guard sameLookupName(l.base, t.qname) else { return false }
                if let s = l.succeededAt, t.queryTS - s > .milliseconds(20) { return false }
                return true
            }
            let i: Int
            if let fits {
                i = fits
                members.next[Int(lookups[i].lastMember)] = Int32(n)
                lookups[i].lastMember = Int32(n)
            } else {
                lookups.append(Lookup(client: t.client.address, base: t.qname, first: Int32(n), lastMember: Int32(n),
                                      start: t.queryTS, last: t.queryTS))
                i = lookups.count - 1
                list.append(i)
            }
            open[key] = list
            if ix.retried.contains(t.queryFrame) { lookupOfQuery[t.queryFrame] = i }
            if t.qname.utf8.count < lookups[i].base.utf8.count { lookups[i].base = t.qname }
            // An unanswered query holds the lookup until its timeout runs out.
            lookups[i].last = max(lookups[i].last, t.responseTS ?? (t.outcome == .unanswered ? t.queryTS + dnsTimeout : t.queryTS))
            if t.outcome == .answered, t.rcode == .noError, t.answers > 0, !t.truncated, !t.late, let r = t.responseTS,
               lookups[i].succeededAt == nil || r < lookups[i].succeededAt! {
                lookups[i].succeededAt = r
            }
        }
        return lookups
    }

    /// Log lines about a lookup of `l`: netdns hostLookupOrder and Go's lookup errors naming one of its names
    /// or the local port of one of its queries.
    func logLines(for l: Lookup) -> [LogEvent] {
        if evidence.logs.isEmpty { return [] }
        var idx: Set<Int> = []
        for c in Set(members.of(l).map { evidence.transactions[Int($0)].client }) { for i in ix.logsByLocal[c] ?? [] { idx.insert(i) } }
        // Log lines naming one of the lookup's names (Go names the host as asked, without search suffixes).
        var hosts: Set<String> = []
        let names = names(l)
        for n in names {
            let lower = asciiLowercased(n)
            hosts.insert(lower)
            var parts = lower.split(separator: ".")
            while parts.count > 1 { parts.removeLast(); hosts.insert(parts.joined(separator: ".")) }
        }
        for h in hosts {
            for i in ix.logsByHost[h] ?? [] {
                let e = evidence.logs[i]
                let lk = (e.kind == .netdnsOrder || (e.errorKind?.rawValue.hasPrefix("dns.") ?? false))
                if lk && names.contains(where: { sameLookupName($0, e.host!) }) && near(e, l) { idx.insert(i) }
            }
        }
        return idx.sorted().map { evidence.logs[$0] }
    }

    /// Whether a log line's time fits a lookup's span (true when the log has no time).
    func near(_ e: LogEvent, _ l: Lookup) -> Bool {
        guard let t = wireTime(e) else { return true }
        return t >= l.start - .seconds(2) && t <= l.last + dnsTimeout + .seconds(2)
    }

    mutating func dnsRules() {
        let lookups = buildLookups()
        var explainedLogs: Set<LogRef> = []
        for l in lookups {
            guard let v = decide(l) else { continue }
            let logs = logLines(for: l)
            let refs = logs.map { LogRef(file: $0.file, line: $0.line) }
            explainedLogs.formUnion(refs)
            // The finding's text is built only if the report shows it (a folded group shows a few examples).
            deferredDNS.append((l, logs))
            let head = FindingFolder.Head(key: .init(cause: v.cause, layer: v.layer, server: v.server), start: l.start,
                                          end: l.last, host: l.base, recovered: v.recovered)
            for gone in add(head, later: deferredDNS.count - 1, logLines: refs) { deferredDNS[gone] = nil }
        }
        notSentRules(explained: explainedLogs)
    }

    /// The finding of a deferred lookup, as `add` would have taken it.
    func buildDeferredDNS(_ i: Int) -> Finding {
        // The folder builds only what it still shows, and let go of nothing it shows.
        let (l, logs) = deferredDNS[i]!
        // `decide` said there is one.
        return completed(classify(l, logs: logs)!)
    }

    func describe(_ t: DNSTransaction) -> String {
        let q = "\(t.qtype) \(t.qname) \(t.client) → \(t.server)/\(t.transport) id \(t.id)" + (t.attempt > 1 ? " (attempt \(t.attempt))" : "")
        return "query " + q
    }

    /// What a lookup's queries show, decided before any text is built: the rule that applies (nil: none), and
    /// what the folding of findings reads (cause, layer, server, recovered).
    struct Verdict {
        enum Rule { case portUnreachable, truncated, noResponse, late, rcode(DNSRcode), nxDomain }
        var rule: Rule
        var cause: Cause
        var layer: Layer
        var server: Endpoint?
        var recovered = false
        var truncatedAnswer: DNSTransaction?
        var retry: TCPConnectionEvent?
    }

    /// Which of a lookup's (re-judged) queries count for which rule: `decide` reads them in one pass, `classify`
    /// lists them for the finding's text.
    struct LookupFacts {
        let failed: Bool
        /// Only what happened before the lookup had its answer (or its last retry) can have delayed it.
        let endOfLookup: Timestamp
        init(_ l: Lookup, _ txns: [DNSTransaction]) {
            failed = l.succeededAt == nil
            endOfLookup = max(l.succeededAt ?? l.last, txns.filter { $0.attempt > 1 }.map(\.queryTS).max() ?? l.start)
        }
        func before(_ t: DNSTransaction) -> Bool { t.queryTS <= endOfLookup }
        func unanswered(_ t: DNSTransaction) -> Bool {
            before(t) && t.outcome == .unanswered && !(t.endedByCapture && t.attempt == 1 && !failed)
        }
        func icmp(_ t: DNSTransaction) -> Bool { before(t) && t.outcome == .icmpError }
        static func portUnreachable(_ t: DNSTransaction) -> Bool {
            t.icmp?.type == 3 && t.icmp?.code == 3 || t.icmp?.v6 == true && t.icmp?.code == 4
        }
        func truncated(_ t: DNSTransaction) -> Bool { t.truncated && t.transport == .udp }
        func late(_ t: DNSTransaction) -> Bool {
            before(t) && t.late && (t.responseTS.map { $0 <= endOfLookup || failed } ?? false)
        }
        /// NXDOMAIN, or no error and no address.
        static func noAddress(_ t: DNSTransaction) -> Bool {
            t.outcome == .answered && (t.rcode == .nxDomain || (t.rcode == .noError && t.answers == 0))
        }
    }

    /// The queries of `l`, re-judged with the client's timeout.
    func queries(_ l: Lookup) -> [DNSTransaction] { members.of(l).map { rejudged(evidence.transactions[Int($0)]) } }

    /// One pass over the lookup's queries, no list built (every failing lookup of the capture comes here; the text
    /// and its lists only for those the report shows).
    func decide(_ l: Lookup) -> Verdict? {
        let txns = queries(l)
        let facts = LookupFacts(l, txns)
        let failed = facts.failed
        var server: Endpoint?, firstTruncated: DNSTransaction?
        var portUnreachable = false, unanswered = false, unansweredTCP = false, late = false, noAddress = true
        var errorRcode: DNSRcode?
        for t in txns {
            if server.map({ t.server < $0 }) ?? true { server = t.server }
            if firstTruncated == nil && facts.truncated(t) { firstTruncated = t }
            guard facts.before(t) else { continue }
            if facts.icmp(t) && LookupFacts.portUnreachable(t) { portUnreachable = true }
            if facts.unanswered(t) { unanswered = true; if t.transport == .tcp { unansweredTCP = true } }
            if facts.late(t) { late = true }
            if errorRcode == nil, let rc = t.rcode, rc == .servFail || rc == .refused { errorRcode = rc }
            if !LookupFacts.noAddress(t) { noAddress = false }
        }
        var v = Verdict(rule: .nxDomain, cause: .dnsNXDomain, layer: .service, server: server)
        if portUnreachable {
            (v.rule, v.cause, v.layer) = (.portUnreachable, .dnsPortUnreachable, .service)
        } else if let tc = firstTruncated, failed || unansweredTCP || tcpRetryFailed(after: tc) != nil {
            let conn = tcpRetryFailed(after: tc)
            (v.rule, v.cause, v.layer) = (.truncated, .dnsTruncatedRetryFailed, conn?.state == "REJ" ? .service : .network)
            v.server = tc.server
            v.truncatedAnswer = tc
            v.retry = conn
        } else if unanswered {
            if !failed && l.last - l.start < options.minRecoveredDelay { return nil }
            (v.rule, v.cause, v.layer, v.recovered) = (.noResponse, .dnsNoResponse, .network, !failed)
        } else if late {
            (v.rule, v.cause, v.layer, v.recovered) = (.late, .dnsLateResponse, .service, !failed)
        } else if failed, let rc = errorRcode {
            (v.rule, v.cause, v.layer) = (.rcode(rc), rc == .refused ? .dnsRefused : .dnsServfail, .service)
        } else if failed, noAddress {
            (v.rule, v.cause, v.layer) = (.nxDomain, .dnsNXDomain, .service)
        } else {
            return nil
        }
        return v
    }

    func classify(_ l: Lookup, logs: [LogEvent]) -> Finding? {
        guard let v = decide(l) else { return nil }
        let txns = queries(l)
        let facts = LookupFacts(l, txns)
        let failed = facts.failed
        let unanswered = txns.filter(facts.unanswered), late = txns.filter(facts.late), icmp = txns.filter(facts.icmp)
        let servers = Array(Set(txns.map(\.server))).sorted()
        let serverText = servers.map(\.description).joined(separator: ", ")
        let delay = l.last - l.start
        let host = l.base
        var f: Finding

        switch v.rule {
        case .portUnreachable:
            f = Finding(layer: .service, cause: .dnsPortUnreachable,
                        summary: "DNS lookup of \(host): \(serverText) answered \(icmp.count) of \(txns.count) queries with ICMP port unreachable: nothing listens on port 53 there",
                        start: l.start, end: l.last, flow: FlowRef(server: servers.first, transport: .udp, host: host))
            f.nextSteps = ["Is the DNS server process running and bound to \(servers.first?.description ?? "port 53")? (ss -lunp on that host)",
                           "Is resolv.conf pointing at the right address? A stale nameserver after a migration answers like this.",
                           "Go reports this as 'read: connection refused' in the lookup error."]
        case .truncated:
            let tc = v.truncatedAnswer!
            let conn = v.retry
            let refused = conn?.state == "REJ"
            f = Finding(layer: refused ? .service : .network, cause: .dnsTruncatedRetryFailed,
                        summary: "DNS lookup of \(host): the UDP answer was truncated (TC) and the retry over TCP to \(tc.server) "
                            + (refused ? "was refused" : conn != nil ? "got no answer (SYN unanswered)" : "did not complete"),
                        start: l.start, end: l.last, flow: FlowRef(client: tc.client, server: tc.server, transport: .tcp, host: host))
            if let rf = tc.responseFrame, let rt = tc.responseTS { f.cite(frame: rf, ts: rt, "truncated answer (TC=1) to \(tc.qtype) \(tc.qname)") }
            if let c = conn {
                for (i, s) in c.synFrames.enumerated() { f.cite(frame: s, ts: i == 0 ? c.firstTS : c.lastTS, "SYN to \(c.responder) (TCP retry of the query)") }
            }
            f.nextSteps = ["TCP port 53 must be open between the client and \(tc.server): firewalls and network policies that allow only UDP 53 break large answers.",
                           "Why is the answer large? Many records, DNSSEC, or a small EDNS buffer (Go offers 1232 bytes)."]
        case .noResponse:
            let recovered = !failed
            let lost = unanswered.count
            let summary = recovered
                ? "DNS lookup of \(host) was delayed \(delay.humanDescription): \(lost) of \(txns.count) queries to \(serverText) got no response before it succeeded"
                : "DNS lookup of \(host) timed out: \(txns.count) queries to \(serverText) left this host, none was answered"
                    + (txns.count > lost ? " in time (\(lost) with no response at all)" : "")
            f = Finding(layer: .network, cause: .dnsNoResponse, summary: summary, start: l.start, end: l.last,
                        flow: FlowRef(client: unanswered[0].client, server: servers.first, transport: .udp, host: host))
            f.recovered = recovered
            f.nextSteps = ["The path from this host to \(serverText): routes, security groups and network policies that drop UDP 53 (and TCP 53).",
                           "The DNS server's own health and load (does it log the queries? conntrack table full?).",
                           "A capture on the DNS server's side tells whether the queries arrive (network) or arrive unanswered (server)."]
            if recovered, Set(unanswered.map(\.qtype)).count == 1, let qt = unanswered.first?.qtype {
                f.nextSteps.insert("Only \(qt) queries went unanswered: a server or middlebox that drops \(qt) is a known cause; Go waits for both A and AAAA.", at: 0)
            }
            f.toSettle.append("A capture on the DNS server's side (or the node rather than the pod) shows whether the queries reach it.")
        case .late:
            f = Finding(layer: .service, cause: .dnsLateResponse,
                        summary: "DNS lookup of \(host): \(serverText) answered \(late.count) queries after the client had given up or retried (\(late.compactMap(\.rtt).max()?.humanDescription ?? "?") after the query)",
                        start: l.start, end: l.last, flow: FlowRef(client: late[0].client, server: servers.first, transport: .udp, host: host))
            f.recovered = !failed
            f.nextSteps = ["The DNS server (or its upstream) is slow: its latency and load, upstream timeouts.",
                           "The client's resolv.conf timeout (\(dnsTimeout.humanDescription) here) may be shorter than the server's worst case."]
        case .rcode(let rc):
            let isRefused = rc == .refused
            f = Finding(layer: .service, cause: isRefused ? .dnsRefused : .dnsServfail,
                        summary: "DNS lookup of \(host) failed: \(serverText) answered \(rc)" + (isRefused ? " (it will not resolve for this client)" : " (it could not resolve the name)"),
                        start: l.start, end: l.last, flow: FlowRef(server: servers.first, transport: .udp, host: host))
            f.nextSteps = isRefused
                ? ["The DNS server's access control (allow-query, recursion for this client's network).",
                   "Is this the server you meant? A resolver that does not serve this zone refuses."]
                : ["The DNS server's upstreams and the zone's authoritative servers (SERVFAIL is the server's own failure: DNSSEC validation, lame delegation, upstream timeout).",
                   "Go reports it as 'server misbehaving'."]
        case .nxDomain:
            let names = names(l)
            f = Finding(layer: .service, cause: .dnsNXDomain,
                        summary: "DNS lookup of \(host) failed: no such host. Tried \(names.count) name\(names.count == 1 ? "" : "s") (\(names.joined(separator: ", "))); every answer was NXDOMAIN or had no address",
                        start: l.start, end: l.last, flow: FlowRef(server: servers.first, transport: .udp, host: host))
            f.nextSteps = ["The name itself: typo, a record not created yet, the wrong zone or environment.",
                           "The search list and ndots (resolv.conf): which expansion was meant? A name with fewer dots than ndots is tried with each search suffix first.",
                           "Split-horizon DNS: this client may see a different view of the zone."]
        }
        // Evidence: every query of the lookup and what came of it.
        for t in txns.sorted(by: { $0.queryTS < $1.queryTS }) {
            f.cite(frame: t.queryFrame, ts: t.queryTS, describe(t))
            switch t.outcome {
            case .answered:
                if let rf = t.responseFrame, let rt = t.responseTS {
                    f.cite(frame: rf, ts: rt, "response \(t.rcode?.description ?? "") to \(t.qtype) \(t.qname), \(t.answers) answers, rtt \(t.rtt?.humanDescription ?? "?")" + (t.late ? " (late)" : "") + (t.truncated ? " (TC)" : ""))
                }
            case .icmpError:
                if let i = t.icmp { f.cite(frame: i.frame, ts: i.ts, "ICMP \(i.name) from \(i.reporter) for \(t.qtype) \(t.qname)") }
            case .unanswered:
                f.timeline.append(TimelineEntry(ts: t.queryTS + dnsTimeout, text: "no response to #\(t.queryFrame) within \(dnsTimeout.humanDescription)" + (t.endedByCapture ? " (the capture ended first)" : "")))
            }
        }
        for e in logs { f.cite(log: e, ts: wireTime(e), "log: " + e.message) }
        if logs.isEmpty && evidence.haveLog {
            f.timeline.append(TimelineEntry(ts: nil, text: "the log has no line about this lookup (was GODEBUG=netdns=go+2 set?)"))
        }
        return f
    }

    /// The TCP connection that followed a truncated answer, when it failed.
    func tcpRetryFailed(after tc: DNSTransaction) -> TCPConnectionEvent? {
        guard let rt = tc.responseTS else { return nil }
        guard ix.tcpResponders.contains(tc.server) else { return nil }
        return evidence.tcp.first { c in
            c.initiator.address == tc.client.address && c.responder == tc.server && c.firstTS >= rt
                && c.firstTS - rt < .seconds(2) && (c.state == "S0" || c.state == "REJ" || (c.bytesPerDirection.count > 1 && c.bytesPerDirection[1] == 0))
        }
    }

    /// The log names a DNS query (local port → server) that the wire never carried: it did not leave this host.
    /// The log says the query timed out while its answer is on the wire: Go ignored the reply.
    mutating func notSentRules(explained: Set<LogRef>) {
        var seenLocal: Set<Endpoint> = []
        for e in evidence.logs {
            guard let kind = e.errorKind, kind.rawValue.hasPrefix("dns."), let local = e.local, let server = e.server else { continue }
            guard !seenLocal.contains(local) else { continue }
            let onWire = (ix.txnsByClient[local] ?? []).map { evidence.transactions[$0] }.filter { $0.server.address == server.address }.map(rejudged)
            if onWire.isEmpty, let arp = evidence.neighbors[server.address], arp.unresolved {
                // The query could not leave: nobody answers ARP/ND for the server's address.
                seenLocal.insert(local)
                var f = Finding(layer: .network, cause: .dnsNoResponse,
                                summary: "DNS lookup of \(e.host ?? "?") timed out: nobody on the network has \(server.address): \(arp.requests) ARP/neighbor requests for it went unanswered, so no query could be sent",
                                start: arp.firstRequest, end: wireTime(e) ?? arp.lastRequest, flow: FlowRef(client: local, server: server, transport: .udp, host: e.host))
                for fr in arp.requestFrames { f.cite(frame: fr, ts: arp.firstRequest ?? Timestamp(nanoseconds: 0), "who has \(server.address)?") }
                f.cite(log: e, ts: wireTime(e), "log: " + e.message)
                f.nextSteps = ["Is \(server.address) the right nameserver (resolv.conf)? The address has no host behind it on this link.",
                               "If it is right: the DNS server host is down, or its interface or VLAN is not where this host expects it."]
                add(f)
            } else if onWire.isEmpty {
                seenLocal.insert(local)
                let blocked = kind == .dnsSendBlocked
                var f = Finding(layer: .local, cause: .dnsNotSent,
                                summary: "DNS query for \(e.host ?? "?") from \(local) to \(server) never reached the wire: "
                                    + (blocked ? "the program's write was refused on this host (\(e.errorText ?? "operation not permitted"))"
                                               : "the log says it was sent, the capture has no packet from that port"),
                                start: wireTime(e), end: wireTime(e), flow: FlowRef(client: local, server: server, transport: .udp, host: e.host))
                f.cite(log: e, ts: wireTime(e), "log: " + e.message)
                f.nextSteps = blocked
                    ? ["A local firewall rule on this host (iptables/nftables OUTPUT, a network policy enforced in the pod's namespace) rejects UDP to port 53.",
                       "seccomp or an LSM denying sendto()."]
                    : ["Was the capture taken where this program's packets pass (the pod's namespace, not another interface)?",
                       "A local firewall rule that drops (rather than rejects) UDP 53 on this host."]
                let others = evidence.dnsTransactionsByClient[local.address] ?? 0
                f.timeline.append(TimelineEntry(ts: nil, text: others == 0
                    ? "the capture holds no DNS query from \(local.address) at all"
                    : "the capture holds \(others) DNS queries from \(local.address), none from port \(local.port)"))
                add(f)
            } else if kind == .dnsTimeout, let t = onWire.first(where: { $0.outcome == .answered && !$0.late }) {
                seenLocal.insert(local)
                var f = Finding(layer: .local, cause: .dnsReplyIgnored,
                                summary: "The log says the DNS query from \(local) timed out, but its answer is on the wire \(t.rtt?.humanDescription ?? "") after the query: the program did not take it",
                                start: t.queryTS, end: wireTime(e), flow: FlowRef(client: local, server: server, transport: .udp, host: e.host))
                f.cite(frame: t.queryFrame, ts: t.queryTS, describe(t))
                if let rf = t.responseFrame, let rt = t.responseTS { f.cite(frame: rf, ts: rt, "response \(t.rcode?.description ?? "")") }
                f.cite(log: e, ts: wireTime(e), "log: " + e.message)
                f.nextSteps = ["A program stalled (CPU starved, GC, a blocked goroutine scheduler) cannot read the answer in time.",
                               "If the capture point is before a local filter (the node, not the pod), the answer may have been dropped after it."]
                add(f)
            } else if kind == .dnsTimeout, let r = (ix.responsesByClient[local] ?? []).map({ evidence.responses[$0] }).first(where: { resp in !onWire.contains(where: { t in t.responseFrame == resp.frame }) }) {
                seenLocal.insert(local)
                var f = Finding(layer: .service, cause: .dnsReplyIgnored,
                                summary: "The log says the DNS query from \(local) timed out; the capture has a reply to that port that matched no query (wrong id or question), which Go ignores",
                                start: r.ts, end: wireTime(e), flow: FlowRef(client: local, server: server, transport: .udp, host: e.host))
                f.cite(frame: r.frame, ts: r.ts, "reply id \(r.id) \(r.qname ?? "") from \(r.server): matches no query")
                f.cite(log: e, ts: wireTime(e), "log: " + e.message)
                f.nextSteps = ["A DNS server or middlebox (NAT, DNS proxy) that rewrites ids or answers a different question."]
                add(f)
            }
        }
    }
}
