import NetcorrCore
import NetcorrCorrelate

/// The report as one self-contained HTML page: findings at the top, coloured by layer, and a timeline with a lane
/// per flow (DNS client/server pair, TCP connection, HTTP/2 stream under its connection) and a lane per log file.
/// Everything is inline (CSS, JS, the data as one JSON blob; SVG drawn by the page's own script): it opens without
/// network access. Bounded: at most `Limits.maxLanes` lanes and `Limits.maxMarks` marks, the rest summarised.
public enum HTMLReport {
    public struct Limits: Sendable {
        public var maxLanes = 150
        public var maxMarks = 1500
        public var maxMarksPerLane = 400
        /// Findings listed in full (timeline, next steps); the rest are counted by cause.
        public var maxFindings = 100
        public var maxTimelineEntries = 40
        public var maxLogTicks = 1500
        public var minMarksPerLane = 20
        public init() {}
    }

    /// - Parameters:
    ///   - digits: fractional digits of the capture's timestamps (6 µs, 9 ns).
    ///   - redact: hide credential-bearing values the wire shows in clear (paths' query parameters). Log lines are
    ///     redacted by whoever read them.
    ///   - dnsTimeout: the client's per-attempt DNS timeout when given; else the inferred one, else Go's 5 s.
    public static func render(analysis: Analysis, evidence: Evidence, captureName: String, digits: Int, redact: Bool,
                              dnsTimeout: Duration? = nil, limits: Limits = .init()) -> String {
        var b = Builder(analysis: analysis, evidence: evidence, redactor: WireRedactor(enabled: redact), limits: limits,
                        dnsTimeout: dnsTimeout ?? analysis.inferredDNSTimeout ?? .seconds(5))
        b.build()
        let json = b.json(captureName: captureName, digits: digits)
        return page(title: captureName, json: json)
    }

    static func page(title: String, json: String) -> String {
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
            + "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            + "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n"
            + "<title>netcorr: \(escapeHTML(title))</title>\n<style>\n\(css)\n</style></head>\n<body>\n\(body)\n"
            + "<script id=\"netcorr-data\" type=\"application/json\">\(scriptSafe(json))</script>\n"
            + "<script>\n\(js)\n</script>\n</body></html>\n"
    }

    /// Text for HTML element content and attributes.
    static func escapeHTML(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }

    /// JSON inside a script element: "</" would end the element early, "<!--" would open a comment state.
    /// Both are written with a JSON escape that means the same text.
    static func scriptSafe(_ json: String) -> String {
        json.replacingAll("</", with: "<\\/").replacingAll("<!--", with: "<\\u0021--")
    }
}

extension String {
    func replacingAll(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty, contains(target) else { return self }
        var out = ""
        var rest = self[...]
        while let r = rest.range(of: target) {
            out += rest[..<r.lowerBound]
            out += replacement
            rest = rest[r.upperBound...]
        }
        out += rest
        return out
    }
}

extension Substring {
    func range(of target: String) -> Range<Substring.Index>? {
        let t = Array(target.utf8)
        guard let first = t.first else { return nil }
        let u = self.utf8
        var i = u.startIndex
        while i != u.endIndex {
            if u[i] == first {
                var j = i, k = 0
                while k < t.count, j != u.endIndex, u[j] == t[k] { u.formIndex(after: &j); k += 1 }
                if k == t.count { return i..<j }
            }
            u.formIndex(after: &i)
        }
        return nil
    }
}

/// One drawn thing: a point (t) or a span (t … t2), with the packets it stands for and what a hover shows.
struct HTMLMark {
    /// dnsq, syn, rst, conn, tls, alert, h2req, h2f, ping, goaway, settings, stall, icmp, arp, cite, log
    var kind: String
    var t: Double
    var t2: Double?
    /// Where a timeout ran out (an unanswered or late DNS query).
    var tto: Double?
    var frames: [Int] = []
    var label: String
    /// Style class: ok, err, warn, timeout, late, unfinished, muted…
    var cls: String = ""
    var fields: [(String, String)] = []
    /// The query frame this one retries (DNS).
    var retryOf: Int?
    /// Log lines: the file:line reference and the frames the correlator tied the line to.
    var logRef: String?
    var tie: [Int] = []
    /// A line some finding cites.
    var cited = false
    /// Kept first when the lane is summarised.
    var important = false
}

struct HTMLLane {
    var id: String
    /// dns, tcp, h2s, icmp, arp, evidence, log
    var kind: String
    var label: String
    var sub: String = ""
    var parent: String?
    var start: Double
    var marks: [HTMLMark] = []
    var dropped = 0
    var important = false
    /// Lines of the log without a time (log lanes).
    var untimed = 0
}

extension HTMLReport {
    struct Builder {
        let analysis: Analysis
        let ev: Evidence
        let redactor: WireRedactor
        let limits: Limits
        let dnsTimeout: Duration
        let t0: Timestamp
        let end: Double
        var lanes: [HTMLLane] = []
        var laneIndex: [String: Int] = [:]
        var notes: [String] = []
        /// Every frame drawn → its lane.
        var frameLane: [Int: String] = [:]
        var findingLanes: [[String]] = []
        var marksDrawn = 0
        var marksTotal = 0

        init(analysis: Analysis, evidence: Evidence, redactor: WireRedactor, limits: Limits, dnsTimeout: Duration) {
            self.analysis = analysis; self.ev = evidence; self.redactor = redactor; self.limits = limits
            self.dnsTimeout = dnsTimeout
            let offset = analysis.clock.estimate?.offset ?? .zero
            var start = evidence.captureStart
            var last = evidence.captureEnd
            for e in evidence.logs {
                guard let ts = e.ts else { continue }
                let t = ts + offset
                if start == nil || t < start! { start = t }
                if last == nil || last! < t { last = t }
            }
            t0 = evidence.captureStart ?? start ?? Timestamp(nanoseconds: 0)
            end = last.map { ($0 - (evidence.captureStart ?? start ?? $0)).seconds } ?? 0
        }

        func rel(_ t: Timestamp) -> Double { (t - t0).seconds }
        func relText(_ t: Timestamp) -> String { "+" + Duration.fixed(rel(t), 6) + " s" }

        mutating func lane(_ id: String, _ make: HTMLLane) -> Int {
            if let i = laneIndex[id] { return i }
            lanes.append(make)
            laneIndex[id] = lanes.count - 1
            return lanes.count - 1
        }

        mutating func build() {
            dnsLanes()
            icmpLanes()
            tcpLanes()
            arpLanes()
            citedPackets()
            logLanes()
            summarise()
        }

        // MARK: DNS

        static func dnsLaneID(client: IPAddress, server: Endpoint) -> String { "dns \(client) \(server)" }

        mutating func dnsLanes() {
            let cited = Set(analysis.findings.flatMap(\.packets))
            for t in ev.transactions {
                let id = Self.dnsLaneID(client: t.client.address, server: t.server)
                let li = lane(id, HTMLLane(id: id, kind: "dns", label: "DNS \(t.client.address) → \(t.server)", start: rel(t.queryTS)))
                var m = HTMLMark(kind: "dnsq", t: rel(t.queryTS), label: "\(t.qtype) \(t.qname)")
                m.frames = [t.queryFrame]
                var f: [(String, String)] = [
                    ("id", "0x" + String(t.id, radix: 16)),
                    ("client port", "\(t.client.port)" + (t.transport == .tcp ? " (tcp)" : "")),
                    ("attempt", "\(t.attempt)" + (t.retryOf.map { " (retries #\($0))" } ?? "")),
                ]
                if let a = t.afterTruncation { f.append(("after truncated answer", "#\(a)")) }
                switch t.outcome {
                case .answered:
                    if let r = t.responseTS, let rf = t.responseFrame {
                        m.t2 = rel(r)
                        m.frames.append(rf)
                        let rc = t.rcode.map { "\($0)" } ?? "?"
                        f.append(("rtt", (r - t.queryTS).humanDescription))
                        f.append(("rcode", rc))
                        f.append(("answers", "\(t.answers)" + (t.truncated ? " (truncated)" : "")))
                        let ok = t.rcode.map { "\($0)" == "NOERROR" } ?? true
                        m.cls = t.late ? "late" : ok ? (t.truncated ? "warn" : "ok") : "err"
                        if !ok { m.label += " → \(rc)" }
                        if t.truncated { m.label += " (TC)" }
                        if t.late {
                            m.tto = rel(t.queryTS + dnsTimeout)
                            f.append(("late", "after the \(dnsTimeout.humanDescription) timeout or a retry"))
                        }
                    } else {
                        m.cls = "ok"
                    }
                case .unanswered:
                    m.cls = "timeout"
                    let deadline = t.queryTS + dnsTimeout
                    if t.endedByCapture, let e = ev.captureEnd, e < deadline {
                        m.t2 = rel(e)
                        f.append(("response", "none before the capture ended"))
                    } else {
                        m.t2 = rel(deadline)
                        m.tto = rel(deadline)
                        f.append(("response", "none within \(dnsTimeout.humanDescription)"))
                    }
                    m.label += " — no answer"
                case .icmpError:
                    m.cls = "err"
                    if let i = t.icmp {
                        m.t2 = rel(i.ts)
                        m.frames.append(i.frame)
                        f.append(("icmp", "#\(i.frame) \(i.name) from \(i.reporter) at \(relText(i.ts))"))
                        m.label += " → ICMP \(i.name)"
                    }
                }
                m.fields = f
                m.retryOf = t.retryOf
                m.important = t.outcome != .answered || t.late || t.retryOf != nil || t.rcode.map { "\($0)" != "NOERROR" } ?? false
                    || m.frames.contains { cited.contains($0) }
                if m.important { lanes[li].important = true }
                lanes[li].marks.append(m)
            }
            for i in lanes.indices where lanes[i].kind == "dns" {
                let qs = lanes[i].marks
                let failed = qs.filter { $0.cls == "timeout" || $0.cls == "err" }.count
                let rtts = qs.compactMap { m in m.cls == "ok" ? m.t2.map { $0 - m.t } : nil }.sorted()
                var sub = "\(qs.count) quer\(qs.count == 1 ? "y" : "ies")"
                if failed > 0 { sub += ", \(failed) failed" }
                if !rtts.isEmpty { sub += ", median RTT " + Duration.seconds(rtts[rtts.count / 2]).humanDescription }
                lanes[i].sub = sub
            }
        }

        mutating func icmpLanes() {
            let used = Set(ev.transactions.compactMap { $0.icmp?.frame })
            for e in ev.icmp where !used.contains(e.frame) {
                let id = e.quotedProto == 17 ? Self.dnsLaneID(client: e.quotedSrc.address, server: e.quotedDst) : "icmp \(e.reporter)"
                let li = lane(id, HTMLLane(id: id, kind: e.quotedProto == 17 ? "dns" : "icmp", label: "ICMP from \(e.reporter)", start: rel(e.ts)))
                var m = HTMLMark(kind: "icmp", t: rel(e.ts), label: "ICMP \(e.name)", cls: "err")
                m.frames = [e.frame]
                m.fields = [("packet", "#\(e.frame) at \(relText(e.ts))"), ("type", "\(e.type) code \(e.code): \(e.name)"),
                            ("from", "\(e.reporter)"),
                            ("quoted", "\(e.quotedSrc) → \(e.quotedDst) \(e.quotedProto == 17 ? "udp" : e.quotedProto == 6 ? "tcp" : "proto \(e.quotedProto)")")]
                if let id = e.quotedDNSID { m.fields.append(("quoted DNS id", "0x" + String(id, radix: 16))) }
                m.important = true
                lanes[li].important = true
                lanes[li].marks.append(m)
            }
        }

        // MARK: TCP, TLS, HTTP/2

        static func tcpLaneID(_ c: Endpoint, _ s: Endpoint) -> String { "tcp \(c) \(s)" }

        mutating func tcpLanes() {
            var h2By: [FlowKey: HTTP2ConnectionSummary] = [:]
            for s in ev.h2 { h2By[FlowKey(s.client, s.server, .tcp)] = s }
            var tlsBy: [FlowKey: TLSEvent] = [:]
            for t in ev.tls { tlsBy[FlowKey(t.client, t.server, .tcp)] = t }
            var seen: Set<FlowKey> = []
            let failedStates: Set<String> = ["S0", "REJ", "RSTR", "RSTO", "RSTOS0", "SH", "SHR", "RSTRH"]
            for c in ev.tcp {
                let key = FlowKey(c.initiator, c.responder, .tcp)
                let id = Self.tcpLaneID(c.initiator, c.responder) + (seen.contains(key) ? " #\(c.firstFrame)" : "")
                seen.insert(key)
                let h2 = h2By[key], tls = tlsBy[key]
                let li = lane(id, HTMLLane(id: id, kind: "tcp", label: "TCP \(c.initiator) → \(c.responder)", start: rel(c.firstTS)))
                var span = HTMLMark(kind: "conn", t: rel(c.firstTS), label: "connection \(c.state)")
                span.t2 = rel(c.lastTS)
                span.frames = [c.firstFrame, c.lastFrame]
                let bad = failedStates.contains(c.state)
                span.cls = c.state == "REJ" || c.state == "S0" ? "err" : bad || c.retransmissions > 0 || c.zeroWindow > 0 ? "warn" : "ok"
                span.fields = [
                    ("first packet", "#\(c.firstFrame) at \(relText(c.firstTS))"),
                    ("last packet", "#\(c.lastFrame) at \(relText(c.lastTS))"),
                    ("duration", (c.lastTS - c.firstTS).humanDescription),
                    ("state", "\(c.state) (\(Self.stateText(c.state)))"),
                    ("packets", "\(c.packets) (\(c.packetsPerDirection.map(String.init).joined(separator: " → / ← ")))"),
                    ("bytes", "\(c.bytes) (\(c.bytesPerDirection.map(String.init).joined(separator: " → / ← ")))"),
                ]
                if c.retransmissions > 0 { span.fields.append(("retransmissions", "\(c.retransmissions)")) }
                if c.lostSegments > 0 { span.fields.append(("lost segments", "\(c.lostSegments)")) }
                if c.outOfOrder > 0 { span.fields.append(("out of order", "\(c.outOfOrder)")) }
                if c.zeroWindow > 0 { span.fields.append(("zero windows", "\(c.zeroWindow)")) }
                if c.gapBytes > 0 { span.fields.append(("bytes not captured", "\(c.gapBytes)")) }
                span.important = bad
                lanes[li].marks.append(span)
                if c.syn {
                    var m = HTMLMark(kind: "syn", t: rel(c.firstTS), label: c.synCount > 1 ? "SYN ×\(c.synCount)" : "SYN")
                    m.frames = c.synFrames.isEmpty ? [c.firstFrame] : c.synFrames
                    m.cls = c.synAck ? "ok" : "err"
                    m.fields = [("SYN", "#\(m.frames[0]) at \(relText(c.firstTS))"),
                                ("SYNs sent", "\(c.synCount)" + (c.synFrames.count > 1 ? " (#" + c.synFrames.map(String.init).joined(separator: ", #") + ")" : "")),
                                ("SYN-ACK", c.synAck ? "seen" : "none")]
                    m.important = !c.synAck || c.synCount > 1
                    lanes[li].marks.append(m)
                }
                if c.rst {
                    var m = HTMLMark(kind: "rst", t: rel(c.lastTS), label: "RST from the \(c.rstFromResponder ? "server" : "client")", cls: "err")
                    m.frames = [c.rstFrame ?? c.lastFrame]
                    m.fields = [("RST", "#\(m.frames[0])"), ("from", c.rstFromResponder ? "\(c.responder) (server)" : "\(c.initiator) (client)"),
                                ("time", "\(relText(c.lastTS)) (the connection's last packet)")]
                    if c.state == "REJ" { m.fields.append(("meaning", "connection refused: nothing listens on \(c.responder)")) }
                    m.important = true
                    lanes[li].marks.append(m)
                }
                var sub = Self.stateText(c.state) + ", \(c.packets) packets"
                if c.retransmissions > 0 { sub += ", \(c.retransmissions) retransmissions" }
                if c.zeroWindow > 0 { sub += ", \(c.zeroWindow) zero windows" }
                if let tls { tlsMarks(tls, lane: li); sub += tls.sni.map { ", TLS \($0)" } ?? ", TLS" }
                if let h2 {
                    sub += ", HTTP/2 \(h2.streams.count) stream\(h2.streams.count == 1 ? "" : "s")"
                    h2Marks(h2, lane: li)
                }
                lanes[li].sub = sub
                if bad || c.retransmissions > 0 { lanes[li].important = true }
            }
            // HTTP/2 connections whose TCP connection was not reported (joined mid-way, or dropped by a limit).
            for s in ev.h2 where !seen.contains(FlowKey(s.client, s.server, .tcp)) {
                let id = Self.tcpLaneID(s.client, s.server)
                let li = lane(id, HTMLLane(id: id, kind: "tcp", label: "TCP \(s.client) → \(s.server)", start: rel(s.firstTs ?? s.endTs)))
                lanes[li].sub = "HTTP/2 \(s.streams.count) streams"
                h2Marks(s, lane: li)
            }
        }

        static func stateText(_ s: String) -> String {
            switch s {
            case "S0": "SYN unanswered"
            case "REJ": "refused"
            case "S1": "established, still open"
            case "SF": "closed normally"
            case "S2", "S3": "half closed"
            case "RSTO": "reset by the client"
            case "RSTR": "reset by the server"
            case "RSTOS0": "client SYN then RST"
            case "RSTRH", "SHR": "server reset, no handshake seen"
            case "SH": "SYN then FIN, no answer"
            default: "joined mid-way"
            }
        }

        mutating func tlsMarks(_ t: TLSEvent, lane li: Int) {
            if let f = t.clientHelloFrame, let ts = t.clientHelloTs {
                var m = HTMLMark(kind: "tls", t: rel(ts), label: "ClientHello" + (t.sni.map { " \($0)" } ?? ""))
                m.frames = [f]
                m.fields = [("ClientHello", "#\(f) at \(relText(ts))"), ("SNI", t.sni ?? "none"),
                            ("ALPN offered", t.alpnOffered.joined(separator: ", ")),
                            ("versions", t.clientSupportedVersions.map(\.description).joined(separator: ", "))]
                lanes[li].marks.append(m)
            }
            if let f = t.serverHelloFrame, let ts = t.serverHelloTs {
                var m = HTMLMark(kind: "tls", t: rel(ts), label: t.helloRetryRequest ? "HelloRetryRequest" : "ServerHello")
                m.frames = [f]
                m.fields = [("ServerHello", "#\(f) at \(relText(ts))"), ("version", t.selectedVersion?.description ?? "?"),
                            ("ALPN", t.alpnSelected ?? (t.alpnSelectedEncrypted ? "(encrypted)" : "none")),
                            ("cipher suite", t.cipherSuite.map { "0x" + String($0, radix: 16) } ?? "?")]
                lanes[li].marks.append(m)
            }
            for a in t.alerts {
                var m = HTMLMark(kind: "alert", t: rel(a.ts), label: "TLS alert " + (a.name ?? "(encrypted)"), cls: a.description == 0 ? "muted" : "err")
                m.frames = [a.frame]
                m.fields = [("alert", "#\(a.frame) at \(relText(a.ts))"), ("from", a.direction == .fromResponder ? "server" : "client"),
                            ("description", a.name ?? "encrypted")]
                m.important = a.description != 0
                lanes[li].marks.append(m)
            }
        }

        static func flagsText(type: UInt8, flags: UInt8) -> String {
            var out: [String] = []
            if (type == 0 || type == 1) && flags & 0x1 != 0 { out.append("END_STREAM") }
            if (type == 4 || type == 6) && flags & 0x1 != 0 { out.append("ACK") }
            if (type == 1 || type == 5 || type == 9) && flags & 0x4 != 0 { out.append("END_HEADERS") }
            if (type == 0 || type == 1 || type == 5) && flags & 0x8 != 0 { out.append("PADDED") }
            if type == 1 && flags & 0x20 != 0 { out.append("PRIORITY") }
            return out.joined(separator: "|")
        }

        mutating func h2Marks(_ s: HTTP2ConnectionSummary, lane li: Int) {
            let connID = lanes[li].id
            let who = { (d: FlowDirection) in d == .fromResponder ? "server" : "client" }
            let endRel = rel(s.endTs)
            for st in s.settings {
                var m = HTMLMark(kind: "settings", t: rel(st.ts), label: "SETTINGS from the \(who(st.direction))", cls: "muted")
                m.frames = [st.frame] + (st.ackFrame.map { [$0] } ?? [])
                m.fields = [("SETTINGS", "#\(st.frame) at \(relText(st.ts))"),
                            ("values", st.settings.map { "\($0.id)=\($0.value)" }.joined(separator: ", "))]
                m.fields.append(("ACK", st.ackTs.map { "#\(st.ackFrame ?? 0) after \(($0 - st.ts).humanDescription)" } ?? "none"))
                if st.ackTs == nil { m.cls = "err"; m.important = true }
                lanes[li].marks.append(m)
            }
            for p in s.pings {
                var m = HTMLMark(kind: "ping", t: rel(p.sent), label: "PING from the \(who(p.direction))")
                m.frames = [p.frame] + (p.ackFrame.map { [$0] } ?? [])
                m.t2 = p.ackTs.map(rel) ?? endRel
                m.cls = p.ackTs == nil ? "timeout" : "ok"
                m.fields = [("PING", "#\(p.frame) at \(relText(p.sent))"), ("data", "0x" + String(p.data, radix: 16)),
                            ("ACK", p.ackTs.map { "#\(p.ackFrame ?? 0), round trip \(($0 - p.sent).humanDescription)" } ?? "none")]
                m.important = p.ackTs == nil
                lanes[li].marks.append(m)
            }
            for g in s.goaways {
                let debug = String(decoding: g.debugData.prefix(200), as: UTF8.self)
                var m = HTMLMark(kind: "goaway", t: rel(g.ts), label: "GOAWAY \(g.errorCode.name)",
                                 cls: g.errorCode == .noError && g.streamsCut.isEmpty ? "warn" : "err")
                m.frames = [g.frame]
                m.fields = [("GOAWAY", "#\(g.frame) at \(relText(g.ts))"), ("from", who(g.direction)),
                            ("error code", g.errorCode.name), ("last stream", "\(g.lastStream)")]
                if !debug.isEmpty { m.fields.append(("debug data", debug)) }
                if !g.streamsCut.isEmpty { m.fields.append(("streams cut", g.streamsCut.map(String.init).joined(separator: ", "))) }
                m.important = true
                lanes[li].marks.append(m)
            }
            for st in s.stalls where st.stream == 0 {
                lanes[li].marks.append(stallMark(st))
            }
            let records = ev.h2Frames[FlowKey(s.client, s.server, .tcp)] ?? []
            for r in records where r.stream == 0 && (r.type == 0x8 || r.type > 0x9) {
                lanes[li].marks.append(frameMark(r))
            }
            var byStream: [UInt32: [FrameRecord]] = [:]
            for r in records where r.stream != 0 { byStream[r.stream, default: []].append(r) }
            for st in s.streams {
                let sid = "\(connID) s\(st.id)"
                let start = st.requestStart.map(rel) ?? byStream[st.id]?.first.map { rel($0.ts) } ?? rel(s.firstTs ?? s.endTs)
                let path = st.path.map { redactor.path($0) }
                let si = lane(sid, HTMLLane(id: sid, kind: "h2s", label: "stream \(st.id) \(st.method ?? "")\(path.map { " " + $0 } ?? "")",
                             parent: connID, start: start))
                var m = HTMLMark(kind: "h2req", t: start, label: "\(st.method ?? "?") \(path ?? "?")")
                m.frames = [st.requestFrame, st.responseFrame, st.endFrame].compactMap { $0 }
                var outcome: String
                switch st.endedBy {
                case .endStream:
                    outcome = st.status.map { "\($0)" } ?? "done"
                    m.cls = (st.status ?? 200) >= 500 || (st.grpcStatus ?? 0) != 0 ? "err" : (st.status ?? 200) >= 400 ? "warn" : "ok"
                case .rstStream(let code, let by):
                    outcome = "RST_STREAM \(code.name) by the \(who(by))"
                    m.cls = code == .noError ? "warn" : "err"
                case .goaway:
                    outcome = "cut by GOAWAY"
                    m.cls = "err"
                case .unfinished:
                    outcome = "unfinished"
                    m.cls = "unfinished"
                }
                if let g = st.grpcStatus { outcome += ", grpc-status \(g)" }
                m.t2 = st.end.map(rel) ?? endRel
                var f: [(String, String)] = [("stream", "\(st.id)" + (st.pushed ? " (pushed)" : ""))]
                if let rf = st.requestFrame, let t = st.requestStart { f.append(("HEADERS", "#\(rf) at \(relText(t))")) }
                if let m = st.method { f.append((":method", m)) }
                if let p = path { f.append((":path", p)) }
                if let a = st.authority { f.append((":authority", a)) }
                if let sc = st.scheme { f.append((":scheme", sc)) }
                if let ct = st.contentType { f.append(("content-type", ct)) }
                if let t = st.requestEnd { f.append(("request END_STREAM", relText(t))) }
                if let rf = st.responseFrame, let t = st.responseHeaders {
                    f.append(("response HEADERS", "#\(rf) at \(relText(t))" + (st.requestStart.map { ", after " + (t - $0).humanDescription } ?? "")))
                }
                if let s = st.status { f.append((":status", "\(s)")) }
                if let g = st.grpcStatus { f.append(("grpc-status", "\(g)")) }
                if let g = st.grpcMessage { f.append(("grpc-message", String(g.prefix(200)))) }
                if let ef = st.endFrame, let t = st.end { f.append(("end", "#\(ef) at \(relText(t))")) }
                f.append(("outcome", outcome))
                f.append(("DATA bytes", "\(st.dataBytes[0]) → / \(st.dataBytes[1]) ←"))
                if st.headersUndecodable { f.append(("headers", "not decodable (capture joined mid-connection)")) }
                m.fields = f
                m.label += " → " + outcome
                m.important = m.cls != "ok"
                lanes[si].marks.append(m)
                lanes[si].sub = outcome + (st.requestStart.flatMap { a in (st.responseHeaders ?? st.end).map { " in " + ($0 - a).humanDescription } } ?? "")
                if m.important { lanes[si].important = true }
                for r in byStream[st.id] ?? [] { lanes[si].marks.append(frameMark(r)) }
                for x in s.stalls where x.stream == st.id { lanes[si].marks.append(stallMark(x)) }
            }
            if s.streamsDropped > 0 { notes.append("\(s.streamsDropped) HTTP/2 streams of \(s.client) → \(s.server) beyond the decoder's limit are not shown.") }
        }

        func stallMark(_ x: HTTP2StallRecord) -> HTMLMark {
            let who = x.direction == .fromResponder ? "server" : "client"
            var m = HTMLMark(kind: "stall", t: rel(x.start), label: "\(who) flow-control window exhausted" + (x.stream == 0 ? " (connection)" : ""),
                             cls: x.end == nil || x.duration >= .seconds(1) ? "err" : "warn")
            m.t2 = rel(x.start + x.duration)
            m.frames = [x.startFrame] + (x.endFrame.map { [$0] } ?? [])
            m.fields = [("stalled sender", who), ("window", x.stream == 0 ? "connection" : "stream \(x.stream)"),
                        ("from", "#\(x.startFrame) at \(relText(x.start))"),
                        ("reopened", x.end.map { "#\(x.endFrame ?? 0) at \(relText($0))" } ?? "never, within the capture"),
                        ("stalled for", x.duration.humanDescription), ("had more to send", x.senderHadMore ? "yes" : "no")]
            m.important = x.senderHadMore
            return m
        }

        func frameMark(_ r: FrameRecord) -> HTMLMark {
            let name = HTTP2FrameType(rawValue: r.type).description
            let flags = Self.flagsText(type: r.type, flags: r.flags)
            var m = HTMLMark(kind: "h2f", t: rel(r.ts), label: name + (flags.isEmpty ? "" : " " + flags))
            m.frames = [r.frame]
            m.cls = "f\(r.type)" + (r.direction == .fromResponder ? " in" : " out")
            m.fields = [("frame", "\(name) in packet #\(r.frame) at \(relText(r.ts))"),
                        ("direction", r.direction == .fromResponder ? "server → client" : "client → server"),
                        ("stream", "\(r.stream)"), ("length", "\(r.length)")]
            if !flags.isEmpty { m.fields.append(("flags", flags)) }
            m.important = r.type == 0x3 || r.type == 0x7
            return m
        }

        mutating func arpLanes() {
            for (addr, n) in ev.neighbors.sorted(by: { $0.key < $1.key }) where n.unresolved {
                guard let a = n.firstRequest, let b = n.lastRequest else { continue }
                let id = "arp \(addr)"
                let li = lane(id, HTMLLane(id: id, kind: "arp", label: "who-has \(addr)", start: rel(a)))
                var m = HTMLMark(kind: "arp", t: rel(a), label: "\(n.requests) unanswered lookups", cls: "err")
                m.t2 = rel(b)
                m.frames = n.requestFrames
                m.fields = [("address", "\(addr)"), ("requests", "\(n.requests)"), ("replies", "\(n.replies)"),
                            ("first", relText(a)), ("last", relText(b)),
                            ("packets", "#" + n.requestFrames.map(String.init).joined(separator: ", #"))]
                m.important = true
                lanes[li].marks.append(m)
                lanes[li].sub = "nobody answered: the address is not on the link"
                lanes[li].important = true
            }
        }

        // MARK: Findings' own packets

        /// A packet a finding cites that no lane drew (a retransmission, a SYN retry) becomes a mark in the
        /// finding's lane.
        mutating func citedPackets() {
            var drawn: [Int: Int] = [:]
            for (i, l) in lanes.enumerated() { for m in l.marks { for f in m.frames where drawn[f] == nil { drawn[f] = i } } }
            for (n, f) in analysis.findings.enumerated() {
                let home = homeLane(f, drawn: drawn) ?? lane("evidence \(n)", HTMLLane(id: "evidence \(n)", kind: "evidence", label: "\(f.cause): packets", start: f.start.map(rel) ?? 0))
                lanes[home].important = true
                for e in f.timeline {
                    guard let fr = e.frame, let ts = e.ts, drawn[fr] == nil else { continue }
                    var m = HTMLMark(kind: "cite", t: rel(ts), label: e.text, cls: "cite")
                    m.frames = [fr]
                    m.fields = [("packet", "#\(fr) at \(relText(ts))"), ("finding", "\(f.cause)"), ("what", e.text)]
                    m.important = true
                    lanes[home].marks.append(m)
                    drawn[fr] = home
                }
            }
        }

        func homeLane(_ f: Finding, drawn: [Int: Int]) -> Int? {
            let fl = f.flow
            if let c = fl.client, let s = fl.server, fl.transport == .tcp {
                let base = Self.tcpLaneID(c, s)
                if let st = fl.stream, let i = laneIndex["\(base) s\(st)"] { return i }
                if let i = laneIndex[base] { return i }
            }
            if fl.transport == .udp, let s = fl.server {
                if let c = fl.client, let i = laneIndex[Self.dnsLaneID(client: c.address, server: s)] { return i }
                if let i = lanes.firstIndex(where: { $0.kind == "dns" && $0.id.hasSuffix(" \(s)") }) { return i }
            }
            for p in f.packets { if let i = drawn[p] { return i } }
            if let s = fl.server, let i = lanes.firstIndex(where: { $0.kind == "tcp" && $0.id.hasSuffix(" \(s)") }) { return i }
            return nil
        }

        // MARK: Logs

        /// Log line → packets: by content first (the local port of a lookup, the endpoints of a dial, a logged
        /// HTTP/2 frame's type, stream, flags and direction), then, for lines a finding cites, the finding's
        /// statement nearest in time.
        func logTies() -> [LogRef: Set<Int>] {
            var ties: [LogRef: Set<Int>] = [:]
            // The correlator's own ties by content come first (exact); the rest below are this page's estimates.
            for (r, f) in analysis.logPackets { ties[r] = [f] }
            let offset = analysis.clock.estimate?.offset ?? .zero
            var dnsByClient: [Endpoint: [DNSTransaction]] = [:]
            for t in ev.transactions { dnsByClient[t.client, default: []].append(t) }
            var tcpByResponder: [Endpoint: [TCPConnectionEvent]] = [:]
            for c in ev.tcp { tcpByResponder[c.responder, default: []].append(c) }
            struct FKey: Hashable { var type: UInt8; var stream: UInt32; var flags: UInt8; var dir: UInt8 }
            var frames: [FKey: [FrameRecord]] = [:]
            for (_, list) in ev.h2Frames {
                for r in list { frames[FKey(type: r.type, stream: r.stream, flags: r.flags, dir: r.direction.rawValue), default: []].append(r) }
            }
            for k in frames.keys { frames[k]!.sort { $0.ts < $1.ts } }
            func nearest<T>(_ list: [T], _ t: Timestamp?, _ ts: (T) -> Timestamp) -> T? {
                guard let t else { return list.last }
                return list.min { abs((ts($0) - t).nanoseconds) < abs((ts($1) - t).nanoseconds) }
            }
            for e in ev.logs {
                let ref = LogRef(file: e.file, line: e.line)
                if ties[ref] != nil { continue }
                let at = e.ts.map { $0 + offset }
                if let l = e.local, let list = dnsByClient[l], let t = nearest(list, at, { $0.queryTS }) {
                    ties[ref, default: []].insert(t.queryFrame)
                    continue
                }
                if let r = e.remote, let list = tcpByResponder[r] {
                    let cands = e.local.map { l in list.filter { $0.initiator == l } } ?? list
                    if let c = nearest(cands, at, { $0.firstTS }) {
                        let k = e.errorKind
                        ties[ref, default: []].insert(k == .tcpRefused || k == .tcpReset ? (c.rstFrame ?? c.lastFrame) : e.kind == .h2ConnNew ? c.firstFrame : (c.rstFrame ?? c.firstFrame))
                        continue
                    }
                }
                if e.kind == .h2Frame, let fr = e.frame, let type = fr.type, let dir = e.direction, let at {
                    let byClient = (dir == .wrote) != (e.role == .server)
                    let key = FKey(type: type, stream: fr.streamID, flags: fr.flags, dir: byClient ? 0 : 1)
                    if let list = frames[key], let r = nearest(list, at, { $0.ts }), abs((r.ts - at).nanoseconds) < 500_000_000 {
                        ties[ref, default: []].insert(r.frame)
                    }
                }
            }
            for f in analysis.findings {
                let stated = f.timeline.compactMap { e -> (Int, Timestamp)? in
                    guard e.log == nil, let t = e.ts else { return nil }
                    if let fr = e.frame { return (fr, t) }
                    // "no response to #13 within 1.000 s": the packet the statement is about.
                    if let h = e.text.firstIndex(of: "#") {
                        let digits = e.text[e.text.index(after: h)...].prefix { $0.isASCII && $0.isNumber }
                        if let n = Int(digits) { return (n, t) }
                    }
                    return nil
                }
                guard !stated.isEmpty else { continue }
                for e in f.timeline {
                    guard let r = e.log, ties[r] == nil else { continue }
                    let best = e.ts.map { t in stated.min { abs(($0.1 - t).nanoseconds) < abs(($1.1 - t).nanoseconds) }! } ?? stated.last!
                    ties[r, default: []].insert(best.0)
                }
            }
            return ties
        }

        mutating func logLanes() {
            let ties = logTies()
            let cited = Set(analysis.findings.flatMap(\.logLines))
            let offset = analysis.clock.estimate?.offset ?? .zero
            let files = Set(ev.logs.map(\.file))
            let multiple = files.count > 1
            for e in ev.logs {
                let id = "log \(e.file)"
                let name = String(e.file.split(separator: "/").last ?? Substring(e.file))
                let li = lane(id, HTMLLane(id: id, kind: "log", label: multiple ? "log \(name)" : "log (\(name))", start: 0))
                guard let ts = e.ts else { lanes[li].untimed += 1; continue }
                let ref = LogRef(file: e.file, line: e.line)
                let message = e.message.count > 400 ? String(e.message.prefix(400)) + "…" : e.message
                var m = HTMLMark(kind: "log", t: (ts - t0).seconds, label: message.count > 120 ? String(message.prefix(120)) + "…" : message)
                m.logRef = "\(name):\(e.line)"
                m.tie = ties[ref].map { Array($0).sorted() } ?? []
                m.cls = e.errorKind != nil || e.kind == .h2RoundTripFailure || e.kind == .h2ReadError ? "err"
                    : e.kind == .h2Frame || e.kind == .h2HeaderEncode || e.kind == .h2HeaderDecode ? "muted" : "info"
                m.fields = [("line", "\(name):\(e.line)"), ("kind", e.kind.rawValue)]
                if let k = e.errorKind { m.fields.append(("error", k.rawValue)) }
                m.fields.append(("log time", Self.wall(ts) + " (" + e.tsSource.rawValue + ")"))
                m.fields.append(("on the capture's clock", Self.wall(ts + offset)))
                m.fields.append(("message", message))
                m.cited = cited.contains(ref)
                m.important = m.cited || m.cls == "err"
                lanes[li].important = true
                lanes[li].marks.append(m)
            }
            for i in lanes.indices where lanes[i].kind == "log" {
                let n = lanes[i].marks.count
                lanes[i].sub = "\(n) recognised line\(n == 1 ? "" : "s")" + (lanes[i].untimed > 0 ? ", \(lanes[i].untimed) without a time" : "")
                    + ", \(lanes[i].marks.filter { !$0.tie.isEmpty }.count) tied to packets"
            }
        }

        /// "11:33:23.949405 UTC" (time of day; the date is in the header).
        static func wall(_ t: Timestamp) -> String {
            let ns = t.nanoseconds
            let day = ((ns / 1_000_000_000) % 86_400 + 86_400) % 86_400
            let us = ((ns % 1_000_000_000) + 1_000_000_000) % 1_000_000_000 / 1000
            func two(_ v: Int64) -> String { v < 10 ? "0\(v)" : "\(v)" }
            let frac = String(us)
            return "\(two(day / 3600)):\(two(day / 60 % 60)):\(two(day % 60)).\(String(repeating: "0", count: 6 - frac.count))\(frac) UTC"
        }

        // MARK: Bounds

        mutating func summarise() {
            // Lanes: the log, then those holding a finding's evidence, then the rest by time; children follow parents.
            marksTotal = lanes.reduce(0) { $0 + $1.marks.count }
            let findingFrames = analysis.findings.map { Set($0.packets) }
            var keep: [Int] = []
            var dropByKind: [String: Int] = [:]
            // A connection and its streams go together: the group ranks as its most important member.
            var members: [String: [Int]] = [:]
            for (i, l) in lanes.enumerated() { members[l.parent ?? l.id, default: []].append(i) }
            let groups = lanes.indices.filter { lanes[$0].parent == nil }.map { i -> (rank: Int, start: Double, idx: [Int]) in
                let idx = members[lanes[i].id] ?? [i]
                return (idx.map { rank(lanes[$0]) }.min() ?? 2, lanes[i].start, idx)
            }.sorted { $0.rank != $1.rank ? $0.rank < $1.rank : $0.start < $1.start }
            for g in groups {
                // The parent first, then its important streams, then the others.
                let ordered = g.idx.sorted { a, b in
                    (lanes[a].parent == nil ? 0 : rank(lanes[a])) < (lanes[b].parent == nil ? 0 : rank(lanes[b]))
                }
                for i in ordered {
                    if keep.count >= limits.maxLanes { dropByKind[lanes[i].kind, default: 0] += 1; continue }
                    keep.append(i)
                }
            }
            if !dropByKind.isEmpty {
                let names = ["dns": "DNS client/server pairs", "tcp": "TCP connections", "h2s": "HTTP/2 streams", "log": "logs",
                             "icmp": "ICMP senders", "arp": "neighbor lookups", "evidence": "evidence lanes"]
                notes.append("Not drawn (more than \(limits.maxLanes) lanes): " + dropByKind.sorted { $0.key < $1.key }
                    .map { "\($0.value) \(names[$0.key] ?? $0.key)" }.joined(separator: ", ") + ".")
            }
            // Display order: logs, DNS, then connections by time with their streams under them, then the rest.
            let keptLanes = keep.map { lanes[$0] }
            let children = Dictionary(grouping: keptLanes.filter { $0.parent != nil }, by: { $0.parent! })
            let groupRank = ["log": 0, "dns": 1, "icmp": 2, "arp": 3, "tcp": 4, "evidence": 5]
            var display: [HTMLLane] = []
            for l in keptLanes.filter({ $0.parent == nil }).sorted(by: { a, b in
                let ga = groupRank[a.kind] ?? 9, gb = groupRank[b.kind] ?? 9
                return ga != gb ? ga < gb : a.start < b.start
            }) {
                display.append(l)
                for c in (children[l.id] ?? []).sorted(by: { $0.start < $1.start }) { display.append(c) }
            }
            // Marks: each lane keeps its important marks first, then an even sample of the rest.
            var budget = limits.maxMarks
            let perLane = max(limits.minMarksPerLane, min(limits.maxMarksPerLane, limits.maxMarks / max(1, display.count)))
            var summarisedLanes = 0
            for i in display.indices {
                let cap = display[i].kind == "log" ? min(limits.maxLogTicks, max(perLane, budget / 2)) : min(perLane * 2, max(limits.minMarksPerLane, budget))
                let lane = display[i]
                let capHere = max(0, min(cap, budget))
                if lane.marks.count > capHere {
                    let imp = lane.marks.filter { $0.important || $0.frames.contains { f in findingFrames.contains { $0.contains(f) } } }
                    let rest = lane.marks.filter { !($0.important || $0.frames.contains { f in findingFrames.contains { $0.contains(f) } }) }
                    var out = Array(imp.prefix(capHere))
                    let room = capHere - out.count
                    if room > 0, !rest.isEmpty {
                        let step = Double(rest.count) / Double(room)
                        var x = 0.0
                        while Int(x) < rest.count && out.count < capHere { out.append(rest[Int(x)]); x += max(1, step) }
                    }
                    out.sort { $0.t < $1.t }
                    display[i].dropped = lane.marks.count - out.count
                    display[i].marks = out
                    summarisedLanes += 1
                }
                budget -= display[i].marks.count
            }
            if summarisedLanes > 0 {
                notes.append("\(summarisedLanes) lane\(summarisedLanes == 1 ? "" : "s") summarised: failures, retries and every packet a finding cites are kept, the rest sampled (each lane says how many marks are not drawn).")
            }
            lanes = display
            marksDrawn = lanes.reduce(0) { $0 + $1.marks.count }
            laneIndex = [:]
            for (i, l) in lanes.enumerated() { laneIndex[l.id] = i }
            frameLane = [:]
            for l in lanes { for m in l.marks { for f in m.frames where frameLane[f] == nil { frameLane[f] = l.id } } }
            findingLanes = analysis.findings.map { f in
                var ids: [String] = []
                var seen: Set<String> = []
                for p in f.packets { if let l = frameLane[p], !seen.contains(l) { seen.insert(l); ids.append(l) } }
                for l in lanes where l.kind == "evidence" || l.kind == "log" {
                    if l.kind == "log" && !f.logLines.contains(where: { "log \($0.file)" == l.id }) { continue }
                    if l.kind == "evidence" && !l.marks.contains(where: { m in m.frames.contains { f.packets.contains($0) } }) { continue }
                    if !seen.contains(l.id) { seen.insert(l.id); ids.append(l.id) }
                }
                return ids
            }
        }

        func rank(_ l: HTMLLane) -> Int {
            if l.kind == "log" { return 0 }
            if l.important { return 1 }
            return 2
        }

        // MARK: JSON

        func num(_ v: Double) -> String { Duration.fixed(v, 6) }

        func json(captureName: String, digits: Int) -> String {
            var w = JSONWriter()
            w.beginObject()
            w.field("generator", "netcorr")
            w.field("capture", captureName)
            w.field("start_epoch", number: t0.epochString(digits: digits))
            w.field("start_wall", Self.wall(t0))
            w.field("start_date", Self.date(t0))
            w.field("end", number: num(end))
            w.beginObject("counts")
            w.field("dns_transactions", ev.transactions.count)
            w.field("tcp_connections", ev.tcp.count)
            w.field("h2_connections", ev.h2.count)
            w.field("h2_streams", ev.h2.reduce(0) { $0 + $1.streams.count })
            w.field("log_events", analysis.logEvents)
            w.field("log_lines_matched", analysis.matchedLogLines)
            w.field("lanes", lanes.count)
            w.field("marks", marksDrawn)
            w.field("marks_total", marksTotal)
            w.endObject()
            w.field("dns_timeout", number: num(dnsTimeout.seconds))
            w.beginObject("clock")
            w.field("method", analysis.clock.method)
            w.field("offset", number: num((analysis.clock.estimate?.offset ?? .zero).seconds))
            if let e = analysis.clock.estimate {
                w.field("pairs_used", e.pairsUsed)
                w.field("pairs_rejected", e.pairsRejected)
                w.field("spread", number: num(e.spread.seconds))
            }
            w.endObject()
            w.field("notes", notes)
            w.beginArray("findings")
            for (i, f) in analysis.findings.prefix(limits.maxFindings).enumerated() {
                w.beginObject()
                w.field("layer", f.layer.rawValue)
                w.field("cause", f.cause.rawValue)
                w.field("summary", f.summary)
                if let s = f.start { w.field("t", number: num(rel(s))) }
                if let e = f.end { w.field("t2", number: num(rel(e))) }
                w.field("recovered", f.recovered)
                w.field("flow", flowText(f.flow))
                w.field("packets", f.packets)
                w.field("log_lines", f.logLines.map { "\($0.file.split(separator: "/").last ?? ""):\($0.line)" })
                w.beginArray("timeline")
                for e in f.timeline.prefix(limits.maxTimelineEntries) {
                    w.beginObject()
                    if let t = e.ts { w.field("t", number: num(rel(t))) }
                    if let fr = e.frame { w.field("frame", fr) }
                    if let l = e.log { w.field("log", "\(l.file.split(separator: "/").last ?? ""):\(l.line)") }
                    w.field("text", e.text.count > 300 ? String(e.text.prefix(300)) + "…" : e.text)
                    w.endObject()
                }
                w.endArray()
                if f.timeline.count > limits.maxTimelineEntries { w.field("timeline_more", f.timeline.count - limits.maxTimelineEntries) }
                w.field("next_steps", f.nextSteps)
                w.field("to_settle", f.toSettle)
                w.field("lanes", findingLanes[i])
                w.endObject()
            }
            w.endArray()
            // Findings beyond the limit: counted by layer and cause.
            let rest = analysis.findings.dropFirst(limits.maxFindings)
            w.beginArray("more_findings")
            for (k, n) in Dictionary(grouping: rest, by: { "\($0.layer.rawValue) \($0.cause.rawValue)" }).mapValues(\.count).sorted(by: { $0.value > $1.value }) {
                let parts = k.split(separator: " ")
                w.beginObject(); w.field("layer", String(parts[0])); w.field("cause", String(parts[1])); w.field("count", n); w.endObject()
            }
            w.endArray()
            w.beginArray("lanes")
            for l in lanes {
                w.beginObject()
                w.field("id", l.id)
                w.field("kind", l.kind)
                w.field("label", l.label)
                w.field("sub", l.sub)
                if let p = l.parent { w.field("parent", p) }
                if l.dropped > 0 { w.field("dropped", l.dropped) }
                w.beginArray("marks")
                for m in l.marks { mark(&w, m, log: l.kind == "log") }
                w.endArray()
                w.endObject()
            }
            w.endArray()
            w.endObject()
            return String(decoding: w.buffer, as: UTF8.self)
        }

        /// Marks in short keys (the page is mostly marks).
        func mark(_ w: inout JSONWriter, _ m: HTMLMark, log: Bool) {
            w.beginObject()
            w.field("k", m.kind)
            // Log ticks carry the log's own time on the capture's time axis; the page adds the (adjustable) offset.
            w.field(log ? "lt" : "t", number: num(m.t))
            if let t2 = m.t2 { w.field("t2", number: num(t2)) }
            if let t = m.tto { w.field("tto", number: num(t)) }
            if !m.frames.isEmpty { w.field("f", m.frames) }
            w.field("l", m.label)
            if !m.cls.isEmpty { w.field("c", m.cls) }
            if let r = m.retryOf { w.field("r", r) }
            if let r = m.logRef { w.field("ref", r) }
            if !m.tie.isEmpty { w.field("tie", m.tie) }
            if m.cited { w.field("cited", true) }
            w.beginArray("d")
            for (k, v) in m.fields { w.beginArray(); w.value(k); w.value(v); w.endArray() }
            w.endArray()
            w.endObject()
        }

        func flowText(_ f: FlowRef) -> String {
            var parts: [String] = []
            if let h = f.host { parts.append(h) }
            switch (f.client, f.server) {
            case let (c?, s?): parts.append("\(c) → \(s)")
            case let (nil, s?): parts.append("→ \(s)")
            case let (c?, nil): parts.append("\(c) →")
            default: break
            }
            if let t = f.transport { parts.append(t.description) }
            if let s = f.stream { parts.append("stream \(s)") }
            return parts.joined(separator: " ")
        }

        /// "2026-11-27" (UTC) from epoch nanoseconds (civil-from-days, Howard Hinnant).
        static func date(_ t: Timestamp) -> String {
            let z = Int64((Double(t.nanoseconds) / 1e9 / 86_400).rounded(.down)) + 719_468
            let era = (z >= 0 ? z : z - 146_096) / 146_097
            let doe = z - era * 146_097
            let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
            var y = yoe + era * 400
            let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
            let mp = (5 * doy + 2) / 153
            let d = doy - (153 * mp + 2) / 5 + 1
            let m = mp < 10 ? mp + 3 : mp - 9
            if m <= 2 { y += 1 }
            func two(_ v: Int64) -> String { v < 10 ? "0\(v)" : "\(v)" }
            return "\(y)-\(two(m))-\(two(d))"
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension HTMLReport {
    /// Writes the page to `path` (replacing it); nil on success, else why not.
    public static func write(_ page: String, to path: String) -> String? {
        guard let f = fopen(path, "w") else { return String(cString: strerror(errno)) }
        var page = page
        let n = page.withUTF8 { fwrite($0.baseAddress, 1, $0.count, f) }
        let failed = n != page.utf8.count
        let closed = fclose(f) == 0
        return failed || !closed ? String(cString: strerror(errno)) : nil
    }
}
