import NetcorrCore

/// Go error strings found anywhere in a line: net.DNSError ("lookup HOST[ on SERVER]: …"), net.OpError
/// ("dial tcp [LOCAL->]REMOTE: …", "read udp LOCAL->REMOTE: …"), http2 errors, context and io errors.
enum E {
    static let lookup: StaticString = "lookup ", on: StaticString = " on ", dialTCP: StaticString = "dial tcp"
    static let dialUDP: StaticString = "dial udp "
    static let readUDP: StaticString = "read udp ", writeUDP: StaticString = "write udp "
    static let readTCP: StaticString = "read tcp "
    static let writeTCP: StaticString = "write tcp "
    static let noSuchHost: StaticString = "no such host", misbehaving: StaticString = "server misbehaving"
    static let ioTimeout: StaticString = "i/o timeout", refused: StaticString = "connection refused"
    static let notPermitted: StaticString = "operation not permitted"
    static let permissionDenied: StaticString = "permission denied"
    static let netUnreachable: StaticString = "network is unreachable", noRoute: StaticString = "no route to host"
    static let noAnswer: StaticString = "no answer from DNS server"
    static let temporary: StaticString = "emporary failure in name resolution"
    static let timedOut: StaticString = "connection timed out"
    static let goaway: StaticString = "server sent GOAWAY and closed the connection"
    static let streamError: StaticString = "stream error: stream ID "
    static let connLost: StaticString = "client connection lost"
    static let headerTimeout: StaticString = "timeout awaiting response headers"
    static let forceClosed: StaticString = "client connection force closed"
    static let connClosed: StaticString = "client conn is closed"
    static let clientTimeout: StaticString = "Client.Timeout exceeded"
    static let tlsTimeout: StaticString = "TLS handshake timeout"
    static let reset: StaticString = "connection reset by peer", brokenPipe: StaticString = "broken pipe"
    static let deadline: StaticString = "context deadline exceeded", canceled: StaticString = "context canceled"
    static let eof: StaticString = "EOF", closedConn: StaticString = "use of closed network connection"
    static let nilText: StaticString = "<nil>", netHTTP: StaticString = "net/http: "
    static let unexpected: StaticString = "unexpected "
    static let sockets: [StaticString] = [E.readUDP, E.writeUDP, E.readTCP, E.writeTCP]
    static let table: [(StaticString, GoErrorKind)] = [
        (E.connLost, GoErrorKind.h2ConnLost), (E.headerTimeout, GoErrorKind.h2HeaderTimeout),
        (E.forceClosed, GoErrorKind.h2ConnClosed), (E.connClosed, GoErrorKind.h2ConnClosed),
        (E.clientTimeout, GoErrorKind.clientTimeout), (E.tlsTimeout, GoErrorKind.tlsHandshakeTimeout),
        (E.reset, GoErrorKind.tcpReset), (E.brokenPipe, GoErrorKind.tcpBrokenPipe),
        (E.deadline, GoErrorKind.contextDeadline), (E.canceled, GoErrorKind.contextCanceled),
        (E.ioTimeout, GoErrorKind.ioTimeout), (E.closedConn, GoErrorKind.netClosed),
    ]

    /// The patterns `errors` looks for in any text, each with the offset of its anchor (two of its bytes, rare in
    /// log text): bits 0-3 `sockets`, 4 lookup, 5 dial tcp, 6 GOAWAY, 7 stream error, 8-19 `table`, 20 EOF.
    static let anchors = AnchorFilter(
        Array(zip(E.sockets, [5, 6, 5, 6]))                                                  // "ud", "tc"
        + [(E.lookup, 3), (E.dialTCP, 5), (E.goaway, 12), (E.streamError, 21)]               // "ku", "tc", "GO", "ID"
        + zip(E.table.map { $0.0 }, [19, 8, 20, 11, 6, 0, 17, 7, 11, 10, 1, 16])
        // "os", "aw", "rc", " i", ".T", "TL", "by", "pi", "dl", "nc", "/o", "tw"
        + [(E.eof, 1)])                                                                      // "OF"
    static let lookupBit: UInt32 = 1 << 4, dialTCPBit: UInt32 = 1 << 5, goawayBit: UInt32 = 1 << 6
    static let streamErrorBit: UInt32 = 1 << 7, tableShift = 8, eofBit: UInt32 = 1 << 20
}

/// Which of up to 32 patterns may occur in a text, from one pass over it: each pattern has an anchor (two
/// adjacent bytes of it), and a pattern whose anchor is not in the text is not in it either. A bit set is only
/// a "maybe" (anchors are compared on their low 7 bits): the caller still finds the pattern exactly.
struct AnchorFilter: Sendable {
    /// Anchor id (0: none) by the two bytes' low 7 bits, and the patterns' bits by anchor id.
    private let ids: [UInt8], masks: [UInt32]

    init(_ patterns: [(StaticString, Int)]) {
        precondition(patterns.count <= 32)
        var ids = [UInt8](repeating: 0, count: 1 << 14), masks: [UInt32] = [0]
        for (bit, (p, at)) in patterns.enumerated() {
            precondition(at >= 0 && at + 1 < p.count)
            let key = Int(p.utf8Start[at] & 0x7f) << 7 | Int(p.utf8Start[at + 1] & 0x7f)
            if ids[key] == 0 { ids[key] = UInt8(masks.count); masks.append(0) }
            masks[Int(ids[key])] |= 1 << UInt32(bit)
        }
        self.ids = ids; self.masks = masks
    }

    /// The bits of the patterns whose anchor is in `b`.
    func scan(_ b: Bytes) -> UInt32 {
        guard b.count >= 2, let base = b.baseAddress else { return 0 }
        return ids.withUnsafeBufferPointer { ids in
            masks.withUnsafeBufferPointer { masks in
                var seen: UInt32 = 0
                var prev = Int(base[0] & 0x7f) << 7
                for k in 1..<b.count {
                    let c = Int(base[k] & 0x7f)
                    seen |= masks[Int(ids[prev | c])]
                    prev = c << 7
                }
                return seen
            }
        }
    }
}

extension GoLogLineParser {
    /// Classifies the first Go error found in `b` and fills the endpoints it names. `whole`: `b` is known to be
    /// an error text (errorText is set even when nothing is classified).
    func errors(_ b: Bytes, _ ev: inout LogEvent, whole: Bool) {
        if whole, b.count > 0 { ev.errorText = b.string }
        // Patterns whose anchor is not in the text are not looked for (most lines name no error at all).
        let seen = E.anchors.scan(b)
        guard seen != 0 else { return }
        // Socket endpoints named by an OpError: "read udp L->R", "write udp L->R", "read tcp L->R", "dial udp L".
        for j in 0..<E.sockets.count where seen & (1 << UInt32(j)) != 0 {
            let pat = E.sockets[j]
            if let k = b.find(pat) { arrowEndpoints(b.from(k + pat.count), &ev); break }
        }
        // net.DNSError: "lookup HOST on SERVER: ERR" or "lookup HOST: ERR".
        if seen & E.lookupBit != 0, let k = b.find(E.lookup) {
            let h0 = k + E.lookup.count
            let hEnd = b.tokenEnd(from: h0, stop: colon)
            if hEnd > h0, hEnd < b.count, b[hEnd] == colon || b.hasPrefix(E.on, at: hEnd),
               b.find(E.nilText, from: hEnd) == nil {
                ev.host = b.sub(h0, hEnd).string
                var rest = hEnd
                if b.hasPrefix(E.on, at: hEnd) {
                    let s0 = hEnd + E.on.count
                    // SERVER is "IP:PORT" or "[IPv6]:PORT", followed by ": ".
                    if let sep = b.find(Lit.colonSpace, from: s0) {
                        ev.server = endpoint(b.sub(s0, sep))
                        rest = sep
                    }
                }
                let tail = b.from(rest)
                if let d = tail.find(E.dialUDP), ev.remote == nil {
                    // OpError of a dial: "dial udp [LOCAL->]REMOTE: …" (REMOTE is the server dialled).
                    let s = d + E.dialUDP.count
                    let t = tail.sub(s, tail.find(Lit.colonSpace, from: s) ?? tail.count)
                    if let a = t.find(Lit.arrow) {
                        ev.local = endpoint(t.sub(0, a)); ev.remote = endpoint(t.from(a + 2))
                    } else { ev.remote = endpoint(t) }
                }
                let kind: GoErrorKind
                if tail.contains(E.noSuchHost) { kind = .dnsNXDomain }
                else if tail.contains(E.misbehaving) { kind = .dnsServFail }
                else if tail.contains(E.ioTimeout) { kind = .dnsTimeout }
                else if tail.contains(E.refused) { kind = .dnsRefused }
                else if tail.contains(E.notPermitted) || tail.contains(E.permissionDenied) { kind = .dnsSendBlocked }
                else if tail.contains(E.netUnreachable) || tail.contains(E.noRoute) { kind = .dnsUnreachable }
                else if tail.contains(E.noAnswer) { kind = .dnsNoAnswer }
                else if tail.contains(E.temporary) { kind = .dnsTemporary }
                else { kind = .dnsError }
                set(kind, b.from(k), &ev, whole)
                return
            }
        }
        // net.OpError from a dial: "dial tcp [LOCAL->]REMOTE: connect: …" / "dial tcp REMOTE: i/o timeout".
        if seen & E.dialTCPBit != 0, let k = b.find(E.dialTCP) {
            var s0 = k + E.dialTCP.count
            if s0 < b.count, b[s0] == 0x34 || b[s0] == 0x36 { s0 += 1 }  // tcp4 / tcp6
            if s0 < b.count, b[s0] == sp, let sep = b.find(Lit.colonSpace, from: s0 + 1) {
                let addr = b.sub(s0 + 1, sep)
                if let a = addr.find(Lit.arrow) {
                    ev.local = endpoint(addr.sub(0, a)); ev.remote = endpoint(addr.from(a + 2))
                } else {
                    ev.remote = endpoint(addr)
                }
            }
            let tail = b.from(k)
            let kind: GoErrorKind
            if tail.contains(E.refused) { kind = .tcpRefused }
            else if tail.contains(E.timedOut) || tail.contains(E.ioTimeout) { kind = .tcpTimeout }
            else if tail.contains(E.netUnreachable) || tail.contains(E.noRoute) { kind = .tcpUnreachable }
            else { kind = .tcpDialError }
            set(kind, tail, &ev, whole)
            return
        }
        if seen & E.goawayBit != 0, let k = b.find(E.goaway) {
            set(.h2GoAway, b.from(k > 7 && b.hasPrefix(L.http2, at: k - 7) ? k - 7 : k), &ev, whole)
            return
        }
        if seen & E.streamErrorBit != 0, let k = b.find(E.streamError) {
            set(.h2StreamError, b.from(k), &ev, whole)
            return
        }
        for j in 0..<E.table.count where seen & (1 << UInt32(E.tableShift + j)) != 0 {
            let (pat, kind) = E.table[j]
            if let k = b.find(pat) {
                // Go prefixes: "http2: client connection lost", "net/http: TLS handshake timeout".
                var start = k
                if k >= 7, b.hasPrefix(L.http2, at: k - 7) { start = k - 7 }
                if k >= 10, b.hasPrefix(E.netHTTP, at: k - 10) { start = k - 10 }
                if kind == .clientTimeout, let d = b.find(E.deadline), d < k { start = d }
                set(kind, b.from(start), &ev, whole)
                return
            }
        }
        // "EOF" as a word ("unexpected EOF", "(*errors.errorString) EOF", ": EOF").
        if seen & E.eofBit != 0, let k = b.find(E.eof), k + 3 == b.count || !isWordByte(b[k + 3]), k == 0 || !isWordByte(b[k - 1]) {
            var start = k
            if k >= 11, b.hasPrefix(E.unexpected, at: k - 11) { start = k - 11 }
            set(.ioEOF, b.from(start), &ev, whole)
        }
    }

    @inline(__always) private func isWordByte(_ c: UInt8) -> Bool {
        (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c == 0x5f
    }

    private func set(_ kind: GoErrorKind, _ text: Bytes, _ ev: inout LogEvent, _ whole: Bool) {
        ev.errorKind = kind
        if !whole || ev.errorText == nil { ev.errorText = text.string }
    }

    /// "L->R: …" after "read udp ", "write tcp " etc.
    private func arrowEndpoints(_ a: Bytes, _ ev: inout LogEvent) {
        let end = a.find(Lit.colonSpace) ?? a.count
        let t = a.sub(0, end)
        if let k = t.find(Lit.arrow) {
            ev.local = endpoint(t.sub(0, k))
            ev.remote = endpoint(t.from(k + 2))
        } else {
            ev.local = endpoint(t)
        }
    }
}
