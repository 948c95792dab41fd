import NetcorrCore

/// Parses one log line's bytes into a `LogEvent`: timestamp prefixes, then the line kind (netdns, http2debug),
/// then any Go error string in it. Used by `GoLogReader`, by tests, and for following a live log.
public struct GoLogLineParser: Sendable {
    public var options: GoLogOptions
    var zone: ZoneCache
    /// The last Go log stamp's date and second.
    var goLogStamp = CivilCache()
    /// CRI prefixes are `netcorr run` stamps.
    public var runStamped: Bool

    public init(options: GoLogOptions = GoLogOptions()) {
        self.options = options
        self.zone = ZoneCache(options.timeZone)
        self.runStamped = options.stampedByRun ?? false
    }

    /// Parses a whole line (no trailing newline needed; a trailing "\r\n" or "\n" is ignored).
    public mutating func parse(_ line: [UInt8], file: String = "", line number: Int = 0) -> LogEvent {
        line.withUnsafeBufferPointer { parse(bytes: $0, file: file, line: number) }
    }

    public mutating func parse(_ line: String, file: String = "", line number: Int = 0) -> LogEvent {
        parse(Array(line.utf8), file: file, line: number)
    }

    public mutating func parse(bytes raw: UnsafeBufferPointer<UInt8>, file: String, line number: Int) -> LogEvent {
        var p = raw
        while p.count > 0, p[p.count - 1] == 10 || p[p.count - 1] == 13 { p = p.sub(0, p.count - 1) }
        let pre = splitPrefix(p)
        var ev: LogEvent
        if let m = pre.jsonMessage {
            ev = m.withUnsafeBufferPointer { classify(message: $0, file: file, line: number) }
        } else {
            ev = classify(message: p.from(pre.messageStart), file: file, line: number)
        }
        ev.ts = pre.ts
        ev.tsSource = pre.source
        ev.stream = pre.stream
        return ev
    }

    /// Recognises the message (the line after its prefixes).
    public func classify(message m: UnsafeBufferPointer<UInt8>, file: String, line number: Int) -> LogEvent {
        var ev = LogEvent(file: file, line: number, kind: .unknown, message: "")
        recognise(m, into: &ev, unknownMessage: true)
        return ev
    }

    /// Fills in a fresh event (kind `unknown`, no message) in place. `unknownMessage: false`: an unrecognised
    /// line's event keeps an empty `message` (the reader counts such lines and drops them, so their text is
    /// never built).
    func recognise(_ m: Bytes, into ev: inout LogEvent, unknownMessage: Bool) {
        recognise(m, &ev)
        if unknownMessage || !isUnknownKind(ev.kind) { ev.message = m.string }
    }

    private func recognise(_ m: Bytes, _ ev: inout LogEvent) {
        if m.hasPrefix(L.http2) {
            classifyHTTP2(m.from(L.http2.count), &ev)
        } else if m.hasPrefix(L.goPackageNet) {
            classifyNetdns(m.from(L.goPackageNet.count), &ev)
        } else if m.hasPrefix(L.roundTripRetry) {
            ev.kind = .h2RoundTripRetry; ev.role = .client
            errors(m.from(L.roundTripRetry.count), &ev, whole: true)
        } else if m.hasPrefix(L.roundTripFailure) {
            ev.kind = .h2RoundTripFailure; ev.role = .client
            errors(m.from(L.roundTripFailure.count), &ev, whole: true)
        } else if m.hasPrefix(L.transportGotGoAway) {
            ev.kind = .h2GoAwayReceived; ev.role = .client
            let code = m.from(L.transportGotGoAway.count)
            var f = H2FrameSummary(typeName: "GOAWAY", type: 7)
            (f.errorCodeName, f.errorCode) = errorCode(code)
            ev.frame = f
        } else if m.hasPrefix(L.unhandledSetting) || m.hasPrefix(L.protocolError) || m.hasPrefix(L.transportUnhandled) {
            ev.kind = .h2Other; ev.role = .client
        } else if m.hasPrefix(L.connIdle) || m.hasPrefix(L.goawayTimer) {
            ev.kind = .h2ServerOther; ev.role = .server
            if let i = m.find(L.connFrom) { ev.remote = endpoint(m.from(i + L.connFrom.count)) }
        } else {
            errors(m, &ev, whole: false)
            if ev.errorKind != nil { ev.kind = .error }
        }
    }

    // MARK: netdns

    private func classifyNetdns(_ r: Bytes, _ ev: inout LogEvent) {
        ev.kind = .netdnsConf
        if r.hasPrefix(L.confVal) {
            // "confVal.netCgo = false  netGo = true"
            let cgo = r.find(L.netCgo).map { r.sub($0 + 9, r.tokenEnd(from: $0 + 9)) }
            let go = r.find(L.netGo).map { r.sub($0 + 8, r.tokenEnd(from: $0 + 8)) }
            ev.resolver = confValText(cgo, go)
            return
        }
        if let open = r.firstIndex(of: 0x28), open < 32, r.sub(0, open).contains(L.lookupOrder) {
            // "hostLookupOrder(HOST) = ORDER", also addrLookupOrder in newer releases.
            ev.kind = .netdnsOrder
            if let close = r.find(L.closeEq, from: open) {
                let host = r.sub(open + 1, close)
                if host.count > 0 { ev.host = host.string }
                ev.order = r.from(close + 4).string
            }
            return
        }
        if L.goResolver.contains(where: { r.contains($0) }) {
            ev.resolver = "go"
        } else if L.cgoResolver.contains(where: { r.contains($0) }) {
            ev.resolver = "cgo"
        } else if r.contains(L.dynamicSelection) {
            ev.resolver = "dynamic"
        }
    }

    /// "netCgo=C netGo=G" ("?" for a missing value), put together from the bytes (String interpolation cost a
    /// thousand instructions). ASCII values only; others as before, which repairs each value on its own.
    private func confValText(_ cgo: Bytes?, _ go: Bytes?) -> String {
        let q: StaticString = "?", a: StaticString = "netCgo=", b: StaticString = " netGo="
        let c = cgo ?? Bytes(start: q.utf8Start, count: q.count), g = go ?? Bytes(start: q.utf8Start, count: q.count)
        guard isPlainASCII(c), isPlainASCII(g) else { return "netCgo=\(c.string) netGo=\(g.string)" }
        let n = a.count + c.count + b.count + g.count
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: n) { t in
            var k = 0
            func put(_ part: Bytes) {
                if let p = part.baseAddress, part.count > 0 {
                    UnsafeMutableRawPointer(t.baseAddress! + k).copyMemory(from: p, byteCount: part.count)
                }
                k += part.count
            }
            put(Bytes(start: a.utf8Start, count: a.count)); put(c); put(Bytes(start: b.utf8Start, count: b.count)); put(g)
            return utf8String(Bytes(start: t.baseAddress!, count: n))
        }
    }

    // MARK: http2debug

    /// (Each path sets the kind once, `h2Other` where nothing more is known: every assignment of a kind retains
    /// the new one's name and releases the old.)
    private func classifyHTTP2(_ r: Bytes, _ ev: inout LogEvent) {
        if r.hasPrefix(L.framer) {
            // "Framer 0x…: wrote SUMMARY" / "read SUMMARY" / "failed to decode just-written frame"
            guard let (ptr, after) = r.hexPointer(at: L.framer.count) else { ev.kind = .h2Other; return }
            ev.connID = ptr
            let rest = r.from(after)
            // (Whether a frame was read is told by the end index: comparing the optional frame with nil copies it.)
            if rest.hasPrefix(L.wrote) {
                ev.direction = .wrote
                ev.kind = parseFrameSummary(rest.from(L.wrote.count), into: &ev) > 0 ? .h2Frame : .h2FrameError
            } else if rest.hasPrefix(L.read) {
                ev.direction = .read
                ev.kind = parseFrameSummary(rest.from(L.read.count), into: &ev) > 0 ? .h2Frame : .h2FrameError
            } else {
                ev.kind = .h2FrameError; ev.direction = .wrote
            }
            return
        }
        if r.hasPrefix(L.transport) {
            ev.role = .client
            let t = r.from(L.transport.count)
            if t.hasPrefix(L.received) {
                ev.direction = .read
                ev.kind = parseFrameSummary(t.from(L.received.count), into: &ev) > 0 ? .h2Frame : .h2Other
            } else if t.hasPrefix(L.encodingHeader) {
                ev.kind = .h2HeaderEncode
                header(t.from(L.encodingHeader.count), &ev)
            } else if t.hasPrefix(L.creatingClientConn) {
                ev.kind = .h2ConnNew
                if let (ptr, after) = t.hexPointer(at: L.creatingClientConn.count) {
                    ev.connID = ptr
                    let rest = t.from(after)
                    if rest.hasPrefix(L.to) { ev.remote = endpoint(rest.from(L.to.count)) }
                }
            } else if t.hasPrefix(L.readFrameError) {
                ev.kind = .h2ReadError
                if let (ptr, after) = t.hexPointer(at: L.readFrameError.count) {
                    ev.connID = ptr
                    var rest = t.from(after)
                    if rest.hasPrefix(Lit.colonSpace) { rest = rest.from(2) }
                    // "(*net.OpError) read tcp L->R: use of closed network connection"
                    if rest.count > 0, rest[0] == 0x28, let close = rest.firstIndex(of: 0x29) {
                        rest = rest.from(close + 2)
                    }
                    errors(rest, &ev, whole: true)
                }
            } else if t.hasPrefix(L.failedToGet) {
                ev.kind = .h2ConnGetFailed
                let a = t.from(L.failedToGet.count)
                if let sep = a.find(Lit.colonSpace) {
                    let auth = a.sub(0, sep)
                    ev.authority = auth.string
                    if let e = endpoint(auth) { ev.remote = e } else if let c = auth.firstIndex(of: colon) {
                        ev.host = auth.sub(0, c).string
                    }
                    errors(a.from(sep + 2), &ev, whole: true)
                }
            } else if t.hasPrefix(L.closingIdle) {
                ev.kind = .h2ConnCloseIdle
                ev.connID = t.hexPointer(at: L.closingIdle.count)?.0
            } else if t.hasPrefix(L.sendingHealth) {
                ev.kind = .h2HealthCheck
            } else if t.hasPrefix(L.healthSuccess) {
                ev.kind = .h2HealthCheckOK
            } else if t.hasPrefix(L.healthFailure) {
                ev.kind = .h2HealthCheckFailed
                errors(t.from(L.healthFailure.count), &ev, whole: true)
            } else if t.hasPrefix(L.conn) {
                // "conn 0x… received error from processing frame SUMMARY: ERR"
                ev.kind = .h2FrameError
                if let (ptr, after) = t.hexPointer(at: L.conn.count) {
                    ev.connID = ptr
                    let rest = t.from(after)
                    if let k = rest.find(L.processingFrame) {
                        let end = parseFrameSummary(rest.from(k + L.processingFrame.count), into: &ev)
                        if end > 0 {
                            let tail = rest.from(k + L.processingFrame.count + end)
                            if tail.hasPrefix(Lit.colonSpace) { errors(tail.from(2), &ev, whole: true) }
                        }
                    }
                }
            } else {
                ev.kind = .h2Other
            }
            return
        }
        if r.hasPrefix(L.decodedHpack) {
            ev.kind = .h2HeaderDecode
            header(r.from(L.decodedHpack.count), &ev)
            return
        }
        if r.hasPrefix(L.server) {
            ev.role = .server
            let s = r.from(L.server.count)
            if s.hasPrefix(L.readFrame) {
                ev.direction = .read
                ev.kind = parseFrameSummary(s.from(L.readFrame.count), into: &ev) > 0 ? .h2Frame : .h2ServerOther
            } else if s.hasPrefix(L.serverEncodingHeader) {
                ev.kind = .h2HeaderEncode
                header(s.from(L.serverEncodingHeader.count), &ev)
            } else if s.hasPrefix(L.connectionFrom) {
                // "connection from IP:PORT on 0x…"
                ev.kind = .h2ServerConn
                let a = s.from(L.connectionFrom.count)
                let end = a.tokenEnd(from: 0)
                ev.remote = endpoint(a.sub(0, end))
                if let k = a.find(L.on) { ev.connID = a.hexPointer(at: k + L.on.count)?.0 }
            } else if s.hasPrefix(L.clientSaidHello) {
                ev.kind = .h2ServerConn
                let a = s.from(L.clientSaidHello.count)
                ev.remote = endpoint(a.sub(0, a.tokenEnd(from: 0)))
            } else if s.hasPrefix(L.prefaceError) {
                ev.kind = .h2ServerPrefaceError
                peerThenError(s.from(L.prefaceError.count), &ev)
            } else if s.hasPrefix(L.connectionErrorFrom) {
                ev.kind = .h2ServerConnError
                peerThenError(s.from(L.connectionErrorFrom.count), &ev)
            } else if s.hasPrefix(L.closingErrorReading) {
                ev.kind = .h2ServerConnError
                peerThenError(s.from(L.closingErrorReading.count), &ev)
            } else if s.hasPrefix(L.closingClient) || s.hasPrefix(L.rejecting) {
                ev.kind = .h2ServerConnError
                let a = s.hasPrefix(L.closingClient) ? s.from(L.closingClient.count) : s.from(L.rejecting.count)
                errors(a, &ev, whole: true)
            } else if s.hasPrefix(L.processingSetting) || s.hasPrefix(L.ignoringUnknownSetting) {
                ev.kind = .h2ServerSetting
                // "[NAME = V]"
                if let o = s.firstIndex(of: 0x5b), let eq = s.find(R.eq, from: o) {
                    ev.headerName = s.sub(o + 1, eq).string
                    ev.headerValue = s.sub(eq + 3, s.firstIndex(of: 0x5d, from: eq) ?? s.count).string
                }
            } else {
                ev.kind = .h2ServerOther
                errors(s, &ev, whole: false)
            }
            return
        }
        if r.hasPrefix(L.receivedGoAway) {
            ev.kind = .h2GoAwayReceived; ev.role = .server
            return
        }
        if r.hasPrefix(L.tooManyControl) { ev.kind = .h2ServerOther; ev.role = .server; return }
        ev.kind = .h2Other
        errors(r, &ev, whole: false)
    }

    /// "PEER: ERR" (server lines naming the client).
    private func peerThenError(_ a: Bytes, _ ev: inout LogEvent) {
        guard let sep = a.find(Lit.colonSpace) else { ev.remote = endpoint(a); return }
        ev.remote = endpoint(a.sub(0, sep))
        errors(a.from(sep + 2), &ev, whole: true)
    }

    /// `"name" = "value"` (hpack adds `header field ` before it and may add ` (sensitive)`).
    private func header(_ h: Bytes, _ ev: inout LogEvent) {
        var h = h
        if h.hasPrefix(L.headerField) { h = h.from(L.headerField.count) }
        guard let (name, afterName) = goQuotedString(h, at: 0), h.hasPrefix(R.eq, at: afterName) else { return }
        ev.headerName = name
        if let (value, _) = goQuotedString(h, at: afterName + 3) {
            ev.headerValue = value
        } else {
            ev.headerValue = h.from(afterName + 3).string   // already redacted: <redacted N bytes>
        }
    }
}

/// Whether `k` is `.unknown`, without a String comparison for the other kinds (only a 7-byte name can be it).
@inline(__always) func isUnknownKind(_ k: LogEventKind) -> Bool { k.rawValue.utf8.count == 7 && k == .unknown }

/// Byte literals of the recognisers, from Go's sources (x/net/http2 transport.go, server.go, frame.go;
/// net/http h2_bundle.go; net/conf.go). StaticStrings: read in place (a `[UInt8]` global was initialised
/// lazily, checked and retained at each use).
enum L {
    static let http2: StaticString = "http2: "
    static let goPackageNet: StaticString = "go package net: "
    static let confVal: StaticString = "confVal."
    static let framer: StaticString = "Framer "
    static let wrote: StaticString = ": wrote "
    static let read: StaticString = ": read "
    static let transport: StaticString = "Transport "
    static let received: StaticString = "received "
    static let encodingHeader: StaticString = "encoding header "
    static let serverEncodingHeader: StaticString = " encoding header "
    static let creatingClientConn: StaticString = "creating client conn "
    static let to: StaticString = " to "
    static let readFrameError: StaticString = "readFrame error on conn "
    static let failedToGet: StaticString = "failed to get client conn for "
    static let closingIdle: StaticString = "closing idle conn "
    static let sendingHealth: StaticString = "sending health check"
    static let healthSuccess: StaticString = "health check success"
    static let healthFailure: StaticString = "health check failure: "
    static let conn: StaticString = "conn "
    static let processingFrame: StaticString = "received error from processing frame "
    static let decodedHpack: StaticString = "decoded hpack field "
    static let headerField: StaticString = "header field "
    static let server: StaticString = "server"
    static let readFrame: StaticString = " read frame "
    static let connectionFrom: StaticString = " connection from "
    static let on: StaticString = " on "
    static let clientSaidHello: StaticString = ": client "
    static let prefaceError: StaticString = ": error reading preface from client "
    static let connectionErrorFrom: StaticString = " connection error from "
    static let closingErrorReading: StaticString = " closing client connection; error reading frame from client "
    static let closingClient: StaticString = " closing client connection: "
    static let rejecting: StaticString = " rejecting conn: "
    static let processingSetting: StaticString = " processing setting "
    static let ignoringUnknownSetting: StaticString = " ignoring unknown setting "
    static let receivedGoAway: StaticString = "received GOAWAY "
    static let tooManyControl: StaticString = "too many control frames"
    static let roundTripRetry: StaticString = "RoundTrip retrying after failure: "
    static let roundTripFailure: StaticString = "RoundTrip failure: "
    static let transportGotGoAway: StaticString = "transport got GOAWAY with error code = "
    static let unhandledSetting: StaticString = "Unhandled Setting: "
    static let protocolError: StaticString = "protocol error: received "
    static let transportUnhandled: StaticString = "Transport: unhandled response frame type "
    static let connIdle: StaticString = "connection is idle"
    static let goawayTimer: StaticString = "GOAWAY close timer fired; closing conn from "
    static let connFrom: StaticString = "closing conn from "
    static let netCgo: StaticString = "netCgo = ", netGo: StaticString = "netGo = "
    static let lookupOrder: StaticString = "LookupOrder", closeEq: StaticString = ") = "
    static let goResolver: [StaticString] = ["cgo resolver not supported", "ignoring GODEBUG=netdns=cgo",
                                             "Go's resolver", "the Go resolver", "Go's DNS resolver",
                                             "the Go DNS resolver"]
    static let cgoResolver: [StaticString] = ["cgo DNS resolver", "the cgo resolver"]
    static let dynamicSelection: StaticString = "dynamic selection"
}
