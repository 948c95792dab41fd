import NetcorrCore
import NetcorrDNS
import NetcorrHTTP2
import NetcorrTLS
import NetcorrTCP
import NetcorrWire

/// A TCP connection and whatever reads its byte streams. A class: the table holds a reference, so a packet
/// updates the connection where it lies (its state is not copied out of the table and back per packet).
final class ConnectionEntry {
    struct Parts {
        var conn: TCPConnection
        var app: AppDispatch
    }
    /// One stored property, so that a packet's visit (`withParts`) is one access: a class's properties are
    /// checked for exclusive access at run time on every access, and a packet reads and updates them a dozen
    /// times. `conn` and `app` are each an access to it: never hold one while using the other (`withParts`).
    var parts: Parts
    var conn: TCPConnection {
        _read { yield parts.conn }
        _modify { yield &parts.conn }
    }
    var app: AppDispatch {
        _read { yield parts.app }
        _modify { yield &parts.app }
    }
    init(conn: TCPConnection, app: AppDispatch) { parts = Parts(conn: conn, app: app) }

    /// Both parts for the duration of `body`, in one access.
    @inline(__always)
    func withParts<R>(_ body: (UnsafeMutablePointer<TCPConnection>, UnsafeMutablePointer<AppDispatch>) -> R) -> R {
        withUnsafeMutablePointer(to: &parts) { p in
            withUnsafeMutablePointer(to: &p.pointee.conn) { c in withUnsafeMutablePointer(to: &p.pointee.app) { a in body(c, a) } }
        }
    }
}

/// Feeds a connection's in-order bytes to its reader and hands HTTP/2 frames straight to the pipeline's sink, in
/// order, without buffering (and copying) them; other readers' output waits in `AppDispatch` as before.
struct DirectSink: StreamSink {
    let app: UnsafeMutablePointer<AppDispatch>
    /// The pipeline's sink and its type, to call it through. Not a generic parameter: the pipeline's generic code
    /// runs unspecialized (its sink type is the caller's), so a `DirectSink<S>` had its type metadata looked up
    /// at run time on every packet.
    let sink: UnsafeMutableRawPointer
    let sinkType: any EventSink.Type

    init<S: EventSink>(app: UnsafeMutablePointer<AppDispatch>, sink: UnsafeMutablePointer<S>) {
        self.app = app
        self.sink = UnsafeMutableRawPointer(sink)
        sinkType = S.self
    }

    mutating func bytes(_ b: UnsafeRawBufferPointer, direction: FlowDirection, origin: SegmentOrigin) {
        if case .sniff = app.pointee.reader { app.pointee.sniff(b) }
        guard case .h2(let d) = app.pointee.reader else {
            app.pointee.bytes(b, direction: direction, origin: origin)
            return
        }
        if d.value.receiveReportingStop(b, direction: direction, origin: origin, emit: { sinkType.h2(at: sink, $0) }) {
            app.pointee.reader = .none
        }
    }

    mutating func gap(_ count: Int, direction: FlowDirection, origin: SegmentOrigin) {
        app.pointee.gap(count, direction: direction, origin: origin)
    }
}

extension EventSink {
    /// `h2` of the sink that `p` points to (a `Self`).
    @inline(__always)
    static func h2(at p: UnsafeMutableRawPointer, _ e: HTTP2FrameEvent) { p.assumingMemoryBound(to: Self.self).pointee.h2(e) }
}

extension HTTP2ConnectionDecoder {
    /// `receive`, then whether the decoder stopped: one access to a boxed decoder instead of two.
    @inline(__always)
    mutating func receiveReportingStop(_ b: UnsafeRawBufferPointer, direction: FlowDirection, origin: SegmentOrigin,
                                       emit: (HTTP2FrameEvent) -> Void) -> Bool {
        receive(b, direction: direction, origin: origin, emit: emit)
        return isStopped
    }
}

/// A reader's state, updated in place through the reference (an enum payload would be copied out and back).
final class Box<T> {
    var value: T
    init(_ value: T) { self.value = value }
}

/// Receives a connection's in-order bytes and turns them into application events, buffered until the pipeline
/// hands them on (the buffers keep their capacity, so steady state allocates nothing).
struct AppDispatch: StreamSink {
    enum Reader {
        case none
        case dns(DNSOverTCPFramer)
        /// Not yet known: the first bytes decide (a TLS record, else HTTP/2's own sniffing).
        case sniff
        case h2(Box<HTTP2ConnectionDecoder>)
        case tls(Box<TLSStreamObserver>)
    }
    var reader: Reader
    var client: Endpoint
    var server: Endpoint
    /// The pipeline's: HTTP/2 readers take their HPACK decoders from it and give them back when finished.
    let hpackPool: HPACKDecoderPool
    var dnsOut: [(payload: [UInt8], origin: SegmentOrigin, direction: FlowDirection)] = []
    var h2Out: [HTTP2FrameEvent] = []
    var anomalies: [(Anomaly, Int)] = []

    /// Something for `Pipeline.drainApp` to hand on.
    var hasOutput: Bool { !anomalies.isEmpty || !dnsOut.isEmpty || !h2Out.isEmpty }

    mutating func bytes(_ b: UnsafeRawBufferPointer, direction: FlowDirection, origin: SegmentOrigin) {
        switch reader {
        case .none: return
        case .sniff:
            sniff(b)
            bytes(b, direction: direction, origin: origin)
        case .h2(let d):
            if d.value.receiveReportingStop(b, direction: direction, origin: origin, emit: { h2Out.append($0) }) { reader = .none }
        case .tls(let t):
            t.value.receive(b, direction: direction, origin: origin) { _ in }
        case .dns(var f):
            reader = .none
            f.feed(b, direction: direction, origin: origin) { msg, o in dnsOut.append((msg, o, direction)) }
            for a in f.takeAnomalies() { anomalies.append((a, origin.frame)) }
            reader = .dns(f)
        }
    }

    /// The first bytes decide: a TLS handshake record (22) of version 3.x, else HTTP/2 (whose own sniffing
    /// tells the rest).
    mutating func sniff(_ b: UnsafeRawBufferPointer) {
        if b.count >= 3 && b[0] == 22 && b[1] == 3 {
            reader = .tls(Box(TLSStreamObserver(client: client, server: server)))
        } else {
            reader = .h2(Box(HTTP2ConnectionDecoder(client: client, server: server, hpackPool: hpackPool)))
        }
    }

    mutating func gap(_ count: Int, direction: FlowDirection, origin: SegmentOrigin) {
        anomalies.append((.tcpGap, origin.frame))
        switch reader {
        case .none, .sniff: return
        case .h2(let d):
            d.value.gap(direction: direction, count: count, origin: origin)
        case .tls(let t):
            t.value.gap(direction: direction, count: count, origin: origin)
        case .dns(var f):
            reader = .none
            f.gap(direction: direction)
            reader = .dns(f)
        }
    }
}

/// RFC 1035 §4.2.2 / RFC 7766: DNS over TCP, each message behind a two-byte length. Messages may span
/// segments and several may share one; only a partial message is copied.
struct DNSOverTCPFramer {
    var partial: [[UInt8]] = [[], []]
    var lost = [false, false]
    var pendingAnomalies: [Anomaly] = []

    mutating func feed(_ b: UnsafeRawBufferPointer, direction: FlowDirection, origin: SegmentOrigin,
                       emit: ([UInt8], SegmentOrigin) -> Void) {
        let i = Int(direction.rawValue)
        if lost[i] {
            // After a gap, assume the next chunk starts a message (segments usually do).
            lost[i] = false
            partial[i].removeAll(keepingCapacity: true)
        }
        var off = 0
        while off < b.count {
            if partial[i].count < 2 {
                partial[i].append(b[off])
                off += 1
                continue
            }
            let need = Int(partial[i][0]) << 8 | Int(partial[i][1])
            let have = partial[i].count - 2
            let take = min(need - have, b.count - off)
            if take > 0 {
                partial[i].append(contentsOf: UnsafeRawBufferPointer(rebasing: b[off..<(off + take)]))
                off += take
            }
            if partial[i].count - 2 == need {
                if need < 12 { pendingAnomalies.append(.dnsTCPLengthShort) }
                emit(Array(partial[i][2...]), origin)
                partial[i].removeAll(keepingCapacity: true)
            }
        }
    }

    mutating func gap(direction: FlowDirection) { lost[Int(direction.rawValue)] = true }

    mutating func takeAnomalies() -> [Anomaly] {
        defer { pendingAnomalies.removeAll() }
        return pendingAnomalies
    }
}

extension Pipeline {
    mutating func tcpSegment<S: EventSink>(_ b: Span<UInt8>, _ t: TCPHeader, src: Endpoint, dst: Endpoint,
                                           origin: SegmentOrigin, duplicateOf: Int?, sink: inout S) {
        // A copy of a packet already seen on another interface adds nothing to the stream or the counts.
        if duplicateOf != nil { return }
        let key = FlowKey(src, dst, .tcp)
        let payload = b.extracting(t.payload)
        var entry = connections[key]
        var fed = entry.flatMap { Self.feed($0, t, src: src, payload: payload, origin: origin, known: true, sink: &sink) }
        if fed == nil {
            // tshark's rule for a new tcp.stream: a SYN whose ISN differs from the one this connection knows.
            if entry != nil {
                closeConnection(key, sink: &sink)
            } else if connections.count >= options.maxConnections {
                evictIdle(sink: &sink)
            }
            let e = newConnection(t, src: src, dst: dst, origin: origin)
            connections[key] = e
            entry = e
            fed = Self.feed(e, t, src: src, payload: payload, origin: origin, known: false, sink: &sink)
        }
        guard let entry, let (wasClosed, closedNow, pending) = fed else { return }
        if pending { drainApp(entry, sink: &sink) }
        if closedNow, case .h2 = entry.app.reader { finishApp(entry, sink: &sink) }
        if closedNow, case .tls = entry.app.reader { finishApp(entry, sink: &sink) }
        if closedNow && !wasClosed { closing.append((key, origin.ts)) }
        sweepClosed(now: origin.ts, sink: &sink)
    }

    /// The segment through the connection to its reader, both visited once. Nil, and nothing done, when the
    /// connection was `known` before and this segment starts a new one (`TCPConnection.startsNewConnection`).
    /// Else whether it was closed before, is closed now, and has output for `drainApp`.
    static func feed<S: EventSink>(_ entry: ConnectionEntry, _ t: TCPHeader, src: Endpoint, payload: Span<UInt8>,
                                   origin: SegmentOrigin, known: Bool, sink: inout S) -> (Bool, Bool, Bool)? {
        payload.withUnsafeBytes { raw in
            withUnsafeMutablePointer(to: &sink) { p in
                entry.withParts { conn, app in
                    // Only a SYN without ACK can start one: the flags first (the call copies the connection's
                    // analysis, ~300 bytes, to read two fields).
                    if known && t.flags.contains(.syn) && !t.flags.contains(.ack) && conn.pointee.startsNewConnection(t, from: src) {
                        return nil
                    }
                    let wasClosed = conn.pointee.isClosed
                    var direct = DirectSink(app: app, sink: p)
                    conn.pointee.segment(t, direction: conn.pointee.direction(from: src), payload: raw, origin: origin, sink: &direct)
                    return (wasClosed, conn.pointee.isClosed, app.pointee.hasOutput)
                }
            }
        }
    }

    mutating func newConnection(_ t: TCPHeader, src: Endpoint, dst: Endpoint, origin: SegmentOrigin) -> ConnectionEntry {
        let initiator: Endpoint, responder: Endpoint
        let opening: Bool
        if t.flags.contains(.syn) {
            opening = true
            (initiator, responder) = t.flags.contains(.ack) ? (dst, src) : (src, dst)
        } else {
            opening = false
            // Joined mid-connection: the side on the well-known (lower) port is the server.
            (initiator, responder) = (dst.port < 1024 && src.port >= 1024) || isDNSPort(dst.port) ? (src, dst)
                : (src.port < 1024 && dst.port >= 1024) || isDNSPort(src.port) ? (dst, src) : (src, dst)
        }
        stats.tcpConnections += 1
        let reader: AppDispatch.Reader = isDNSPort(responder.port) || isDNSPort(initiator.port)
            ? .dns(DNSOverTCPFramer()) : .sniff
        return ConnectionEntry(conn: TCPConnection(initiator: initiator, responder: responder, origin: origin,
                                                   sawOpening: opening, limits: options.reassembly),
                               app: AppDispatch(reader: reader, client: initiator, server: responder, hpackPool: hpackPool))
    }

    /// Anything waiting in `AppDispatch` for the pipeline (see `hasOutput`).
    mutating func drainApp<S: EventSink>(_ e: ConnectionEntry, sink: inout S) {
        if !e.app.anomalies.isEmpty {
            for (a, f) in e.app.anomalies { stats.anomalies.add(a, frame: f) }
            e.app.anomalies.removeAll(keepingCapacity: true)
        }
        if !e.app.dnsOut.isEmpty {
            let client = e.app.client, server = e.app.server
            for m in e.app.dnsOut {
                let (src, dst) = m.direction == .fromInitiator ? (client, server) : (server, client)
                m.payload.withUnsafeBufferPointer { p in
                    dnsMessage(p.span, src: src, dst: dst, transport: .tcp, origin: m.origin, duplicateOf: nil, sink: &sink)
                }
            }
            e.app.dnsOut.removeAll(keepingCapacity: true)
        }
        if !e.app.h2Out.isEmpty {
            for f in e.app.h2Out { sink.h2(f) }
            e.app.h2Out.removeAll(keepingCapacity: true)
        }
    }

    /// Reports and forgets connections that closed and stayed quiet for `closedLinger`, and the earliest closed
    /// beyond `maxClosedLingering`.
    mutating func sweepClosed<S: EventSink>(now: Timestamp, sink: inout S) {
        while closingHead < closing.count {
            let (k, ts) = closing[closingHead]
            let old = now - ts > options.closedLinger
            guard old || closing.count - closingHead > options.maxClosedLingering else { break }
            closingHead += 1
            guard let e = connections[k], e.conn.isClosed else { continue }
            if !old || now - e.conn.lastTS > options.closedLinger {
                closeConnection(k, sink: &sink)
            } else {
                // Late packets came: quiet since its last one.
                closing.append((k, e.conn.lastTS))
            }
        }
        if closingHead > 1024 && closingHead * 2 > closing.count {
            closing.removeFirst(closingHead)
            closingHead = 0
        }
    }

    mutating func closeConnection<S: EventSink>(_ key: FlowKey, sink: inout S) {
        guard let e = connections.removeValue(forKey: key) else { return }
        finishApp(e, sink: &sink)
        sink.tcp(e.conn.event)
    }

    /// The connection's byte streams are over: deliver what waits, settle the application reader (its HTTP/2
    /// summary, its TLS description) and free it. The small TCP record may stay a while for late packets.
    mutating func finishApp<S: EventSink>(_ e: ConnectionEntry, sink: inout S) {
        e.withParts { conn, app in conn.pointee.flush(sink: &app.pointee) }
        drainApp(e, sink: &sink)
        if case .tls(let t) = e.app.reader { sink.tls(t.value.finish(at: e.conn.lastTS)) }
        if case .h2(let d) = e.app.reader {
            let summary = d.value.finish(at: e.conn.lastTS) { e.app.h2Out.append($0) }
            drainApp(e, sink: &sink)
            if summary.start != .none { sink.h2Connection(summary) }
        }
        if case .dns = e.app.reader { return }
        e.app.reader = .none
        // The closed connection may linger a while: its buffers' storage goes now.
        e.app.h2Out = []
        e.app.anomalies = []
    }

    mutating func evictIdle<S: EventSink>(sink: inout S) {
        let victims = connections.sorted { $0.value.conn.lastTS < $1.value.conn.lastTS }.prefix(max(1, connections.count / 10))
        for (k, _) in victims { closeConnection(k, sink: &sink) }
    }
}

/// Recognises the same packet captured twice within a short window on different interfaces (Linux `-i any`
/// sees a packet on the veth and again on the bridge or eth0). Only link types that name the interface or
/// direction (cooked v1/v2) can tell a copy from a real retransmission, so only those are checked.
struct DuplicateDetector {
    struct Seen { var hash: UInt64; var frame: Int; var ts: Timestamp; var iface: Int64 }
    var ring = [Seen](repeating: Seen(hash: 0, frame: 0, ts: Timestamp(nanoseconds: 0), iface: -1), count: 64)
    var next = 0
    /// How many ring entries (real ones: frame ≠ 0) have a hash in each bucket (its top bits): when a packet's
    /// bucket is empty no entry can match and the ring is not scanned (most packets are not copies).
    var buckets = [UInt8](repeating: 0, count: 1024)

    @inline(__always) static func bucket(_ h: UInt64) -> Int { Int(truncatingIfNeeded: h >> 54) }
    /// One FNV-1a step over a word. (A function of its arguments, not a closure over the hash: a nested
    /// function capturing a local var had every call checked for exclusive access at run time.)
    @inline(__always) static func mix(_ h: UInt64, _ x: UInt64) -> UInt64 { (h ^ x) &* 0x0000_0100_0000_01b3 }
    @inline(__always) static func mix(_ h: UInt64, _ a: IPAddress) -> UInt64 {
        switch a {
        case .v4(let x): return mix(h, UInt64(x))
        case .v6(let hi, let lo): return mix(mix(h, hi), lo)
        }
    }

    mutating func check(_ b: Span<UInt8>, ip: IPHeader, link: LinkHeader, frame: Int, ts: Timestamp, window: Duration) -> Int? {
        guard link.interfaceIndex >= 0 || link.packetType >= 0 else { return nil }
        // FNV-1a over the addresses, the IPv4 id and the upper-layer bytes (TTL and checksum may change when
        // the packet is routed between the two capture points).
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        h = Self.mix(h, ip.src)
        h = Self.mix(h, ip.dst)
        h = Self.mix(Self.mix(h, UInt64(ip.proto)), UInt64(ip.payload.count))
        if ip.version == 4 { h = Self.mix(h, UInt64(b.u16(link.payloadOffset + 4))) }
        let start = ip.payload.lowerBound
        let end = min(ip.payload.upperBound, start + 512, b.count)
        // 32 bytes at a time in four independent lanes (each multiply waits only on its own lane), folded in;
        // then eight bytes at a time, then the rest one by one. Unaligned loads: the byte order does not matter
        // to a hash.
        h = b.withUnsafeBytes { raw in
            var i = start
            var l1: UInt64 = 0x8422_2325_cbf2_9ce4, l2: UInt64 = 0x9ce4_cbf2_2325_8422, l3: UInt64 = 0x2325_8422_9ce4_cbf2
            var l0 = h
            while i + 32 <= end {
                l0 = Self.mix(l0, raw.loadUnaligned(fromByteOffset: i, as: UInt64.self))
                l1 = Self.mix(l1, raw.loadUnaligned(fromByteOffset: i + 8, as: UInt64.self))
                l2 = Self.mix(l2, raw.loadUnaligned(fromByteOffset: i + 16, as: UInt64.self))
                l3 = Self.mix(l3, raw.loadUnaligned(fromByteOffset: i + 24, as: UInt64.self))
                i += 32
            }
            var x = Self.mix(Self.mix(Self.mix(l0, l1), l2), l3)
            while i + 8 <= end { x = Self.mix(x, raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)); i += 8 }
            while i < end { x = Self.mix(x, UInt64(raw[i])); i += 1 }
            return x
        }
        let iface = Int64(link.interfaceIndex) << 16 | Int64(link.packetType & 0xff)
        var found: Int?
        if buckets[Self.bucket(h)] != 0 {
            for s in ring where s.hash == h && s.frame != 0 && s.iface != iface && ts - s.ts <= window && !(ts < s.ts) {
                found = s.frame
                break
            }
        }
        if found == nil {
            if ring[next].frame != 0 { buckets[Self.bucket(ring[next].hash)] -= 1 }
            ring[next] = Seen(hash: h, frame: frame, ts: ts, iface: iface)
            buckets[Self.bucket(h)] += 1
            next = (next + 1) % ring.count
        }
        return found
    }
}
