import NetcorrCore
import NetcorrCorrelate

/// Writes every event as one JSON object per line (NDJSON). Keys are documented in docs/EVENTS.md.
public struct EventWriter: EventSink {
    var w = JSONWriter()
    let digits: Int
    /// Header values and paths that carry credentials are redacted unless this is off (--show-secrets).
    public var redactor = WireRedactor()
    let out: (UnsafeRawBufferPointer) -> Void

    /// `digits`: fraction digits of `ts` (the capture's precision).
    public init(timestampDigits digits: Int, out: @escaping (UnsafeRawBufferPointer) -> Void) {
        self.digits = digits
        self.out = out
    }

    /// src, sport, dst, dport: the keys every flow-level event carries.
    mutating func endpoints(_ src: Endpoint, _ dst: Endpoint) {
        w.field("src", src.address.description)
        w.field("sport", Int(src.port))
        w.field("dst", dst.address.description)
        w.field("dport", Int(dst.port))
    }

    mutating func end() {
        w.endObject()
        w.newline()
        if w.buffer.count > 1 << 15 { w.flush(out) }
    }

    public mutating func flush() { w.flush(out) }

    public mutating func dns(_ e: DNSMessageEvent) {
        let m = e.message
        w.beginObject()
        w.field("kind", "dns")
        w.field("frame", e.frame)
        w.field("ts", number: e.ts.epochString(digits: digits))
        endpoints(e.src, e.dst)
        w.field("transport", e.transport.description)
        w.field("id", Int(m.id))
        w.field("qr", m.isResponse)
        w.field("opcode", m.opcode)
        w.field("rcode", Int(m.rcode.rawValue))
        w.field("rcode_name", m.rcode.description)
        w.field("aa", m.authoritative)
        w.field("tc", m.truncated)
        w.field("rd", m.recursionDesired)
        w.field("ra", m.recursionAvailable)
        w.field("qname", m.qname)
        w.field("qtype", m.qtype.map { Int($0.rawValue) })
        w.field("qtype_name", m.qtype?.description)
        if m.isUpdate {
            // RFC 2136 §2.2: zone, prerequisite, update, additional.
            w.field("zocount", m.qdcount)
            w.field("ancount", nil as Int?)
            w.field("prcount", m.ancount)
            w.field("upcount", m.nscount)
        } else {
            w.field("qdcount", m.qdcount)
            w.field("ancount", m.ancount)
            w.field("nscount", m.nscount)
        }
        w.field("arcount", m.arcount)
        w.field("a", m.records(of: .a))
        w.field("aaaa", m.records(of: .aaaa))
        w.field("cname", m.records(of: .cname))
        if !m.records.isEmpty {
            w.beginArray("records")
            for r in m.records {
                w.beginObject()
                w.field("section", r.section == .answer ? "answer" : r.section == .authority ? "authority" : "additional")
                w.field("name", r.name)
                w.field("type", Int(r.type.rawValue))
                w.field("type_name", r.type.description)
                w.field("ttl", Int(r.ttl))
                w.field("rdlength", r.rdlength)
                if let d = r.data { w.field("data", d) }
                w.endObject()
            }
            w.endArray()
        }
        if let x = m.edns {
            w.beginObject("edns")
            w.field("udp_size", Int(x.udpSize))
            w.field("version", Int(x.version))
            w.field("do", x.dnssecOK)
            w.field("options", x.optionCodes.map { Int($0) })
            w.endObject()
        }
        if let bad = m.malformed { w.field("malformed", bad) }
        if let d = e.duplicateOf { w.field("duplicate_of", d) }
        end()
    }

    public mutating func dnsTransaction(_ t: DNSTransaction) {
        w.beginObject()
        w.field("kind", "dns_transaction")
        w.field("frame", t.queryFrame)
        w.field("ts", number: t.queryTS.epochString(digits: digits))
        w.field("client", t.client.description)
        w.field("server", t.server.description)
        w.field("transport", t.transport.description)
        w.field("id", Int(t.id))
        w.field("qname", t.qname)
        w.field("qtype", Int(t.qtype.rawValue))
        w.field("qtype_name", t.qtype.description)
        w.field("outcome", t.outcome.rawValue)
        w.field("response_frame", t.responseFrame)
        if let r = t.responseTS { w.field("response_ts", number: r.epochString(digits: digits)) }
        if let rtt = t.rtt { w.field("rtt", number: Duration.fixed(rtt.seconds, digits)) }
        if let r = t.rcode { w.field("rcode", Int(r.rawValue)); w.field("rcode_name", r.description) }
        w.field("tc", t.truncated)
        w.field("answers", t.answers)
        w.field("late", t.late)
        w.field("attempt", t.attempt)
        w.field("retry_of", t.retryOf)
        if let a = t.afterTruncation { w.field("after_truncation", a) }
        if t.endedByCapture { w.field("ended_by_capture", true) }
        if let i = t.icmp { w.field("icmp", i.name); w.field("icmp_frame", i.frame) }
        end()
    }

    public mutating func icmp(_ e: ICMPErrorEvent) {
        w.beginObject()
        w.field("kind", "icmp")
        w.field("frame", e.frame)
        w.field("ts", number: e.ts.epochString(digits: digits))
        w.field("src", e.reporter.description)
        w.field("type", Int(e.type))
        w.field("code", Int(e.code))
        w.field("name", e.name)
        w.field("v6", e.v6)
        w.field("quoted_proto", Int(e.quotedProto))
        w.field("quoted_src", e.quotedSrc.address.description)
        w.field("quoted_sport", Int(e.quotedSrc.port))
        w.field("quoted_dst", e.quotedDst.address.description)
        w.field("quoted_dport", Int(e.quotedDst.port))
        if let id = e.quotedDNSID { w.field("quoted_dns_id", Int(id)) }
        end()
    }

    public mutating func neighbor(_ e: NeighborEvent) {
        w.beginObject()
        w.field("kind", e.target.isV6 ? "nd" : "arp")
        w.field("frame", e.frame)
        w.field("ts", number: e.ts.epochString(digits: digits))
        w.field("op", e.isRequest ? "request" : "reply")
        w.field("target", e.target.description)
        w.field("sender", e.sender.description)
        end()
    }

    public mutating func tcp(_ e: TCPConnectionEvent) {
        w.beginObject()
        w.field("kind", "tcp")
        w.field("frame", e.firstFrame)
        endpoints(e.initiator, e.responder)
        w.field("state", e.state)
        w.field("syn", e.syn)
        w.field("synack", e.synAck)
        w.field("fin", e.fin)
        w.field("rst", e.rst)
        w.field("packets", e.packets)
        w.field("bytes", e.bytes)
        w.field("packets_per_direction", e.packetsPerDirection)
        w.field("bytes_per_direction", e.bytesPerDirection)
        w.field("retransmissions", e.retransmissions)
        w.field("out_of_order", e.outOfOrder)
        w.field("zero_window", e.zeroWindow)
        w.field("lost_segments", e.lostSegments)
        w.field("keep_alives", e.keepAlives)
        w.field("first_ts", number: e.firstTS.epochString(digits: digits))
        w.field("last_ts", number: e.lastTS.epochString(digits: digits))
        w.field("last_frame", e.lastFrame)
        if e.syn { w.field("syn_count", e.synCount) }
        if let r = e.rstFrame { w.field("rst_frame", r) }
        end()
    }

    public mutating func h2(_ e: HTTP2FrameEvent) {
        w.beginObject()
        w.field("kind", "h2")
        w.field("frame", e.frame)
        w.field("ts", number: e.ts.epochString(digits: digits))
        endpoints(e.src, e.dst)
        w.field("type", Int(e.type.rawValue))
        w.field("type_name", e.type.description)
        w.field("flags", Int(e.flags))
        w.field("stream", Int(e.stream))
        w.field("length", e.length)
        if let v = e.method { w.field("method", v) }
        if let v = e.path { w.field("path", redactor.path(v)) }
        if let v = e.authority { w.field("authority", v) }
        if let v = e.scheme { w.field("scheme", v) }
        if let v = e.status { w.field("status", v) }
        if let v = e.grpcStatus { w.field("grpc_status", v) }
        if let v = e.grpcMessage { w.field("grpc_message", v) }
        if let v = e.contentType { w.field("content_type", v) }
        if let h = e.headers {
            w.beginArray("headers")
            for f in h {
                w.beginArray()
                w.value(f.name)
                w.value(redactor.header(f.name, f.value))
                w.endArray()
            }
            w.endArray()
        }
        if let v = e.headersUndecodable { w.field("headers_undecodable", v) }
        if let v = e.errorCode { w.field("error_code", Int(v.rawValue)); w.field("error_name", v.name) }
        if let v = e.lastStream { w.field("last_stream", Int(v)) }
        if let v = e.debugText { w.field("debug", v) }
        if let v = e.increment { w.field("increment", Int(v)) }
        if let v = e.settings {
            w.beginObject("settings")
            for st in v { w.field(st.id.description, Int(st.value)) }
            w.endObject()
        }
        if let v = e.pingData { w.field("ping", String(v, radix: 16)) }
        if let v = e.promisedStream { w.field("promised_stream", Int(v)) }
        if let v = e.padLength { w.field("pad_length", v) }
        if let v = e.malformed { w.field("malformed", v.rawValue) }
        end()
    }

    public mutating func h2Connection(_ c: HTTP2ConnectionSummary) {
        w.beginObject()
        w.field("kind", "h2_connection")
        endpoints(c.client, c.server)
        w.field("start", "\(c.start)")
        w.field("streams", c.streams.count)
        w.field("frames", c.frames)
        w.field("goaways", c.goaways.count)
        w.field("stalls", c.stalls.count)
        let rtts = c.pings.compactMap { $0.rtt?.seconds }
        if let m = rtts.max() { w.field("ping_rtt_max", number: Duration.fixed(m, 6)) }
        w.field("pings_unanswered", c.pings.filter { $0.ackTs == nil }.count)
        w.field("hpack_desynchronized", c.hpackDesynchronized.map { $0 ? 1 : 0 })
        end()
    }

    public mutating func tls(_ e: TLSEvent) {
        w.beginObject()
        w.field("kind", "tls")
        w.field("frame", e.clientHelloFrame)
        endpoints(e.client, e.server)
        w.field("sni", e.sni)
        w.field("alpn", e.alpnOffered)
        w.field("alpn_selected", e.alpnSelected)
        w.field("versions", e.clientSupportedVersions.map(\.description))
        w.field("version", e.selectedVersion?.description)
        w.field("records", e.stats.map(\.records))
        w.field("application_data_bytes", e.stats.map(\.applicationDataBytes))
        end()
    }

    /// A log line, as the log reader understood it (already redacted by the caller unless --show-secrets).
    public mutating func log(_ e: LogEvent) {
        w.beginObject()
        w.field("kind", "log")
        w.field("file", e.file)
        w.field("line", e.line)
        if let t = e.ts { w.field("ts", number: t.epochString(digits: 9)) } else { w.field("ts", nil as String?) }
        w.field("ts_source", e.tsSource.rawValue)
        w.field("log_kind", e.kind.rawValue)
        if let v = e.stream { w.field("stream", v) }
        if let v = e.role { w.field("role", v.rawValue) }
        if let v = e.direction { w.field("direction", v.rawValue) }
        if let v = e.connID { w.field("conn", "0x" + String(v, radix: 16)) }
        if let fr = e.frame {
            w.beginObject("h2")
            w.field("type_name", fr.typeName)
            w.field("type", fr.type.map { Int($0) })
            w.field("flags", Int(fr.flags))
            w.field("stream", Int(fr.streamID))
            w.field("length", fr.length)
            if let v = fr.increment { w.field("increment", Int(v)) }
            if let v = fr.errorCodeName { w.field("error_code", v) }
            if let v = fr.lastStreamID { w.field("last_stream", Int(v)) }
            w.endObject()
        }
        if let v = e.headerName { w.field("header", v) }
        if let v = e.headerValue { w.field("value", v) }
        if let v = e.host { w.field("host", v) }
        if let v = e.order { w.field("order", v) }
        if let v = e.resolver { w.field("resolver", v) }
        if let v = e.server { w.field("server", v.description) }
        if let v = e.local { w.field("local", v.description) }
        if let v = e.remote { w.field("remote", v.description) }
        if let v = e.authority { w.field("authority", v) }
        if let v = e.errorKind { w.field("error_kind", v.rawValue) }
        if let v = e.errorText { w.field("error", v) }
        w.field("message", e.message)
        end()
    }

    /// A finding, in the events stream after every other event.
    public mutating func finding(_ f: Finding) {
        w.beginObject()
        w.field("kind", "finding")
        w.field("layer", f.layer.rawValue)
        w.field("cause", f.cause.rawValue)
        w.field("summary", f.summary)
        if let s = f.start { w.field("start", number: s.epochString(digits: digits)) }
        w.field("packets", f.packets)
        w.beginArray("log_lines")
        for r in f.logLines { w.beginObject(); w.field("file", r.file); w.field("line", r.line); w.endObject() }
        w.endArray()
        w.field("recovered", f.recovered)
        end()
    }
}
