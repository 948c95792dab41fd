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
        if !ev.tcp.isEmpty {
            let states = Dictionary(grouping: ev.tcp, by: \.state).map { "\($0.key) \($0.value.count)" }.sorted().joined(separator: ", ")
            out += "TCP: \(ev.tcp.count) connections (\(states))\n"
            let failed = ev.tcp.filter { ["S0", "REJ", "RSTR", "RSTO", "RSTOS0", "SH"].contains($0.state) || $0.retransmissions > 0 || $0.zeroWindow > 0 }
            if !failed.isEmpty {
                out += "  connections that failed or struggled:\n"
                for c in failed.prefix(maxRows) {
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
                if failed.count > maxRows { out += "  … and \(failed.count - maxRows) more\n" }
            }
        }
        if !ev.h2.isEmpty {
            let streams = ev.h2.flatMap { s in s.streams.map { (s, $0) } }
            out += "HTTP/2: \(ev.h2.count) connections, \(streams.count) streams\n"
            for (s, st) in streams.prefix(maxRows) {
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
            if streams.count > maxRows { out += "  … and \(streams.count - maxRows) more streams\n" }
            for s in ev.h2 {
                for g in s.goaways {
                    out += "  GOAWAY \(g.errorCode.name) from the \(g.direction == .fromResponder ? "server" : "client") #\(g.frame) \(rel(g.ts)) on \(s.client) → \(s.server), last stream \(g.lastStream)"
                        + (g.streamsCut.isEmpty ? "" : ", cut \(g.streamsCut.map(String.init).joined(separator: ","))") + "\n"
                }
            }
            let pings = ev.h2.flatMap { s in s.pings.map { (s, $0) } }
            let worst = pings.filter { $0.1.rtt != nil }.sorted { $0.1.rtt! > $1.1.rtt! }.prefix(3)
            if !worst.isEmpty {
                out += "  worst PING round trips: " + worst.map { "\($0.1.rtt!.humanDescription) (#\($0.1.frame))" }.joined(separator: ", ") + "\n"
            }
            let unanswered = pings.filter { $0.1.ackTs == nil }
            if !unanswered.isEmpty { out += "  PINGs never acknowledged: " + unanswered.map { "#\($0.1.frame)" }.joined(separator: ", ") + "\n" }
        }
        if !ev.tls.isEmpty {
            out += "TLS: \(ev.tls.count) connections (" + Set(ev.tls.compactMap { t in t.sni.map { "\($0) \(t.alpnOffered.joined(separator: ","))" } }).sorted().joined(separator: "; ") + ")\n"
        }
        return out
    }
}
