import NetcorrCore

extension Correlator {
    mutating func h2Rules() {
        for s in evidence.h2 {
            for var f in h2Problems(s) {
                // The program's own words about this connection.
                for e in h2Logs(s) { f.cite(log: e, ts: wireTime(e), "log: " + e.message) }
                if let c = ix.tcp(evidence, s.client, s.server), let r = c.rstFrame {
                    f.cite(frame: r, ts: c.lastTS, "RST from \(c.rstFromResponder ? "the server" : "the client") ends the TCP connection")
                }
                add(f)
            }
        }
    }

    /// Error and connection lines of the log that belong to this connection: the conn pointer created to its
    /// server, the framer matched to its frames, and error strings that name its endpoints.
    func h2Logs(_ s: HTTP2ConnectionSummary) -> [LogEvent] {
        let framers = Set(ix.framersByConn[FlowKey(s.client, s.server, .tcp)] ?? [])
        var conns: Set<UInt64> = []
        for i in ix.logsByRemote[s.server] ?? [] where evidence.logs[i].kind == .h2ConnNew { if let id = evidence.logs[i].connID { conns.insert(id) } }
        var candidates: Set<Int> = Set(ix.anonymousErrorLogs)
        for id in framers.union(conns) { for i in ix.logsByConnID[id] ?? [] { candidates.insert(i) } }
        for i in ix.logsByLocal[s.client] ?? [] { candidates.insert(i) }
        for i in ix.logsByRemote[s.server] ?? [] { candidates.insert(i) }
        let interesting: Set<LogEventKind> = [.h2GoAwayReceived, .h2ReadError, .h2HealthCheckFailed, .h2RoundTripFailure,
                                              .h2RoundTripRetry, .h2ConnGetFailed, .error]
        return candidates.sorted().map { evidence.logs[$0] }.filter { e in
            if e.kind == .h2Frame, let id = e.connID, framers.contains(id) {
                guard let fr = e.frame else { return false }
                return fr.type == 7 || fr.type == 3 || (fr.type == 6 && e.direction == .wrote)   // GOAWAY, RST_STREAM, PING sent
            }
            guard interesting.contains(e.kind) || e.errorKind != nil else { return false }
            if let id = e.connID, conns.contains(id) { return true }
            if e.local == s.client || e.remote == s.server { return true }
            // Error lines that name no endpoint (GOAWAY, stream errors, health checks): by time.
            guard e.local == nil && e.remote == nil else { return false }
            guard let t = wireTime(e), let a = s.firstTs else { return false }
            let k = e.errorKind
            let h2ish = e.kind != .error || k == .h2GoAway || k == .h2StreamError || k == .h2ConnLost || k == .clientTimeout || k == .h2HeaderTimeout
            return h2ish && t >= a - .seconds(1) && t <= s.endTs + .seconds(5)
        }
    }

    func h2Problems(_ s: HTTP2ConnectionSummary) -> [Finding] {
        var out: [Finding] = []
        let flow = FlowRef(client: s.client, server: s.server, transport: .tcp)
        let who = { (d: FlowDirection) in d == .fromResponder ? "the server" : "the client" }
        for g in s.goaways where g.errorCode != .noError || !g.streamsCut.isEmpty {
            let debug = String(decoding: g.debugData, as: UTF8.self)
            var f = Finding(layer: .service, cause: .h2GoAway,
                            summary: "\(who(g.direction).capitalizedFirst) sent GOAWAY \(g.errorCode.name) on \(s.client) → \(s.server) (last stream \(g.lastStream)"
                                + (debug.isEmpty ? "" : ", debug \"\(debug)\"") + ")"
                                + (g.streamsCut.isEmpty ? "" : ": \(g.streamsCut.count) stream\(g.streamsCut.count == 1 ? "" : "s") cut (\(g.streamsCut.map(String.init).joined(separator: ", ")))"),
                            start: g.ts, end: s.endTs, flow: flow)
            f.cite(frame: g.frame, ts: g.ts, "GOAWAY \(g.errorCode.name) last_stream=\(g.lastStream) from \(who(g.direction))")
            f.nextSteps = g.errorCode == .enhanceYourCalm
                ? ["ENHANCE_YOUR_CALM: the server thinks this client is abusive (too many streams, resets, pings): its limits and this client's request rate."]
                : g.errorCode == .noError
                    ? ["A graceful shutdown (deploy, scale-in, max connection age) that cut requests in flight: Go retries only requests it knows were not processed."]
                    : ["\(g.errorCode.name): the server's logs at \(g.ts.epochString(digits: 3)); a protocol error usually means a proxy or library bug on one side."]
            out.append(f)
        }
        for st in s.streams {
            if case .rstStream(let code, let by) = st.endedBy, by == .fromResponder, code != .noError {
                var f = Finding(layer: .service, cause: .h2RstStream,
                                summary: "The server reset stream \(st.id) (\(st.method ?? "?") \(st.path ?? "?")) with RST_STREAM \(code.name)",
                                start: st.requestStart, end: st.end, flow: FlowRef(client: s.client, server: s.server, transport: .tcp, stream: st.id))
                if let rf = st.requestFrame, let t = st.requestStart { f.cite(frame: rf, ts: t, "HEADERS \(st.method ?? "") \(st.path ?? "") stream \(st.id)") }
                if let ef = st.endFrame, let t = st.end { f.cite(frame: ef, ts: t, "RST_STREAM \(code.name) from the server") }
                f.nextSteps = ["The server's handler for \(st.path ?? "this path"): a panic or an aborted handler resets the stream (Go's http.ErrAbortHandler).",
                               "REFUSED_STREAM: the server was over its concurrency limit; CANCEL/INTERNAL_ERROR: the handler failed."]
                out.append(f)
            }
            if let status = st.status, status >= 500 {
                var f = Finding(layer: .service, cause: .h2Status5xx,
                                summary: "\(st.method ?? "?") \(st.authority ?? s.server.description)\(st.path ?? "") answered \(status) (stream \(st.id))",
                                start: st.requestStart, end: st.responseHeaders, flow: FlowRef(client: s.client, server: s.server, transport: .tcp, stream: st.id))
                if let rf = st.requestFrame, let t = st.requestStart { f.cite(frame: rf, ts: t, "HEADERS \(st.method ?? "") \(st.path ?? "") stream \(st.id)") }
                if let rf = st.responseFrame, let t = st.responseHeaders { f.cite(frame: rf, ts: t, "HEADERS :status \(status)") }
                f.nextSteps = ["The service's own logs for this request: \(status) is its answer, the network delivered it.",
                               status == 502 || status == 503 || status == 504 ? "\(status) often comes from a proxy or load balancer in front of the service: its upstream health." : "The service's dependencies at that moment."]
                out.append(f)
            }
            if let g = st.grpcStatus, g != 0 {
                var f = Finding(layer: .service, cause: .h2GrpcError,
                                summary: "gRPC call \(st.path ?? "?") failed with grpc-status \(g)" + (st.grpcMessage.map { " (\($0))" } ?? ""),
                                start: st.requestStart, end: st.end, flow: FlowRef(client: s.client, server: s.server, transport: .tcp, stream: st.id))
                if let rf = st.requestFrame, let t = st.requestStart { f.cite(frame: rf, ts: t, "HEADERS \(st.path ?? "") stream \(st.id)") }
                if let ef = st.endFrame, let t = st.end { f.cite(frame: ef, ts: t, "trailers grpc-status \(g)") }
                f.nextSteps = ["The server's handler for \(st.path ?? "this method") and its error (grpc-message)."]
                out.append(f)
            }
        }
        // When TCP itself failed (retransmissions, a closed window), HTTP/2 timeouts are its consequence.
        let tcpConn = ix.tcp(evidence, s.client, s.server)
        let transportFailed = tcpConn.map { transportProblem($0) != nil } ?? false
        for p in s.pings where p.ackTs == nil && s.endTs - p.sent >= .seconds(1) && !transportFailed {
            // The peer's TCP kept talking after the PING (ACKs or frames) while its HTTP/2 layer never answered:
            // the server process, not the network, is stuck. Nothing at all after the PING: the network.
            let alive = peerSpokeAfter(s, p.sent, direction: p.direction.reversed)
            var f = Finding(layer: alive ? .service : .network, cause: .h2PingTimeout,
                            summary: "\(who(p.direction).capitalizedFirst)'s PING on \(s.client) → \(s.server) was never acknowledged"
                                + (alive ? ": the peer's TCP was alive, its HTTP/2 layer did not answer" : ": nothing came back from the peer after it"),
                            start: p.sent, end: s.endTs, flow: flow)
            f.cite(frame: p.frame, ts: p.sent, "PING from \(who(p.direction)), no ACK")
            f.nextSteps = alive
                ? ["The server process: a stuck event loop or an overloaded HTTP/2 server does not answer PINGs; Go's ReadIdleTimeout/PingTimeout then closes the connection."]
                : ["The path to \(s.server): a silently dropped connection (NAT or load-balancer state lost) leaves PINGs unanswered."]
            out.append(f)
        }
        for st in s.settings where st.ackTs == nil && s.endTs - st.ts >= .seconds(1) && !transportFailed {
            var f = Finding(layer: .service, cause: .h2SettingsTimeout,
                            summary: "\(who(st.direction).capitalizedFirst)'s SETTINGS on \(s.client) → \(s.server) was never acknowledged",
                            start: st.ts, end: s.endTs, flow: flow)
            f.cite(frame: st.frame, ts: st.ts, "SETTINGS from \(who(st.direction)), no ACK")
            f.nextSteps = ["The peer's HTTP/2 implementation is stuck or not speaking HTTP/2 correctly (a proxy that does not forward SETTINGS)."]
            out.append(f)
        }
        let stalls = s.stalls.filter { $0.senderHadMore && $0.duration >= options.minStall }
        if let first = stalls.min(by: { $0.start < $1.start }) {
            let receiverIsServer = first.direction == .fromInitiator
            let longest = stalls.map(\.duration).max()!
            let never = stalls.contains { $0.end == nil }
            let what = stalls.map { $0.stream == 0 ? "the connection" : "stream \($0.stream)" }.joined(separator: " and ")
            var f = Finding(layer: receiverIsServer ? .service : .local, cause: .h2FlowControlStall,
                            summary: "\(who(first.direction).capitalizedFirst) could not send on \(what) for \(longest.humanDescription): "
                                + "the flow-control window was exhausted and \(who(first.direction.reversed)) sent no WINDOW_UPDATE" + (never ? " (none within the capture)" : ""),
                            start: first.start, end: stalls.compactMap(\.end).max() ?? s.endTs,
                            flow: FlowRef(client: s.client, server: s.server, transport: .tcp, stream: stalls.first { $0.stream != 0 }?.stream))
            for st in stalls {
                f.cite(frame: st.startFrame, ts: st.start, "the DATA that exhausted the window of \(st.stream == 0 ? "the connection" : "stream \(st.stream)")")
                if let ef = st.endFrame, let t = st.end { f.cite(frame: ef, ts: t, "WINDOW_UPDATE reopens it") }
            }
            f.nextSteps = receiverIsServer
                ? ["The server is not reading the request body (handler blocked, or a proxy buffering with small windows); its INITIAL_WINDOW_SIZE and WINDOW_UPDATE policy."]
                : ["This program is not reading the response body fast enough (a handler that does not drain resp.Body)."]
            out.append(f)
        }
        if out.isEmpty {
            let unfinished = s.streams.filter { if case .unfinished = $0.endedBy { return $0.requestStart != nil } else { return false } }
            // Closed by a FIN with requests unanswered and no GOAWAY (a server RST is tcp.reset's).
            if !unfinished.isEmpty, let c = tcpConn, c.fin || c.rst, !c.rstFromResponder, !transportFailed {
                let byServer = c.rstFromResponder || c.state == "S3" || c.state == "RSTR" || c.state == "SF" && !c.rst
                var f = Finding(layer: byServer ? .service : .local, cause: .h2ConnClosed,
                                summary: "The connection \(s.client) → \(s.server) closed with \(unfinished.count) stream\(unfinished.count == 1 ? "" : "s") unanswered and no GOAWAY"
                                    + (byServer ? " (closed by the server)" : " (closed by this program)"),
                                start: unfinished.compactMap(\.requestStart).min(), end: c.lastTS, flow: flow)
                for st in unfinished { if let rf = st.requestFrame, let t = st.requestStart { f.cite(frame: rf, ts: t, "HEADERS \(st.method ?? "") \(st.path ?? "") stream \(st.id): no response") } }
                f.timeline.append(TimelineEntry(ts: c.lastTS, frame: c.rstFrame ?? c.lastFrame, text: c.rst ? "RST ends the connection" : "FIN ends the connection"))
                f.nextSteps = byServer
                    ? ["The server closed without GOAWAY: a crash, a restart, or a proxy idle timeout."]
                    : ["This program gave up on the connection (its own timeout, or ReadIdleTimeout); why did the server not answer?"]
                out.append(f)
            }
        }
        return out
    }

    func peerSpokeAfter(_ s: HTTP2ConnectionSummary, _ t: Timestamp, direction: FlowDirection) -> Bool {
        if let frames = evidence.h2Frames[FlowKey(s.client, s.server, .tcp)],
           frames.contains(where: { $0.direction == direction && $0.ts > t }) { return true }
        if let c = ix.tcp(evidence, s.client, s.server) {
            // Packets (ACKs included) from the peer after the PING.
            return c.lastTS > t && (direction == .fromResponder ? c.packetsPerDirection[1] : c.packetsPerDirection[0]) > 0
                && c.lastTS - t > .milliseconds(1)
        }
        return false
    }

    /// Framer pointer → the TCP connection whose frames its log lines match in order. A framer created after
    /// "Transport creating client conn 0x… to IP:PORT" is matched only against connections to IP:PORT.
    func framerMatches() -> [UInt64: FlowKey] {
        var byServer: [Endpoint: [FlowKey]] = [:]
        for k in evidence.h2Frames.keys {
            if let i = ix.h2ByKey[k] { byServer[evidence.h2[i].server, default: []].append(k) } else { byServer[k.b, default: []].append(k); byServer[k.a, default: []].append(k) }
        }
        var out: [UInt64: FlowKey] = [:]
        var taken: Set<FlowKey> = []
        for id in ix.framerOrder {
            let lines = Array(ix.framerLines[id, default: []].prefix(64))
            let candidates = ix.framerRemote[id].map { byServer[$0] ?? [] } ?? Array(evidence.h2Frames.keys)
            var best: (FlowKey, Int)?
            for k in candidates where !taken.contains(k) {
                guard let frames = evidence.h2Frames[k] else { continue }
                let n = matchFrames(lines, frames).count
                if n > (best?.1 ?? 0) { best = (k, n) }
                if n == lines.count { break }
            }
            if let (k, n) = best, n >= min(3, lines.count) {
                out[id] = k
                taken.insert(k)
            }
        }
        return out
    }

    /// Greedy in-order matching of logged frames to wire frames: (log event, wire frame) pairs.
    func matchFrames(_ lines: [LogEvent], _ frames: [FrameRecord]) -> [(LogEvent, FrameRecord)] {
        var out: [(LogEvent, FrameRecord)] = []
        var j = [0, 0]
        for e in lines {
            guard let fr = e.frame, let type = fr.type else { continue }
            let server = e.role == .server
            let wroteByClient = (e.direction == .wrote) != server
            let d: FlowDirection = wroteByClient ? .fromInitiator : .fromResponder
            let di = Int(d.rawValue)
            var k = j[di]
            var limit = 8   // look a few frames ahead: a logged frame may have been coalesced or missed
            while k < frames.count && limit > 0 {
                let w = frames[k]
                if w.direction == d {
                    limit -= 1
                    if w.type == type && w.flags == fr.flags && w.stream == fr.streamID && w.length == fr.length {
                        out.append((e, w))
                        j[di] = k + 1
                        break
                    }
                }
                k += 1
            }
        }
        return out
    }

    /// Pairs (log time, wire time) of logged frames matched to wire frames; every matched line's packet time
    /// goes into `matchedTime`.
    mutating func framerPairs() -> [(log: Timestamp, wire: Timestamp)] {
        var out: [(log: Timestamp, wire: Timestamp)] = []
        for (id, k) in ix.framers {
            guard let lines = ix.framerLines[id], let frames = evidence.h2Frames[k] else { continue }
            for (e, w) in matchFrames(lines, frames) {
                if let t = e.ts { out.append((t, w.ts)) }
                matchedTime[LogRef(file: e.file, line: e.line)] = w.ts
                matchedFrame[LogRef(file: e.file, line: e.line)] = w.frame
            }
        }
        return out
    }
}

extension String {
    var capitalizedFirst: String { prefix(1).uppercased() + dropFirst() }
}

extension Correlator {
    /// The wire delivered frames the program never logged reading, while its log went on: its HTTP/2 read loop
    /// was stuck (local). Only for connections whose frames the log was tied to (http2debug=2 logs every frame
    /// read), and only when the log continues at least a second after the first unread frame.
    mutating func programStalledRules() {
        guard let lastLog = evidence.logs.compactMap({ wireTime($0) }).max() else { return }
        for (id, k) in ix.framers {
            guard let lines = ix.framerLines[id], let frames = evidence.h2Frames[k] else { continue }
            let server = lines.first?.role == .server
            let peer: FlowDirection = server ? .fromInitiator : .fromResponder
            let matched = matchFrames(lines, frames)
            let readFrames = Set(matched.filter { $0.0.direction == .read }.map { $0.1.frame })
            guard let lastRead = matched.filter({ $0.0.direction == .read }).map({ $0.1.ts }).max() else { continue }
            let unread = frames.filter { $0.direction == peer && !readFrames.contains($0.frame) && $0.ts > lastRead }
            guard let first = unread.first, lastLog - first.ts >= .seconds(1) else { continue }
            // The program went on logging this connection's writes after the frames arrived: not an exit.
            let wroteAfter = matched.contains { $0.0.direction == .wrote && $0.1.ts > first.ts }
            guard wroteAfter || lastLog - first.ts >= .seconds(2) else { continue }
            let conn = ix.h2ByKey[k].map { evidence.h2[$0] }
            var f = Finding(layer: .local, cause: .h2ProgramStalled,
                            summary: "\(unread.count) HTTP/2 frame\(unread.count == 1 ? "" : "s") from the \(server ? "client" : "server") reached this host but the program never logged reading them: its read loop was stuck",
                            start: first.ts, end: lastLog, flow: FlowRef(client: conn?.client, server: conn?.server, transport: .tcp))
            for fr in unread.prefix(10) {
                f.cite(frame: fr.frame, ts: fr.ts, "\(HTTP2FrameType(rawValue: fr.type)) stream \(fr.stream) len \(fr.length) arrived; no 'read' line in the log")
            }
            f.nextSteps = ["A goroutine blocked in the program (a handler holding a lock the read loop needs), CPU starvation or a long GC pause: a goroutine dump (SIGQUIT) at that moment shows it."]
            add(f)
        }
    }
}
