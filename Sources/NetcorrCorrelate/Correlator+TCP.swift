import NetcorrCore

extension Correlator {
    func isDNSPort(_ e: Endpoint) -> Bool { e.port == 53 }

    /// Log lines naming a dial to `remote`.
    func dialLogs(_ remote: Endpoint, kinds: Set<GoErrorKind>) -> [LogEvent] {
        (ix.logsByRemote[remote] ?? []).map { evidence.logs[$0] }.filter { e in
            guard let k = e.errorKind else { return false }
            return kinds.contains(k)
        }
    }

    mutating func tcpRules() {
        let end = evidence.captureEnd ?? Timestamp(nanoseconds: 0)
        var covered: Set<Endpoint> = []
        for c in evidence.tcp {
            // DNS over TCP after truncation is judged with the lookup.
            if isDNSPort(c.responder) && ix.truncatedClients.contains(c.initiator.address) { continue }
            switch c.state {
            case "S0", "SH":
                guard c.synCount >= 2 || end - c.firstTS >= options.minSynWait else { continue }
                var f = Finding(layer: .network, cause: .tcpSynTimeout,
                                summary: "TCP connection to \(c.responder) timed out: \(c.synCount) SYN\(c.synCount == 1 ? "" : "s") from \(c.initiator) went unanswered",
                                start: c.firstTS, end: c.lastTS, flow: FlowRef(client: c.initiator, server: c.responder, transport: .tcp))
                if let s = c.synFrames.first { f.cite(frame: s, ts: c.firstTS, "SYN to \(c.responder)") }
                for s in c.synFrames.dropFirst() where s != c.lastSYN?.frame {
                    f.packets.append(s)
                }
                if let l = c.lastSYN, l.frame != c.synFrames.first { f.cite(frame: l.frame, ts: l.ts, "SYN retransmitted (\(c.synCount - 1) retransmissions in all)") }
                for e in dialLogs(c.responder, kinds: [.tcpTimeout, .ioTimeout, .contextDeadline, .clientTimeout]) {
                    f.cite(log: e, ts: wireTime(e), "log: " + e.message)
                }
                f.nextSteps = ["The path to \(c.responder): routes, security groups, network policies and firewalls that drop (not reject) SYNs.",
                               "Is the host \(c.responder.address) up? A dropping firewall and a dead host look the same from here.",
                               "A capture on the server's side shows whether the SYNs arrive."]
                f.toSettle.append("A capture on \(c.responder.address)'s side shows whether the SYNs arrive there.")
                covered.insert(c.responder)
                add(f)
            case "REJ":
                var f = Finding(layer: .service, cause: .tcpRefused,
                                summary: "TCP connection to \(c.responder) refused: the SYN was answered by a RST (nothing listens on port \(c.responder.port))",
                                start: c.firstTS, end: c.lastTS, flow: FlowRef(client: c.initiator, server: c.responder, transport: .tcp))
                if let s = c.synFrames.first { f.cite(frame: s, ts: c.firstTS, "SYN to \(c.responder)") }
                if let r = c.rstFrame { f.cite(frame: r, ts: c.lastTS, "RST from \(c.responder)") }
                for e in dialLogs(c.responder, kinds: [.tcpRefused]) { f.cite(log: e, ts: wireTime(e), "log: " + e.message) }
                f.nextSteps = ["Is the service running and listening on \(c.responder.port) on \(c.responder.address)? (ss -ltnp)",
                               "A restart or a crash loop; a wrong port in the configuration; a Kubernetes Service with no ready endpoints behind kube-proxy rejects like this."]
                covered.insert(c.responder)
                add(f)
            case "RSTR":
                // A reset mid-connection from the server. When HTTP/2 explains it (a GOAWAY, a stream reset) the
                // H2 rules cite it instead.
                if h2Explains(c) { continue }
                var f = Finding(layer: .service, cause: .tcpReset,
                                summary: "TCP connection \(c.initiator) → \(c.responder) was reset by the server after \(c.bytes) bytes",
                                start: c.firstTS, end: c.lastTS, flow: FlowRef(client: c.initiator, server: c.responder, transport: .tcp))
                if let s = c.synFrames.first { f.cite(frame: s, ts: c.firstTS, "SYN (connection start)") }
                if let r = c.rstFrame { f.cite(frame: r, ts: c.lastTS, "RST from \(c.responder)") }
                for e in logsAbout(c) where e.errorKind == .tcpReset || e.errorKind == .ioEOF {
                    f.cite(log: e, ts: wireTime(e), "log: " + e.message)
                }
                f.nextSteps = ["The server process: did it crash, restart or close the socket with unread data (that sends RST)?",
                               "A load balancer or proxy idle timeout in between resets connections it forgot.",
                               "Go reports 'connection reset by peer' or EOF."]
                add(f)
            default:
                if var f = transportProblem(c) {
                    if let s = c.synFrames.first { f.cite(frame: s, ts: c.firstTS, "SYN (connection start)") }
                    f.timeline.append(TimelineEntry(ts: c.lastTS, frame: c.lastFrame, text: "last packet of the connection"))
                    for e in logsAbout(c) where e.errorKind == .clientTimeout || e.errorKind == .contextDeadline || e.errorKind == .ioTimeout {
                        f.cite(log: e, ts: wireTime(e), "log: " + e.message)
                    }
                    add(f)
                }
            }
        }
        // The log names a refused dial the wire never carried: refused on this host.
        var seen: Set<Endpoint> = []
        for e in evidence.logs where e.errorKind == .tcpRefused || e.errorKind == .tcpUnreachable {
            guard let r = e.remote, !covered.contains(r), !seen.contains(r) else { continue }
            guard !ix.tcpResponders.contains(r), evidence.captureStart != nil else { continue }
            seen.insert(r)
            var f = Finding(layer: .local, cause: .tcpNotSent,
                            summary: "The program's connection to \(r) failed (\(e.errorText ?? "refused")) but no SYN to \(r) is in the capture: it never left this host",
                            start: wireTime(e), end: wireTime(e), flow: FlowRef(server: r, transport: .tcp))
            f.cite(log: e, ts: wireTime(e), "log: " + e.message)
            f.nextSteps = ["A local firewall rule (OUTPUT REJECT), a missing route on this host, or a capture taken where this program's packets do not pass."]
            add(f)
        }
    }

    /// A connection that TCP itself could not carry: data retransmitted without progress (network), or a
    /// receiver that closed its window (service). HTTP/2 timeouts on such a connection are its consequence.
    func transportProblem(_ c: TCPConnectionEvent) -> Finding? {
        let flow = FlowRef(client: c.initiator, server: c.responder, transport: .tcp)
        let side = { (d: FlowDirection) in d == .fromInitiator ? c.initiator : c.responder }
        // Retransmissions never acknowledged until the connection (or capture) ended: a retransmission timeout.
        if let r = c.trailingRetransmissions, r.count >= 3, c.state != "SF", c.state != "REJ", c.state != "S0" {
            var f = Finding(layer: .network, cause: .tcpRetransmissionTimeout,
                            summary: "TCP connection \(c.initiator) → \(c.responder): \(side(r.sender)) retransmitted \(r.count) times over \((r.last.ts - r.first.ts).humanDescription) and was never acknowledged",
                            start: c.firstTS, end: c.lastTS, flow: flow)
            f.cite(frame: r.first.frame, ts: r.first.ts, "first retransmission by \(side(r.sender))")
            f.cite(frame: r.last.frame, ts: r.last.ts, "last retransmission (\(r.count) in all), no ACK of new data")
            f.nextSteps = ["Packet loss on the path: interface errors, an MTU blackhole (full-size segments lost while small ones pass), a saturated link, a firewall dropping by length or content.",
                           "The peer stopped acknowledging: host frozen or gone."]
            f.toSettle.append("A capture on \(side(r.sender.reversed).address)'s side shows whether the retransmitted segments arrive.")
            return f
        }
        // A receiver that closed its window and kept it closed (or for a second or more) while the other side had data.
        if let z = c.zeroWindowStall, c.state != "SF", z.end == nil || z.duration >= .seconds(1) {
            let receiver = side(z.advertiser)
            var f = Finding(layer: z.advertiser == .fromResponder ? .service : .local, cause: .tcpZeroWindow,
                            summary: "TCP connection \(c.initiator) → \(c.responder): \(receiver) advertised a zero receive window for \(z.duration.humanDescription)"
                                + (z.end == nil ? " (still closed at the end)" : "") + "; the sender was stalled (\(z.probes) probes)",
                            start: z.start.ts, end: z.end?.ts ?? c.lastTS, flow: flow)
            f.cite(frame: z.start.frame, ts: z.start.ts, "zero window from \(receiver)")
            if let e = z.end { f.cite(frame: e.frame, ts: e.ts, "the window opens again") }
            f.nextSteps = z.advertiser == .fromResponder
                ? ["The server application is not reading its socket: blocked, overloaded, or waiting on something else (its receive buffer is full)."]
                : ["This program is not reading its socket (a blocked goroutine, a full pipeline)."]
            return f
        }
        return nil
    }

    /// Log lines naming this connection's endpoints, and lines naming none that fall in its time.
    func logsAbout(_ c: TCPConnectionEvent) -> [LogEvent] {
        var idx = Set(ix.logsByLocal[c.initiator] ?? [])
        idx.formUnion(ix.logsByRemote[c.responder] ?? [])
        for i in ix.anonymousErrorLogs where near(evidence.logs[i], c) { idx.insert(i) }
        return idx.sorted().map { evidence.logs[$0] }
    }

    func near(_ e: LogEvent, _ c: TCPConnectionEvent) -> Bool {
        guard let t = wireTime(e) else { return true }
        return t >= c.firstTS - .seconds(1) && t <= c.lastTS + .seconds(2)
    }

    /// Whether an HTTP/2 finding will cover this connection (GOAWAY, stream resets, stalls…).
    func h2Explains(_ c: TCPConnectionEvent) -> Bool {
        let k = FlowKey(c.initiator, c.responder, .tcp)
        guard let i = ix.h2ByKey[k] else { return false }
        // Asked only for connections the server reset: judged here, not for every connection beforehand.
        return !h2Problems(evidence.h2[i]).isEmpty && transportProblem(c) == nil
    }
}
