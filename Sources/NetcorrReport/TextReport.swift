import NetcorrCore

/// Plain-text rendering helpers shared by the reports.
public enum Text {
    /// Pads or truncates to `width` columns (left-aligned).
    public static func pad(_ s: String, _ width: Int) -> String {
        let n = s.count
        if n >= width { return String(s.prefix(max(0, width - 2))) + "… " }
        return s + String(repeating: " ", count: width - n)
    }
    public static func rpad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s : String(repeating: " ", count: width - s.count) + s
    }
}

extension DNSSummary {
    /// The DNS section of the human report.
    /// The table shows the `maxRows` name/server pairs with the most failures (then the busiest), in name order;
    /// the failed transactions, the first `maxFailed`. The JSON events have every one.
    public func render(relativeTo start: Timestamp?, maxRows: Int = 40, maxFailed: Int = 40) -> String {
        var out = ""
        guard total > 0 else { return "DNS: no queries seen\n" }
        out += "DNS: \(total) transactions, \(failedCount) failed\n"
        out += "  " + Text.pad("name", 34) + Text.pad("server", 24) + Text.rpad("queries", 8) + Text.rpad("noerr", 7)
            + Text.rpad("nxdom", 7) + Text.rpad("srvfl", 7) + Text.rpad("other", 7) + Text.rpad("unans", 7)
            + Text.rpad("retry", 7) + "  rtt min/median/max\n"
        var shown = Array(rows)
        if shown.count > maxRows {
            // The rank is two integers; names are compared only among the rows tied at the cut.
            func rank(_ r: Row) -> (Int, Int) { (r.queries - r.answers(.noError) + r.late, r.queries) }
            let cut = shown.map { rank($0.value) }.sorted(by: >)[maxRows - 1]
            var above = shown.filter { rank($0.value) > cut }
            let tied = shown.filter { rank($0.value) == cut }.sorted { $0.key < $1.key }
            above += tied.prefix(maxRows - above.count)
            shown = above
        }
        for (k, r) in shown.sorted(by: { $0.key < $1.key }) {
            let noerr = r.answers(.noError), nx = r.answers(.nxDomain), sf = r.answers(.servFail)
            let other = r.answered - noerr - nx - sf + r.icmp
            var rtt = "-"
            if r.rttCount > 0, let med = r.median {
                rtt = Duration(nanoseconds: r.rttMin).humanDescription + " / " + med.humanDescription + " / "
                    + Duration(nanoseconds: r.rttMax).humanDescription
            }
            out += "  " + Text.pad(k.qname, 34) + Text.pad(k.server.description, 24) + Text.rpad(String(r.queries), 8)
                + Text.rpad(String(noerr), 7) + Text.rpad(String(nx), 7) + Text.rpad(String(sf), 7)
                + Text.rpad(String(other), 7) + Text.rpad(String(r.unanswered), 7) + Text.rpad(String(r.retries), 7)
                + "  " + rtt + "\n"
        }
        if rows.count > shown.count {
            out += "  … \(rows.count - shown.count) more name/server pairs with fewer failures (--events lists every transaction)\n"
        }
        if !failed.isEmpty {
            out += "\nDNS transactions that failed:\n"
            for t in failed.prefix(maxFailed) {
                let at = start.map { "+" + Duration.fixed((t.queryTS - $0).seconds, 3) + "s" } ?? ""
                var what: String
                switch t.outcome {
                case .unanswered:
                    what = "no response" + (t.endedByCapture ? " (capture ended before the timeout)" : "")
                case .icmpError:
                    what = "ICMP \(t.icmp?.name ?? "error") from \(t.icmp?.reporter.description ?? "?") (#\(t.responseFrame ?? 0))"
                case .answered:
                    what = (t.rcode?.description ?? "?") + " (#\(t.responseFrame ?? 0), rtt \(t.rtt?.humanDescription ?? "?"))"
                    if t.late { what += ", late" }
                }
                let retry = t.attempt > 1 ? " attempt \(t.attempt)" : ""
                out += "  #\(t.queryFrame) \(at) \(t.qname) \(t.qtype) \(t.client) → \(t.server)/\(t.transport) id \(t.id)\(retry): \(what)\n"
            }
            if failedCount > min(maxFailed, failed.count) { out += "  … and \(failedCount - min(maxFailed, failed.count)) more\n" }
        }
        return out
    }
}
