import NetcorrCore
import NetcorrCorrelate

/// The TCP and HTTP/2 sections of the human report.
public enum ConnectionsText {
    public static func render(_ ev: Evidence, relativeTo start: Timestamp?, maxRows: Int = 30) -> String {
        var out = ""
        let rel = { (t: Timestamp?) -> String in
            guard let t, let s = start else { return "?" }
            return "+" + Duration.fixed((t - s).seconds, 3) + "s"
        }
        if ev.tcpCount > 0 {
            let states = ev.tcpStates.map { "\($0.key) \($0.value)" }.sorted().joined(separator: ", ")
            out += "TCP: \(ev.tcpCount) connections (\(states))\n"
            // Indices, not copies of the events (a large capture has thousands).
            let failed = ev.tcp.indices.filter { Evidence.struggled(ev.tcp[$0]) }
            let failedCount = failed.count + ev.tcpStruggledNotKept
            if failedCount > 0 {
                out += "  connections that failed or struggled:\n"
                for c in failed.prefix(maxRows).map({ ev.tcp[$0] }) {
                    var what: String
                    switch c.state {
                    case "S0", "SH": what = "SYN unanswered (\(c.synCount) SYN\(c.synCount == 1 ? "" : "s"))"
                    case "REJ": what = "refused (RST to SYN)"
                    case "RSTR": what = "reset by the server"
                    case "RSTO": what = "reset by the client"
                    default: what = c.state
                    }
                    if c.retransmissions > 0 { what += ", \(c.retransmissions) retransmissions" }
                    if c.zeroWindow > 0 { what += ", \(c.zeroWindow) zero windows" }
                    out += "  #\(c.firstFrame) \(rel(c.firstTS)) \(c.initiator) → \(c.responder): \(what)\n"
                }
                if failedCount > min(maxRows, failed.count) { out += "  … and \(failedCount - min(maxRows, failed.count)) more\n" }
            }
        }
        if !ev.h2.isEmpty {
            // The first rows without copying every (connection, stream) pair of a large capture.
            let streamCount = ev.h2.reduce(0) { $0 + $1.streams.count } + ev.h2StreamsNotKept
            out += "HTTP/2: \(ev.h2.count + ev.healthyH2Dropped) connections, \(streamCount) streams\n"
            var rows: [(HTTP2ConnectionSummary, HTTP2StreamSummary)] = []
            for s in ev.h2 where rows.count < maxRows {
                for st in s.streams.prefix(maxRows - rows.count) { rows.append((s, st)) }
            }
            for (s, st) in rows {
                var outcome: String
                switch st.endedBy {
                case .endStream: outcome = st.status.map { "\($0)" } ?? "done"
                case .rstStream(let code, let by): outcome = "RST_STREAM \(code.name) by the \(by == .fromResponder ? "server" : "client")"
                case .goaway: outcome = "cut by GOAWAY"
                case .unfinished: outcome = "unfinished"
                }
                if let g = st.grpcStatus { outcome += ", grpc-status \(g)" }
                let latency = st.requestStart.flatMap { a in (st.responseHeaders ?? st.end).map { ($0 - a).humanDescription } } ?? "?"
                out += "  #\(st.requestFrame ?? 0) \(rel(st.requestStart)) \(s.client) → \(s.server) stream \(st.id) \(st.method ?? "?") \(st.path ?? "?"): \(outcome) in \(latency)\n"
            }
            if streamCount > rows.count { out += "  … and \(streamCount - rows.count) more streams\n" }
            var goaways = 0
            for s in ev.h2 {
                for g in s.goaways {
                    goaways += 1
                    if goaways > maxRows { continue }
                    out += "  GOAWAY \(g.errorCode.name) from the \(g.direction == .fromResponder ? "server" : "client") #\(g.frame) \(rel(g.ts)) on \(s.client) → \(s.server), last stream \(g.lastStream)"
                        + (g.streamsCut.isEmpty ? "" : ", cut \(g.streamsCut.map(String.init).joined(separator: ","))") + "\n"
                }
            }
            let listed = min(goaways, maxRows), all = goaways + ev.h2GoawaysNotKept
            if all > listed { out += "  … and \(all - listed) more GOAWAYs\n" }
            let pings = ev.h2.flatMap(\.pings)
            let worst = pings.filter { $0.rtt != nil }.sorted { $0.rtt! > $1.rtt! }.prefix(3)
            if !worst.isEmpty {
                out += "  worst PING round trips: " + worst.map { "\($0.rtt!.humanDescription) (#\($0.frame))" }.joined(separator: ", ") + "\n"
            }
            let unanswered = pings.filter { $0.ackTs == nil }
            if !unanswered.isEmpty { out += "  PINGs never acknowledged: " + unanswered.map { "#\($0.frame)" }.joined(separator: ", ") + "\n" }
        }
        if !ev.tls.isEmpty {
            out += "TLS: \(ev.tls.count) connections (" + Set(ev.tls.compactMap { t in t.sni.map { "\($0) \(t.alpnOffered.joined(separator: ","))" } }).sorted().joined(separator: "; ") + ")\n"
        }
        return out
    }
}
