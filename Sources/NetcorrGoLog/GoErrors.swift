import NetcorrCore

/// Go error strings found anywhere in a line: net.DNSError ("lookup HOST[ on SERVER]: …"), net.OpError
/// ("dial tcp [LOCAL->]REMOTE: …", "read udp LOCAL->REMOTE: …"), http2 errors, context and io errors.
enum E {
    static let lookup = L.b("lookup "), on = L.b(" on "), dialTCP = L.b("dial tcp"), dialUDP = L.b("dial udp ")
    static let readUDP = L.b("read udp "), writeUDP = L.b("write udp "), readTCP = L.b("read tcp ")
    static let writeTCP = L.b("write tcp ")
    static let noSuchHost = L.b("no such host"), misbehaving = L.b("server misbehaving")
    static let ioTimeout = L.b("i/o timeout"), refused = L.b("connection refused")
    static let notPermitted = L.b("operation not permitted"), permissionDenied = L.b("permission denied")
    static let netUnreachable = L.b("network is unreachable"), noRoute = L.b("no route to host")
    static let noAnswer = L.b("no answer from DNS server"), temporary = L.b("emporary failure in name resolution")
    static let timedOut = L.b("connection timed out")
    static let goaway = L.b("server sent GOAWAY and closed the connection")
    static let streamError = L.b("stream error: stream ID ")
    static let connLost = L.b("client connection lost"), headerTimeout = L.b("timeout awaiting response headers")
    static let forceClosed = L.b("client connection force closed"), connClosed = L.b("client conn is closed")
    static let clientTimeout = L.b("Client.Timeout exceeded"), tlsTimeout = L.b("TLS handshake timeout")
    static let reset = L.b("connection reset by peer"), brokenPipe = L.b("broken pipe")
    static let deadline = L.b("context deadline exceeded"), canceled = L.b("context canceled")
    static let eof = L.b("EOF"), closedConn = L.b("use of closed network connection")
    static let nilText = L.b("<nil>"), netHTTP = L.b("net/http: "), unexpected = L.b("unexpected ")
    static let sockets: [[UInt8]] = [E.readUDP, E.writeUDP, E.readTCP, E.writeTCP]
    static let table: [([UInt8], GoErrorKind)] = [
        (E.connLost, GoErrorKind.h2ConnLost), (E.headerTimeout, GoErrorKind.h2HeaderTimeout),
        (E.forceClosed, GoErrorKind.h2ConnClosed), (E.connClosed, GoErrorKind.h2ConnClosed),
        (E.clientTimeout, GoErrorKind.clientTimeout), (E.tlsTimeout, GoErrorKind.tlsHandshakeTimeout),
        (E.reset, GoErrorKind.tcpReset), (E.brokenPipe, GoErrorKind.tcpBrokenPipe),
        (E.deadline, GoErrorKind.contextDeadline), (E.canceled, GoErrorKind.contextCanceled),
        (E.ioTimeout, GoErrorKind.ioTimeout), (E.closedConn, GoErrorKind.netClosed),
    ]
}

extension GoLogLineParser {
    /// Classifies the first Go error found in `b` and fills the endpoints it names. `whole`: `b` is known to be
    /// an error text (errorText is set even when nothing is classified).
    func errors(_ b: Bytes, _ ev: inout LogEvent, whole: Bool) {
        if whole, b.count > 0 { ev.errorText = b.string }
        // Socket endpoints named by an OpError: "read udp L->R", "write udp L->R", "read tcp L->R", "dial udp L".
        for pat in E.sockets {
            if let k = b.find(pat) { arrowEndpoints(b.from(k + pat.count), &ev); break }
        }
        // net.DNSError: "lookup HOST on SERVER: ERR" or "lookup HOST: ERR".
        if let k = b.find(E.lookup) {
            let h0 = k + E.lookup.count
            let hEnd = b.tokenEnd(from: h0, stop: colon)
            if hEnd > h0, hEnd < b.count, b[hEnd] == colon || b.hasPrefix(E.on, at: hEnd),
               b.find(E.nilText, from: hEnd) == nil {
                ev.host = b.sub(h0, hEnd).string
                var rest = hEnd
                if b.hasPrefix(E.on, at: hEnd) {
                    let s0 = hEnd + E.on.count
                    // SERVER is "IP:PORT" or "[IPv6]:PORT", followed by ": ".
                    if let sep = b.find([colon, sp], from: s0) {
                        ev.server = endpoint(b.sub(s0, sep))
                        rest = sep
                    }
                }
                let tail = b.from(rest)
                if let d = tail.find(E.dialUDP), ev.remote == nil {
                    // OpError of a dial: "dial udp [LOCAL->]REMOTE: …" (REMOTE is the server dialled).
                    let s = d + E.dialUDP.count
                    let t = tail.sub(s, tail.find([colon, sp], from: s) ?? tail.count)
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
        if let k = b.find(E.dialTCP) {
            var s0 = k + E.dialTCP.count
            if s0 < b.count, b[s0] == 0x34 || b[s0] == 0x36 { s0 += 1 }  // tcp4 / tcp6
            if s0 < b.count, b[s0] == sp, let sep = b.find([colon, sp], from: s0 + 1) {
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
        if let k = b.find(E.goaway) { set(.h2GoAway, b.from(k > 7 && b.hasPrefix(L.http2, at: k - 7) ? k - 7 : k), &ev, whole); return }
        if let k = b.find(E.streamError) {
            set(.h2StreamError, b.from(k), &ev, whole)
            return
        }
        for (pat, kind) in E.table {
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
        if let k = b.find(E.eof), k + 3 == b.count || !isWordByte(b[k + 3]), k == 0 || !isWordByte(b[k - 1]) {
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
        let end = a.find([colon, sp]) ?? a.count
        let t = a.sub(0, end)
        if let k = t.find(Lit.arrow) {
            ev.local = endpoint(t.sub(0, k))
            ev.remote = endpoint(t.from(k + 2))
        } else {
            ev.local = endpoint(t)
        }
    }
}
