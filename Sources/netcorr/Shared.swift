import ArgumentParser
import NetcorrCore
import NetcorrCorrelate
import NetcorrGoLog
import NetcorrPipeline
import NetcorrReport

/// Report pieces shared by replay and capture (same text, same JSON stats).
enum ReportText {
    static func stats(_ p: Pipeline, evidence: Evidence? = nil) -> [(String, Int)] {
        let s = p.stats
        var out = [("packets", s.packets), ("bytes", s.bytes), ("dns_messages", s.dnsMessages), ("dns_malformed", s.dnsMalformed),
                   ("tcp_connections", s.tcpConnections), ("duplicates", s.duplicates), ("snaplen_truncated", s.snaplenTruncated),
                   ("anomalies", s.anomalies.total)]
        if let e = evidence, e.dropped > 0 { out.append(("evidence_dropped", e.dropped)) }
        return out
    }

    /// Said when the evidence caps were reached: the findings cannot count what was not kept.
    static func droppedWarning(_ e: Evidence) -> String {
        e.dropped == 0 ? "" : "  ⚠ \(e.dropped) events past the evidence limits were counted, not kept: findings after that point may be missing or undercounted\n"
    }

    /// The summary block above the findings: packets, protocols, DNS transactions, connections.
    static func summary(name: String, linkType: Int32, pipeline: Pipeline, sink: ReplaySink) -> String {
        let s = pipeline.stats
        var out = "\(name): \(s.packets) packets"
        if let a = s.firstTS, let b = s.lastTS { out += " over " + (b - a).humanDescription }
        out += ", link type \(pipeline.linkType) (\(linkType))"
        if s.duplicates > 0 { out += ", \(s.duplicates) duplicate copies (-i any)" }
        out += "\n"
        out += "  IPv4 \(s.ipv4), IPv6 \(s.ipv6), UDP \(s.udp), TCP \(s.tcp), ICMP \(s.icmp); \(s.dnsMessages) DNS messages, \(s.tcpConnections) TCP connections\n"
        if s.snaplenTruncated > 0 { out += "  \(s.snaplenTruncated) packets cut short by the snapshot length\n" }
        let um = pipeline.unmatchedDNSResponses
        if um.count > 0 {
            out += "  \(um.count) DNS responses matched no query (frames \(um.frames.prefix(8).map(String.init).joined(separator: ", ")))\n"
        }
        if s.anomalies.total > 0 {
            out += "  not as expected: " + s.anomalies.sorted.map { a, n in
                "\(a) ×\(n) (#" + (s.anomalies.firstFrames[a] ?? []).map(String.init).joined(separator: ", #") + ")"
            }.joined(separator: "; ") + "\n"
        }
        out += droppedWarning(sink.evidence)
        out += "\n" + sink.dns.render(relativeTo: s.firstTS)
        let conns = ConnectionsText.render(sink.evidence, relativeTo: s.firstTS)
        if !conns.isEmpty { out += "\n" + conns }
        return out
    }
}

extension LogOptions {
    /// The reader options --log-tz asks for (one clear line and exit 2 for an unknown zone).
    func goLogOptions(includeUnknown: Bool = false) throws -> GoLogOptions {
        var tz = GoLogTimeZone.machine
        if let t = timeZone {
            guard let z = GoLogTimeZone(argument: t) else {
                Output.error("--log-tz: '\(t)' is not a time zone (try UTC, +02:00, Europe/Berlin or local)")
                throw ExitCode(2)
            }
            tz = z
        }
        return GoLogOptions(timeZone: tz, includeUnknown: includeUnknown)
    }
}

extension Output {
    /// Text to stderr as it is (no "netcorr: " prefix).
    static func stderr(_ s: String) {
        var s = s
        s.withUTF8 { writeAll(2, UnsafeRawBufferPointer($0)) }
    }
}
