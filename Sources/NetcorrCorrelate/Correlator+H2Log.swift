import NetcorrCore

/// HTTP/2 seen only through the program's log: connections whose frames the wire does not show in clear
/// (TLS) or at all. http2debug=2 prints every frame and decoded header, so the log alone names the failure;
/// the TLS connection it ran on is cited from the wire.
extension Correlator {
    mutating func h2LogRules() {
        let matched = ix.framers
        var lastHeaders: [UInt64: (UInt32, LogEvent)] = [:]
        var lastFramer: UInt64?
        var made: Set<String> = []
        for e in evidence.logs {
            if e.kind == .h2Frame, let id = e.connID {
                lastFramer = id
                guard matched[id] == nil, e.direction == .read, let fr = e.frame else { continue }
                if fr.type == 1 { lastHeaders[id] = (fr.streamID, e) }
                let remote = ix.framerRemote[id]
                if fr.type == 7, let code = fr.errorCode, code != 0 {
                    var f = logFinding(.h2GoAway, "The server sent GOAWAY \(fr.errorCodeName ?? String(code)) (last stream \(fr.lastStreamID ?? 0)"
                        + (fr.debugData.map { $0.isEmpty ? "" : ", debug \"\($0)\"" } ?? "") + "), seen in the program's log", e, remote)
                    f.nextSteps = ["The server's logs at that moment; ENHANCE_YOUR_CALM means it thinks this client abusive."]
                    if made.insert("goaway\(id)").inserted { add(f) }
                }
                if fr.type == 3, let code = fr.errorCode, code != 0 {
                    var f = logFinding(.h2RstStream, "The server reset stream \(fr.streamID) with RST_STREAM \(fr.errorCodeName ?? String(code)), seen in the program's log", e, remote)
                    f.flow.stream = fr.streamID
                    f.nextSteps = ["The server's handler for this request: a panic or an aborted handler resets the stream."]
                    if made.insert("rst\(id)/\(fr.streamID)").inserted { add(f) }
                }
                continue
            }
            if e.kind == .h2HeaderDecode, let id = lastFramer, matched[id] == nil, let name = e.headerName, let value = e.headerValue {
                let remote = ix.framerRemote[id]
                let stream = lastHeaders[id]?.0
                if name == ":status", let st = Int(value), st >= 500 {
                    var f = logFinding(.h2Status5xx, "The server answered \(st)" + (stream.map { " on stream \($0)" } ?? "") + (remote.map { " (\($0))" } ?? "") + ", seen in the program's log", e, remote)
                    f.flow.stream = stream
                    if let h = lastHeaders[id]?.1 { f.cite(log: h, ts: wireTime(h), "log: " + h.message); citeRecord(&f, h) }
                    f.nextSteps = ["The service's own logs for this request: \(st) is its answer, the network delivered it."]
                    if made.insert("5xx\(id)/\(stream ?? 0)").inserted { add(f) }
                }
                if name == "grpc-status", let g = Int(value), g != 0 {
                    var f = logFinding(.h2GrpcError, "gRPC call failed with grpc-status \(g)" + (stream.map { " on stream \($0)" } ?? "") + ", seen in the program's log", e, remote)
                    f.flow.stream = stream
                    f.nextSteps = ["The server's handler and its grpc-message."]
                    if made.insert("grpc\(id)/\(stream ?? 0)").inserted { add(f) }
                }
            }
        }
    }

    /// The TLS record that carried a logged frame, when the sizes tied them (Correlator+TLS).
    func citeRecord(_ f: inout Finding, _ e: LogEvent) {
        if let r = tlsMatch.recordOf[LogRef(file: e.file, line: e.line)] {
            f.cite(frame: r.frame, ts: r.ts, "the TLS record that carried it (matched by size and order)")
        }
    }

    /// A finding from one log line, with the TLS (or TCP) connection to `remote` cited from the wire.
    func logFinding(_ cause: Cause, _ summary: String, _ e: LogEvent, _ remote: Endpoint?) -> Finding {
        var f = Finding(layer: .service, cause: cause, summary: summary, start: wireTime(e), end: wireTime(e),
                        flow: FlowRef(server: remote, transport: .tcp))
        f.cite(log: e, ts: wireTime(e), "log: " + e.message)
        citeRecord(&f, e)
        if let r = remote, let t = evidence.tls.last(where: { $0.server == r && ($0.clientHelloTs.map { ts in wireTime(e).map { ts <= $0 } ?? true } ?? true) }) {
            f.flow.client = t.client
            if let fr = t.clientHelloFrame, let ts = t.clientHelloTs {
                f.cite(frame: fr, ts: ts, "TLS ClientHello to \(r)" + (t.sni.map { " (SNI \($0))" } ?? "") + ", ALPN \(t.alpnOffered.joined(separator: ","))")
            }
            f.timeline.append(TimelineEntry(ts: nil, text: "the frames ran inside TLS: the capture shows \(t.stats[1].applicationDataRecords) encrypted records from the server; the log names what they carried"))
        }
        return f
    }
}
