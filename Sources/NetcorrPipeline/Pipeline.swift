import NetcorrCore
import NetcorrDNS
import NetcorrHTTP2
import NetcorrTCP
import NetcorrWire

public struct PipelineOptions: Sendable {
    /// Ports whose UDP and TCP payload is DNS.
    public var dnsPorts: Set<UInt16> = [53]
    public var dns = DNSTrackerOptions()
    /// Build every DNS record (names and data as text) of every message. Only the NDJSON events print them; the
    /// report needs the header, the question and EDNS, and malformed records are found either way.
    public var dnsRecords = true
    public var dnsLimits = DNSLimits()
    public var reassembly = ReassemblyLimits()
    public var fragments = FragmentLimits()
    /// TCP connections tracked at once; past it the longest-idle are reported and dropped.
    public var maxConnections = 200_000
    /// A connection closed (FINs both ways, or a RST) and quiet this long is reported and forgotten, so memory
    /// follows the live connections, not the file. Late packets of a forgotten connection start a new record.
    public var closedLinger: Duration = .seconds(60)
    /// Closed connections lingering at once; past it the earliest closed are reported and forgotten before
    /// `closedLinger` (a busy capture closes thousands a minute).
    public var maxClosedLingering = 256
    /// Two captures of one packet (on two interfaces with `-i any`) closer than this are one packet.
    public var duplicateWindow: Duration = .milliseconds(10)
    public init() {}
}

public struct PipelineStats: Sendable {
    public var packets = 0
    public var bytes = 0
    public var snaplenTruncated = 0
    public var duplicates = 0
    public var ipv4 = 0, ipv6 = 0, udp = 0, tcp = 0, icmp = 0, other = 0
    public var dnsMessages = 0
    public var dnsMalformed = 0
    public var tcpConnections = 0
    public var reassembledDatagrams = 0
    public var anomalies = AnomalyCounts()
    public var firstTS: Timestamp?
    public var lastTS: Timestamp?
    public init() {}
}

/// The one decode loop: link → IP → UDP/TCP/ICMP → DNS, TCP streams. Single-threaded, fed in capture order.
public struct Pipeline {
    public let linkType: LinkType
    public let options: PipelineOptions
    public internal(set) var stats = PipelineStats()
    var dnsTracker: DNSTransactionTracker
    var fragments: FragmentReassembler
    var connections: [FlowKey: ConnectionEntry] = [:]
    /// Connections seen closed, oldest first, to report and forget once they have been quiet `closedLinger`.
    var closing: [(key: FlowKey, ts: Timestamp)] = []
    var closingHead = 0
    var dedup = DuplicateDetector()
    /// `options.dnsPorts` as a bitmap: one load per packet instead of two Set lookups.
    let dnsPortBits: [UInt64]
    var dnsNames = DNSNameCache()
    /// HPACK decoders of finished HTTP/2 connections, for the next ones.
    let hpackPool = HPACKDecoderPool()

    public init(linkType: Int32, options: PipelineOptions = .init()) {
        self.linkType = LinkType(rawValue: linkType)
        self.options = options
        var bits = [UInt64](repeating: 0, count: 1024)
        for p in options.dnsPorts { bits[Int(p) >> 6] |= 1 << UInt64(p & 63) }
        dnsPortBits = bits
        dnsTracker = DNSTransactionTracker(options: options.dns)
        fragments = FragmentReassembler(limits: options.fragments)
    }

    public mutating func packet<S: EventSink>(_ b: Span<UInt8>, frame: Int, ts: Timestamp, wireLength: Int, sink: inout S) {
        stats.packets += 1
        stats.bytes += wireLength
        if stats.firstTS == nil { stats.firstTS = ts }
        stats.lastTS = ts
        let snapCut = b.count < wireLength
        if snapCut { stats.snaplenTruncated += 1 }
        let link: LinkHeader
        do { link = try LinkDecoder.decode(b, linkType: linkType) } catch {
            stats.anomalies.add(error.anomaly, frame: frame)
            return
        }
        guard link.etherType == .ipv4 || link.etherType == .ipv6 else {
            if link.etherType == .arp {
                // RFC 826 for IPv4 over Ethernet: htype 1, ptype 0x0800, hlen 6, plen 4.
                let o = link.payloadOffset
                if b.count >= o + 28, b.u16(o) == 1, b.u16(o + 2) == 0x0800, b.u8(o + 4) == 6, b.u8(o + 5) == 4 {
                    let op = b.u16(o + 6)
                    if op == 1 || op == 2 {
                        sink.neighbor(NeighborEvent(frame: frame, ts: ts, isRequest: op == 1, target: b.ipv4(o + 24), sender: b.ipv4(o + 14)))
                    }
                }
            } else {
                stats.anomalies.add(.etherTypeUnknown, frame: frame)
            }
            stats.other += 1
            return
        }
        let ip: IPHeader
        do { ip = try IPDecoder.decode(b, at: link.payloadOffset) } catch {
            stats.anomalies.add(snapCut ? .snaplenTruncated : error.anomaly, frame: frame)
            return
        }
        if ip.version == 4 { stats.ipv4 += 1 } else { stats.ipv6 += 1 }
        if ip.short && !snapCut { stats.anomalies.add(.ipTruncated, frame: frame) }
        let origin = SegmentOrigin(frame: frame, ts: ts)
        let dup = dedup.check(b, ip: ip, link: link, frame: frame, ts: ts, window: options.duplicateWindow)
        if dup != nil { stats.duplicates += 1 }

        if ip.fragment != nil {
            switch fragments.add(ip, payload: b.extracting(ip.payload), ts: ts) {
            case .incomplete: return
            case .invalid(let a): stats.anomalies.add(a, frame: frame); return
            case .complete(let whole):
                stats.reassembledDatagrams += 1
                transport(whole.span, ip: ip, range: 0..<whole.count, origin: origin, duplicateOf: dup, sink: &sink)
                return
            }
        }
        transport(b, ip: ip, range: ip.payload, origin: origin, duplicateOf: dup, sink: &sink)
    }

    mutating func transport<S: EventSink>(_ b: Span<UInt8>, ip: IPHeader, range: Range<Int>, origin: SegmentOrigin,
                                          duplicateOf: Int?, sink: inout S) {
        switch ip.proto {
        case 17:
            stats.udp += 1
            let u: UDPHeader
            do { u = try TransportDecoder.udp(b, range) } catch { stats.anomalies.add(error.anomaly, frame: origin.frame); return }
            guard isDNSPort(u.sport) || isDNSPort(u.dport) else { return }
            dnsMessage(b.extracting(u.payload), src: Endpoint(ip.src, u.sport), dst: Endpoint(ip.dst, u.dport),
                       transport: .udp, origin: origin, duplicateOf: duplicateOf, sink: &sink)
        case 6:
            stats.tcp += 1
            let t: TCPHeader
            do { t = try TransportDecoder.tcp(b, range) } catch { stats.anomalies.add(error.anomaly, frame: origin.frame); return }
            tcpSegment(b, t, src: Endpoint(ip.src, t.sport), dst: Endpoint(ip.dst, t.dport), origin: origin,
                       duplicateOf: duplicateOf, sink: &sink)
        case 1, 58:
            stats.icmp += 1
            let h: ICMPHeader
            do { h = try TransportDecoder.icmp(b, range, v6: ip.proto == 58) } catch {
                stats.anomalies.add(error.anomaly, frame: origin.frame); return
            }
            // RFC 4861 neighbor solicitation (135) / advertisement (136): the target address at offset 8.
            if h.v6 && (h.type == 135 || h.type == 136) && range.count >= 24 {
                sink.neighbor(NeighborEvent(frame: origin.frame, ts: origin.ts, isRequest: h.type == 135,
                                            target: b.ipv6(range.lowerBound + 8), sender: ip.src))
                return
            }
            guard let q = h.quoted, let inner = try? IPDecoder.decode(b, at: q.lowerBound),
                  inner.payload.count >= 4, inner.proto == 17 || inner.proto == 6 else { return }
            let p = inner.payload.lowerBound
            var dnsID: UInt16?
            let sport = b.u16(p), dport = b.u16(p + 2)
            if inner.proto == 17, inner.payload.count >= 10,
               isDNSPort(sport) || isDNSPort(dport) {
                dnsID = b.u16(p + 8)
            }
            let e = ICMPErrorEvent(frame: origin.frame, ts: origin.ts, reporter: ip.src, v6: h.v6, type: h.type, code: h.code,
                                   name: h.name, quotedSrc: Endpoint(inner.src, sport), quotedDst: Endpoint(inner.dst, dport),
                                   quotedProto: inner.proto, quotedDNSID: dnsID)
            sink.icmp(e)
            if duplicateOf == nil { dnsTracker.icmp(e) { sink.dnsTransaction($0) } }
        default:
            stats.other += 1
        }
    }

    mutating func dnsMessage<S: EventSink>(_ payload: Span<UInt8>, src: Endpoint, dst: Endpoint, transport: Transport,
                                           origin: SegmentOrigin, duplicateOf: Int?, sink: inout S) {
        let e: DNSMessageEvent
        do {
            // The message goes straight into the event (a second copy retained its strings and arrays again).
            e = DNSMessageEvent(frame: origin.frame, ts: origin.ts, src: src, dst: dst, transport: transport,
                                message: try DNSParser.decode(payload, limits: options.dnsLimits, records: options.dnsRecords, names: &dnsNames),
                                duplicateOf: duplicateOf)
        } catch {
            stats.anomalies.add(error.anomaly, frame: origin.frame)
            stats.dnsMalformed += 1
            return
        }
        stats.dnsMessages += 1
        if let bad = e.message.malformed {
            stats.dnsMalformed += 1
            stats.anomalies.add(Anomaly(bad), frame: origin.frame)
        }
        if sink.wantsDNSMessages { sink.dns(e) }
        dnsTracker.message(e) { sink.dnsTransaction($0) }
    }

    @inline(__always) func isDNSPort(_ p: UInt16) -> Bool { dnsPortBits[Int(p) >> 6] & (1 << UInt64(p & 63)) != 0 }

    /// Time passes without packets (live capture): settle DNS queries whose timeout ran out by `now`.
    public mutating func advance<S: EventSink>(to now: Timestamp, sink: inout S) {
        dnsTracker.advance(to: now) { sink.dnsTransaction($0) }
    }

    /// End of input: settle everything that is still open.
    public mutating func finish<S: EventSink>(sink: inout S) {
        let end = stats.lastTS ?? Timestamp(nanoseconds: 0)
        for key in connections.keys.sorted(by: { connections[$0]!.conn.firstFrame < connections[$1]!.conn.firstFrame }) {
            closeConnection(key, sink: &sink)
        }
        // The table's and the list's storage is no longer needed (the report is built after).
        connections = [:]
        closing = []
        closingHead = 0
        dnsTracker.finish(at: end) { sink.dnsTransaction($0) }
        dnsNames = DNSNameCache(capacity: 0)
    }

    public var unmatchedDNSResponses: (count: Int, frames: [Int]) {
        (dnsTracker.unmatchedResponseCount, dnsTracker.unmatchedResponses)
    }
}
