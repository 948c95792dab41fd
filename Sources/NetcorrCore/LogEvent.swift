/// One line of a Go program's own log (its stderr, or a file of it), recognised and taken apart.
///
/// Produced by `NetcorrGoLog` (GODEBUG=netdns=…+2 and http2debug=2 output, Go error strings, any timestamp
/// prefix). Every field that a line does not carry is nil; `message` always keeps the text after the
/// timestamp prefixes (raw, NOT redacted: whoever prints it applies `Redactor`).
public struct LogEvent: Hashable, Sendable {
    /// The log file the line came from, as given to the reader.
    public var file: String
    /// 1-based line number in that file (for CRI logs: the number of the line that completed the entry).
    public var line: Int
    /// When the line was written; nil when neither the line nor its neighbours tell.
    public var ts: Timestamp?
    public var tsSource: LogTimestampSource
    public var kind: LogEventKind

    // MARK: HTTP/2 (http2debug=2)
    /// Whether the line came from the client (Transport) or server side, when the line says.
    public var role: LogRole?
    /// `wrote` / `read` for "Framer 0x…: wrote|read …"; `read` also for "Transport received …" and
    /// "server read frame …".
    public var direction: LogFrameDirection?
    /// The pointer naming the connection: the Framer pointer, the ClientConn pointer ("creating client conn
    /// 0x…", "readFrame error on conn 0x…", "closing idle conn 0x…") or the server's http.Server pointer
    /// ("server connection from … on 0x…"). Different pointer kinds of one connection are different numbers.
    public var connID: UInt64?
    /// Boxed (one reference in the event, allocated only for lines that carry a frame): the summary is most
    /// of an event's size, and every event is moved several times on its way to the reader.
    public var frame: H2FrameSummary? {
        @inlinable get { frameBox?.frame }
        @inlinable set { if let f = newValue { frameBox = H2FrameBox(f) } else { frameBox = nil } }
    }
    @usableFromInline var frameBox: H2FrameBox?
    /// Header name and value for h2.header-encode / h2.header-decode (raw; see `Redactor`).
    public var headerName: String?
    public var headerValue: String?

    /// The line after the timestamp prefixes (for JSON logs: the msg/message field). Raw, possibly secret.
    public var message: String

    /// The fields few lines set (netdns, addresses, errors, CRI stream), boxed; nil while all of them are nil.
    /// A frame or header line then allocates nothing for them, and copying or destroying any event releases
    /// one reference for them all, not ten. Shared between copies until one of them writes (copy on write).
    @usableFromInline var details: LogEventDetails?

    /// (Inlinable, as the boxed fields' getters: the parser builds an event per line in another module.)
    @inlinable public init(file: String, line: Int, ts: Timestamp? = nil, tsSource: LogTimestampSource = .none,
                kind: LogEventKind, message: String) {
        self.file = file; self.line = line; self.ts = ts; self.tsSource = tsSource; self.kind = kind
        self.message = message
    }

    /// "stdout" / "stderr" when a CRI or `netcorr run` prefix said so.
    public var stream: String? { @inlinable get { details?.f.stream } set { self[\.stream] = newValue } }

    // MARK: netdns
    /// The host name a line is about (hostLookupOrder, lookup errors, "failed to get client conn for").
    public var host: String? { @inlinable get { details?.f.host } set { self[\.host] = newValue } }
    /// The hostLookupOrder result: "files,dns", "dns,files", "dns", "files", "cgo", "mdns" …
    public var order: String? { @inlinable get { details?.f.order } set { self[\.order] = newValue } }
    /// netdns.conf: which resolver the line says is used ("go", "cgo", "dynamic"), or for the confVal line
    /// "netCgo=false netGo=true".
    public var resolver: String? { @inlinable get { details?.f.resolver } set { self[\.resolver] = newValue } }

    // MARK: Addresses named by the line
    /// DNS server ("lookup HOST on SERVER:53").
    public var server: Endpoint? { @inlinable get { details?.f.server } set { self[\.server] = newValue } }
    /// Local side of a socket ("read udp LOCAL->SERVER", "dial tcp LOCAL->REMOTE").
    public var local: Endpoint? { @inlinable get { details?.f.local } set { self[\.local] = newValue } }
    /// Remote side: a dial target, the conn peer ("to IP:PORT", "connection from IP:PORT").
    public var remote: Endpoint? { @inlinable get { details?.f.remote } set { self[\.remote] = newValue } }
    /// "HOST:PORT" that is not an address ("failed to get client conn for example.com:443").
    public var authority: String? { @inlinable get { details?.f.authority } set { self[\.authority] = newValue } }

    // MARK: Errors
    /// Classified error named in the line, if any (the most specific one found).
    public var errorKind: GoErrorKind? { @inlinable get { details?.f.errorKind } set { self[\.errorKind] = newValue } }
    /// The Go error text that was classified (from the line, e.g. after "RoundTrip failure: ").
    public var errorText: String? { @inlinable get { details?.f.errorText } set { self[\.errorText] = newValue } }

    /// A boxed field: nil while there is no box; setting nil makes none.
    private subscript<T>(_ k: WritableKeyPath<LogEventDetails.Fields, T?>) -> T? {
        get { details?.f[keyPath: k] }
        set { if newValue != nil || details != nil { mutableDetails().f[keyPath: k] = newValue } }
    }

    /// The boxed fields, unshared (copied first when another event holds them too).
    private mutating func mutableDetails() -> LogEventDetails {
        guard details != nil else {
            let d = LogEventDetails(LogEventDetails.Fields())
            details = d
            return d
        }
        if !isKnownUniquelyReferenced(&details) { details = LogEventDetails(details!.f) }
        return details!
    }

    public static func == (a: LogEvent, b: LogEvent) -> Bool {
        guard a.file == b.file, a.line == b.line, a.ts == b.ts, a.tsSource == b.tsSource, a.kind == b.kind,
              a.role == b.role, a.direction == b.direction, a.connID == b.connID,
              a.frameBox === b.frameBox || a.frame == b.frame,
              a.headerName == b.headerName, a.headerValue == b.headerValue, a.message == b.message
        else { return false }
        if a.details === b.details { return true }
        return (a.details?.f ?? LogEventDetails.Fields()) == (b.details?.f ?? LogEventDetails.Fields())
    }

    public func hash(into h: inout Hasher) {
        h.combine(file); h.combine(line); h.combine(ts); h.combine(tsSource); h.combine(kind)
        h.combine(role); h.combine(direction); h.combine(connID); h.combine(frame); h.combine(headerName)
        h.combine(headerValue); h.combine(message)
        h.combine(details?.f ?? LogEventDetails.Fields())
    }
}

/// `LogEvent`'s rarely set fields. Never mutated while shared (see `LogEvent.mutableDetails`).
@usableFromInline final class LogEventDetails: @unchecked Sendable {
    @usableFromInline struct Fields: Hashable {
        @usableFromInline var stream: String?
        @usableFromInline var host: String?, order: String?, resolver: String?
        @usableFromInline var server: Endpoint?, local: Endpoint?, remote: Endpoint?
        @usableFromInline var authority: String?
        @usableFromInline var errorKind: GoErrorKind?, errorText: String?
    }
    @usableFromInline var f: Fields
    init(_ f: Fields) { self.f = f }
}

/// `LogEvent.frame`, boxed. Never mutated: a new frame is a new box.
@usableFromInline final class H2FrameBox: Sendable {
    @usableFromInline let frame: H2FrameSummary
    @inlinable init(_ frame: H2FrameSummary) { self.frame = frame }
}

/// Where `LogEvent.ts` came from.
public enum LogTimestampSource: String, Hashable, Sendable, CustomStringConvertible {
    /// The line's own prefix (Go log, RFC 3339, CRI, journald, JSON time field).
    case prefix
    /// No time of its own: taken from the previous timestamped line (kept in file order; the bound is
    /// between the previous and the next stamped line).
    case interpolated
    /// Stamped by `netcorr run` as the line arrived.
    case run
    /// No time known.
    case none
    public var description: String { rawValue }
}

public enum LogFrameDirection: String, Hashable, Sendable, CustomStringConvertible {
    case wrote, read
    public var description: String { rawValue }
}

public enum LogRole: String, Hashable, Sendable, CustomStringConvertible {
    case client, server
    public var description: String { rawValue }
}

/// What a log line is. Open set: unknown values survive as themselves.
///
/// | name | line |
/// |---|---|
/// | `netdns.conf` | "go package net: confVal.netCgo = … netGo = …", "…using cgo DNS resolver", "…GODEBUG setting forcing use of Go's resolver", "…dynamic selection of DNS resolver", "…built with netgo build tag…", 1.21+ variants |
/// | `netdns.order` | "go package net: hostLookupOrder(HOST) = ORDER" |
/// | `h2.frame` | "http2: Framer 0x…: wrote|read SUMMARY", "Transport received SUMMARY", "server read frame SUMMARY" |
/// | `h2.frame-error` | "Framer 0x…: failed to decode just-written frame", "Transport conn 0x… received error from processing frame" |
/// | `h2.conn-new` | "Transport creating client conn 0x… to IP:PORT" |
/// | `h2.conn-close-idle` | "Transport closing idle conn 0x… (forSingleUse=…, maxStream=…)" |
/// | `h2.conn-get-failed` | "Transport failed to get client conn for HOST:PORT: ERR" |
/// | `h2.header-encode` | "Transport encoding header "k" = "v"", "server encoding header "k" = "v"" |
/// | `h2.header-decode` | "decoded hpack field header field "k" = "v"" |
/// | `h2.read-error` | "Transport readFrame error on conn 0x…: (T) ERR" |
/// | `h2.health-check` | "Transport sending health check" |
/// | `h2.health-check-ok` | "Transport health check success" |
/// | `h2.health-check-failed` | "Transport health check failure: ERR" |
/// | `h2.roundtrip-retry` | "RoundTrip retrying after failure: ERR" |
/// | `h2.roundtrip-failure` | "RoundTrip failure: ERR" |
/// | `h2.goaway-received` | "transport got GOAWAY with error code = CODE", server "received GOAWAY …" |
/// | `h2.server-conn` | "server connection from IP:PORT on 0x…", "server: client IP:PORT said hello" |
/// | `h2.server-preface-error` | "server: error reading preface from client IP:PORT: ERR" |
/// | `h2.server-conn-error` | "server connection error from …", "server closing client connection…", "server rejecting conn" |
/// | `h2.server-setting` | "server processing setting [NAME = V]", "server ignoring unknown setting …" (name and value in headerName/headerValue) |
/// | `h2.server-other` | other "http2: server …" lines ("server ignoring frame", "connection is idle", …) |
/// | `h2.other` | other lines starting with "http2: " |
/// | `error` | any other line in which a Go error string was recognised (errorKind set) |
/// | `unknown` | nothing recognised (counted by the reader) |
public struct LogEventKind: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    public static let netdnsConf = LogEventKind("netdns.conf")
    public static let netdnsOrder = LogEventKind("netdns.order")
    public static let h2Frame = LogEventKind("h2.frame")
    public static let h2FrameError = LogEventKind("h2.frame-error")
    public static let h2ConnNew = LogEventKind("h2.conn-new")
    public static let h2ConnCloseIdle = LogEventKind("h2.conn-close-idle")
    public static let h2ConnGetFailed = LogEventKind("h2.conn-get-failed")
    public static let h2HeaderEncode = LogEventKind("h2.header-encode")
    public static let h2HeaderDecode = LogEventKind("h2.header-decode")
    public static let h2ReadError = LogEventKind("h2.read-error")
    public static let h2HealthCheck = LogEventKind("h2.health-check")
    public static let h2HealthCheckOK = LogEventKind("h2.health-check-ok")
    public static let h2HealthCheckFailed = LogEventKind("h2.health-check-failed")
    public static let h2RoundTripRetry = LogEventKind("h2.roundtrip-retry")
    public static let h2RoundTripFailure = LogEventKind("h2.roundtrip-failure")
    public static let h2GoAwayReceived = LogEventKind("h2.goaway-received")
    public static let h2ServerConn = LogEventKind("h2.server-conn")
    public static let h2ServerPrefaceError = LogEventKind("h2.server-preface-error")
    public static let h2ServerConnError = LogEventKind("h2.server-conn-error")
    public static let h2ServerSetting = LogEventKind("h2.server-setting")
    public static let h2ServerOther = LogEventKind("h2.server-other")
    public static let h2Other = LogEventKind("h2.other")
    public static let error = LogEventKind("error")
    public static let unknown = LogEventKind("unknown")
}

/// A Go error string, classified. Open set.
///
/// | name | Go text |
/// |---|---|
/// | `dns.timeout` | "lookup H on S:53: read udp L->S: i/o timeout", "lookup H on S:53: … i/o timeout" |
/// | `dns.nxdomain` | "lookup H on S:53: no such host", "lookup H: no such host" |
/// | `dns.servfail` | "lookup H on S:53: server misbehaving" |
/// | `dns.refused` | "lookup H on S:53: read udp …: read: connection refused" (ICMP port unreachable) |
/// | `dns.no-answer` | "lookup H on S:53: no answer from DNS server" |
/// | `dns.send-blocked` | "… write: operation not permitted" / "permission denied" (local firewall) |
/// | `dns.unreachable` | "… network is unreachable" / "no route to host" in a lookup |
/// | `dns.temporary` | "… temporary failure in name resolution" / "Temporary failure in name resolution" |
/// | `dns.error` | any other "lookup H …" error |
/// | `tcp.refused` | "dial tcp A:P: connect: connection refused" |
/// | `tcp.timeout` | "dial tcp A:P: connect: connection timed out", "dial tcp A:P: i/o timeout" |
/// | `tcp.unreachable` | "dial tcp …: connect: network is unreachable" / "no route to host" |
/// | `tcp.dial-error` | any other "dial tcp …" error |
/// | `tcp.reset` | "connection reset by peer" |
/// | `tcp.broken-pipe` | "broken pipe" |
/// | `tls.handshake-timeout` | "TLS handshake timeout" |
/// | `h2.goaway` | "http2: server sent GOAWAY and closed the connection; LastStreamID=…, ErrCode=…, debug=…" |
/// | `h2.stream-error` | "stream error: stream ID N; CODE[; received from peer]" |
/// | `h2.conn-lost` | "http2: client connection lost" |
/// | `h2.header-timeout` | "http2: timeout awaiting response headers" |
/// | `h2.conn-closed` | "http2: client connection force closed via ClientConn.Close", "http2: client conn is closed" … |
/// | `client.timeout` | "context deadline exceeded (Client.Timeout exceeded while awaiting headers)", "(Client.Timeout …)" |
/// | `context.deadline` | "context deadline exceeded" |
/// | `context.canceled` | "context canceled" |
/// | `io.timeout` | "i/o timeout" (not in a lookup or dial) |
/// | `io.eof` | "EOF", "unexpected EOF" |
/// | `net.closed` | "use of closed network connection" (this process closed the socket itself) |
public struct GoErrorKind: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    public static let dnsTimeout = GoErrorKind("dns.timeout")
    public static let dnsNXDomain = GoErrorKind("dns.nxdomain")
    public static let dnsServFail = GoErrorKind("dns.servfail")
    public static let dnsRefused = GoErrorKind("dns.refused")
    public static let dnsNoAnswer = GoErrorKind("dns.no-answer")
    public static let dnsSendBlocked = GoErrorKind("dns.send-blocked")
    public static let dnsUnreachable = GoErrorKind("dns.unreachable")
    public static let dnsTemporary = GoErrorKind("dns.temporary")
    public static let dnsError = GoErrorKind("dns.error")
    public static let tcpRefused = GoErrorKind("tcp.refused")
    public static let tcpTimeout = GoErrorKind("tcp.timeout")
    public static let tcpUnreachable = GoErrorKind("tcp.unreachable")
    public static let tcpDialError = GoErrorKind("tcp.dial-error")
    public static let tcpReset = GoErrorKind("tcp.reset")
    public static let tcpBrokenPipe = GoErrorKind("tcp.broken-pipe")
    public static let tlsHandshakeTimeout = GoErrorKind("tls.handshake-timeout")
    public static let h2GoAway = GoErrorKind("h2.goaway")
    public static let h2StreamError = GoErrorKind("h2.stream-error")
    public static let h2ConnLost = GoErrorKind("h2.conn-lost")
    public static let h2HeaderTimeout = GoErrorKind("h2.header-timeout")
    public static let h2ConnClosed = GoErrorKind("h2.conn-closed")
    public static let clientTimeout = GoErrorKind("client.timeout")
    public static let contextDeadline = GoErrorKind("context.deadline")
    public static let contextCanceled = GoErrorKind("context.canceled")
    public static let ioTimeout = GoErrorKind("io.timeout")
    public static let ioEOF = GoErrorKind("io.eof")
    public static let netClosed = GoErrorKind("net.closed")
}

/// One HTTP/2 frame as http2debug=2 prints it (x/net/http2 frame.go `summarizeFrame`).
public struct H2FrameSummary: Hashable, Sendable {
    /// "DATA", "HEADERS", … "UNKNOWN_FRAME_TYPE_N".
    public var typeName: String
    /// The frame type number (0…9 known; N of UNKNOWN_FRAME_TYPE_N); nil when the name is not known.
    public var type: UInt8?
    /// Flags as a number (from the names END_STREAM, END_HEADERS, ACK, PADDED, PRIORITY and 0xNN).
    public var flags: UInt8
    /// 0 for connection-level frames (Go prints no "stream=" then).
    public var streamID: UInt32
    public var length: Int
    /// SETTINGS: pairs in order, name as Go prints it ("MAX_CONCURRENT_STREAMS", "UNKNOWN_SETTING_N").
    public var settings: [H2Setting]
    /// WINDOW_UPDATE increment.
    public var increment: UInt32?
    /// RST_STREAM / GOAWAY error code name and number.
    public var errorCodeName: String?
    public var errorCode: UInt32?
    /// GOAWAY.
    public var lastStreamID: UInt32?
    /// GOAWAY debug data, unquoted from Go's %q (bytes as Latin-1 when not UTF-8).
    public var debugData: String?
    /// PING opaque data, 8 bytes, unquoted.
    public var pingData: [UInt8]?
    /// DATA payload as printed (first 256 bytes at most), unquoted. Secret: see `Redactor`.
    public var data: [UInt8]?
    /// DATA: "(N bytes omitted)".
    public var dataOmitted: Int?

    public init(typeName: String, type: UInt8?, flags: UInt8 = 0, streamID: UInt32 = 0, length: Int = 0) {
        self.typeName = typeName; self.type = type; self.flags = flags; self.streamID = streamID
        self.length = length; self.settings = []
    }

    public var isAck: Bool { flags & 0x1 != 0 && (type == 4 || type == 6) }
    public var endStream: Bool { flags & 0x1 != 0 && (type == 0 || type == 1) }
    public var endHeaders: Bool { flags & 0x4 != 0 && (type == 1 || type == 5 || type == 9) }
}

public struct H2Setting: Hashable, Sendable {
    public var name: String
    /// The setting identifier (1…6, 8; N of UNKNOWN_SETTING_N); nil when the name is not known.
    public var id: UInt16?
    public var value: UInt32
    public init(name: String, id: UInt16?, value: UInt32) { self.name = name; self.id = id; self.value = value }
}
