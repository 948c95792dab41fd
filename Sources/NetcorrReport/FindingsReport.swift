import NetcorrCore
import NetcorrCorrelate

/// The human report: a one-screen summary, then one block per finding.
public struct FindingsText {
    public var colour: Bool
    public var captureStart: Timestamp?
    public init(colour: Bool, captureStart: Timestamp?) { self.colour = colour; self.captureStart = captureStart }

    func paint(_ s: String, _ code: String) -> String { colour ? "\u{1b}[\(code)m\(s)\u{1b}[0m" : s }
    func layerText(_ l: Layer) -> String {
        switch l {
        case .network: paint("network", "1;33")
        case .service: paint("service", "1;31")
        case .local: paint("local", "1;35")
        }
    }
    func rel(_ t: Timestamp?) -> String {
        guard let t, let s = captureStart else { return "      ?  " }
        let v = Duration.fixed((t - s).seconds, 3) + "s"
        return String(repeating: " ", count: max(0, 9 - v.count - 1)) + "+" + v
    }

    public func render(_ a: Analysis) -> String {
        var out = ""
        if a.findings.isEmpty {
            out += paint("No failures found.", "1;32") + "\n"
            return out
        }
        let by = Dictionary(grouping: a.findings, by: \.layer)
        out += paint("\(a.findings.count) finding\(a.findings.count == 1 ? "" : "s")", "1") + ": "
            + Layer.allCases.compactMap { l in by[l].map { "\($0.count) \(layerText(l))" } }.joined(separator: ", ") + "\n"
        for (i, f) in a.findings.enumerated() {
            out += "  \(i + 1). [\(layerText(f.layer))] \(f.cause): \(f.summary)\n"
        }
        out += "\n"
        out += "clock: " + clockText(a) + "\n"
        for (i, f) in a.findings.enumerated() {
            out += "\n" + paint("── \(i + 1). \(f.summary)", "1") + "\n"
            out += "   layer \(layerText(f.layer)), cause \(f.cause)" + (f.recovered ? " (the program got its answer in the end, late)" : "") + "\n"
            if !f.timeline.isEmpty {
                out += "   timeline (from the capture's first packet):\n"
                for e in f.timeline.prefix(40) {
                    let ref = e.frame.map { "#\($0)" } ?? e.log.map { "\($0.file.split(separator: "/").last ?? ""):\($0.line)" } ?? ""
                    out += "   \(rel(e.ts))  \(Text.pad(ref, 18))\(e.text)\n"
                }
                if f.timeline.count > 40 { out += "   … \(f.timeline.count - 40) more\n" }
            }
            if !f.nextSteps.isEmpty {
                out += "   check next:\n"
                for s in f.nextSteps { out += "   - \(s)\n" }
            }
            if !f.toSettle.isEmpty {
                out += "   to settle it:\n"
                for s in f.toSettle { out += "   - \(s)\n" }
            }
        }
        return out
    }

    func clockText(_ a: Analysis) -> String {
        switch a.clock.method {
        case "pairs":
            let e = a.clock.estimate!
            let off = e.offset.nanoseconds < 0 ? "− " + Duration(nanoseconds: -e.offset.nanoseconds).humanDescription : "+ " + e.offset.humanDescription
            return "log \(off) = capture time (from \(e.pairsUsed) matched pairs, \(e.pairsRejected) rejected, spread \(e.spread.humanDescription))"
                + (a.clock.secondPrecision ? "; the log has one-second times: lines tied to packets are shown at the packets' times" : "")
        case "unmatched": return "log timestamps used as they are (nothing tied a log line to a packet)"
        default: return a.logEvents > 0 ? "the log has no timestamps: joined by content and order only" : "no log given"
        }
    }
}

/// The JSON report (docs/REPORT.md): stable keys.
public enum FindingsJSON {
    public static func render(_ a: Analysis, stats: [(String, Int)], digits: Int) -> String {
        var w = JSONWriter()
        w.beginObject()
        w.beginArray("findings")
        for f in a.findings {
            w.beginObject()
            w.field("layer", f.layer.rawValue)
            w.field("cause", f.cause.rawValue)
            w.field("summary", f.summary)
            if let s = f.start { w.field("start", number: s.epochString(digits: digits)) } else { w.field("start", nil as String?) }
            if let e = f.end { w.field("end", number: e.epochString(digits: digits)) } else { w.field("end", nil as String?) }
            w.field("recovered", f.recovered)
            w.beginObject("flow")
            if let c = f.flow.client { w.field("client", c.description) }
            if let s = f.flow.server { w.field("server", s.description) }
            if let t = f.flow.transport { w.field("transport", t.description) }
            if let h = f.flow.host { w.field("host", h) }
            if let s = f.flow.stream { w.field("stream", Int(s)) }
            w.endObject()
            w.beginObject("evidence")
            w.field("packets", f.packets)
            w.beginArray("log_lines")
            for r in f.logLines { w.beginObject(); w.field("file", r.file); w.field("line", r.line); w.endObject() }
            w.endArray()
            w.endObject()
            w.beginArray("timeline")
            for e in f.timeline {
                w.beginObject()
                if let t = e.ts { w.field("ts", number: t.epochString(digits: digits)) }
                if let fr = e.frame { w.field("frame", fr) }
                if let l = e.log { w.field("file", l.file); w.field("line", l.line) }
                w.field("text", e.text)
                w.endObject()
            }
            w.endArray()
            w.field("next_steps", f.nextSteps)
            w.field("to_settle", f.toSettle)
            w.endObject()
        }
        w.endArray()
        w.beginObject("clock")
        w.field("method", a.clock.method)
        w.field("second_precision", a.clock.secondPrecision)
        if let e = a.clock.estimate {
            w.field("offset", number: Duration.fixed(e.offset.seconds, 6))
            w.field("pairs_used", e.pairsUsed)
            w.field("pairs_rejected", e.pairsRejected)
            w.field("spread", number: Duration.fixed(e.spread.seconds, 6))
        }
        w.endObject()
        w.beginObject("stats")
        for (k, v) in stats { w.field(k, v) }
        w.field("log_events", a.logEvents)
        w.field("log_lines_matched", a.matchedLogLines)
        if let t = a.inferredDNSTimeout { w.field("dns_timeout_inferred", number: Duration.fixed(t.seconds, 3)) }
        w.endObject()
        w.endObject()
        w.newline()
        return String(decoding: w.buffer, as: UTF8.self)
    }
}
