/// HTTP/2 as a passive observer sees it (RFC 9113): one event per frame, one summary per connection.
/// Produced by NetcorrHTTP2's `HTTP2ConnectionDecoder`; consumed by the pipeline, correlator and reporter.

/// Frame type: an open set (unknown types survive as themselves and are reported, not rejected).
public struct HTTP2FrameType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt8
    @inlinable public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let data = HTTP2FrameType(rawValue: 0x0)
    public static let headers = HTTP2FrameType(rawValue: 0x1)
    public static let priority = HTTP2FrameType(rawValue: 0x2)
    public static let rstStream = HTTP2FrameType(rawValue: 0x3)
    public static let settings = HTTP2FrameType(rawValue: 0x4)
    public static let pushPromise = HTTP2FrameType(rawValue: 0x5)
    public static let ping = HTTP2FrameType(rawValue: 0x6)
    public static let goaway = HTTP2FrameType(rawValue: 0x7)
    public static let windowUpdate = HTTP2FrameType(rawValue: 0x8)
    public static let continuation = HTTP2FrameType(rawValue: 0x9)
    public static let altsvc = HTTP2FrameType(rawValue: 0xa)
    public static let origin = HTTP2FrameType(rawValue: 0xc)
    public static let priorityUpdate = HTTP2FrameType(rawValue: 0x10)
    /// True for the ten types RFC 9113 defines (DATA … CONTINUATION).
    @inlinable public var isCore: Bool { rawValue <= 0x9 }
    public var description: String {
        switch rawValue {
        case 0x0: "DATA"; case 0x1: "HEADERS"; case 0x2: "PRIORITY"; case 0x3: "RST_STREAM"
        case 0x4: "SETTINGS"; case 0x5: "PUSH_PROMISE"; case 0x6: "PING"; case 0x7: "GOAWAY"
        case 0x8: "WINDOW_UPDATE"; case 0x9: "CONTINUATION"; case 0xa: "ALTSVC"; case 0xc: "ORIGIN"
        case 0x10: "PRIORITY_UPDATE"; default: "UNKNOWN_\(rawValue)"
        }
    }
}

/// Frame flag bits (their meaning depends on the type).
public enum HTTP2Flags {
    public static let endStream: UInt8 = 0x1   // DATA, HEADERS
    public static let ack: UInt8 = 0x1         // SETTINGS, PING
    public static let endHeaders: UInt8 = 0x4  // HEADERS, PUSH_PROMISE, CONTINUATION
    public static let padded: UInt8 = 0x8      // DATA, HEADERS, PUSH_PROMISE
    public static let priority: UInt8 = 0x20   // HEADERS
}

/// RST_STREAM and GOAWAY error codes (RFC 9113 §7): an open set.
public struct HTTP2ErrorCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt32
    @inlinable public init(rawValue: UInt32) { self.rawValue = rawValue }
    public static let noError = HTTP2ErrorCode(rawValue: 0x0)
    public static let protocolError = HTTP2ErrorCode(rawValue: 0x1)
    public static let internalError = HTTP2ErrorCode(rawValue: 0x2)
    public static let flowControlError = HTTP2ErrorCode(rawValue: 0x3)
    public static let settingsTimeout = HTTP2ErrorCode(rawValue: 0x4)
    public static let streamClosed = HTTP2ErrorCode(rawValue: 0x5)
    public static let frameSizeError = HTTP2ErrorCode(rawValue: 0x6)
    public static let refusedStream = HTTP2ErrorCode(rawValue: 0x7)
    public static let cancel = HTTP2ErrorCode(rawValue: 0x8)
    public static let compressionError = HTTP2ErrorCode(rawValue: 0x9)
    public static let connectError = HTTP2ErrorCode(rawValue: 0xa)
    public static let enhanceYourCalm = HTTP2ErrorCode(rawValue: 0xb)
    public static let inadequateSecurity = HTTP2ErrorCode(rawValue: 0xc)
    public static let http11Required = HTTP2ErrorCode(rawValue: 0xd)
    /// The RFC name ("NO_ERROR", "PROTOCOL_ERROR", …, "HTTP_1_1_REQUIRED"), or "UNKNOWN_0x…" for others.
    public var name: String { Self.name(rawValue) }
    public var description: String { name }
    public static func name(_ code: UInt32) -> String {
        switch code {
        case 0x0: "NO_ERROR"; case 0x1: "PROTOCOL_ERROR"; case 0x2: "INTERNAL_ERROR"
        case 0x3: "FLOW_CONTROL_ERROR"; case 0x4: "SETTINGS_TIMEOUT"; case 0x5: "STREAM_CLOSED"
        case 0x6: "FRAME_SIZE_ERROR"; case 0x7: "REFUSED_STREAM"; case 0x8: "CANCEL"
        case 0x9: "COMPRESSION_ERROR"; case 0xa: "CONNECT_ERROR"; case 0xb: "ENHANCE_YOUR_CALM"
        case 0xc: "INADEQUATE_SECURITY"; case 0xd: "HTTP_1_1_REQUIRED"
        default: "UNKNOWN_0x" + String(code, radix: 16)
        }
    }
}

/// SETTINGS identifiers (RFC 9113 §6.5.2 and extensions): an open set.
public struct HTTP2SettingID: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16
    @inlinable public init(rawValue: UInt16) { self.rawValue = rawValue }
    public static let headerTableSize = HTTP2SettingID(rawValue: 0x1)
    public static let enablePush = HTTP2SettingID(rawValue: 0x2)
    public static let maxConcurrentStreams = HTTP2SettingID(rawValue: 0x3)
    public static let initialWindowSize = HTTP2SettingID(rawValue: 0x4)
    public static let maxFrameSize = HTTP2SettingID(rawValue: 0x5)
    public static let maxHeaderListSize = HTTP2SettingID(rawValue: 0x6)
    public static let enableConnectProtocol = HTTP2SettingID(rawValue: 0x8)
    public static let noRFC7540Priorities = HTTP2SettingID(rawValue: 0x9)
    public var description: String {
        switch rawValue {
        case 0x1: "HEADER_TABLE_SIZE"; case 0x2: "ENABLE_PUSH"; case 0x3: "MAX_CONCURRENT_STREAMS"
        case 0x4: "INITIAL_WINDOW_SIZE"; case 0x5: "MAX_FRAME_SIZE"; case 0x6: "MAX_HEADER_LIST_SIZE"
        case 0x8: "ENABLE_CONNECT_PROTOCOL"; case 0x9: "NO_RFC7540_PRIORITIES"
        default: "UNKNOWN_0x" + String(rawValue, radix: 16)
        }
    }
}

/// One SETTINGS parameter, in the order it appeared in its frame.
public struct HTTP2Setting: Hashable, Sendable {
    public var id: HTTP2SettingID
    public var value: UInt32
    @inlinable public init(id: HTTP2SettingID, value: UInt32) { self.id = id; self.value = value }
}

/// One decoded header field (names as sent: lower case in HTTP/2). Values are kept verbatim: the reporter
/// redacts, the correlator needs them to match Go's http2debug lines.
public struct HTTP2HeaderField: Hashable, Sendable {
    public var name: String
    public var value: String
    @inlinable public init(name: String, value: String) { self.name = name; self.value = value }
}

/// One HTTP/2 frame as seen on the wire.
///
/// `frame`/`ts` are those of the packet holding the frame's last byte. A HEADERS or PUSH_PROMISE frame
/// whose header block continues in CONTINUATION frames is emitted when the block completes (immediately
/// before its CONTINUATIONs, all in wire order), and carries the decoded fields of the whole block, as
/// Wireshark shows them.
public struct HTTP2FrameEvent: Sendable {
    public var frame: Int
    public var ts: Timestamp
    public var src: Endpoint
    public var dst: Endpoint
    public var direction: FlowDirection
    public var type: HTTP2FrameType
    public var flags: UInt8
    public var stream: UInt32
    /// Payload length from the frame header (padding included).
    public var length: Int

    // HEADERS / PUSH_PROMISE (decoded header block)
    public var method: String?
    public var path: String?
    public var authority: String?
    public var scheme: String?
    /// `:status` as a number (nil when absent or not a number; the raw text is in `headers`).
    public var status: Int?
    public var grpcStatus: Int?
    public var grpcMessage: String?
    public var contentType: String?
    /// All decoded fields in order, pseudo-headers included. Nil when the block was not decoded.
    public var headers: [HTTP2HeaderField]?
    /// Why the header block could not be decoded: "hpack-unknown-state" (the capture joined the connection
    /// after its start and this block refers to dynamic-table entries added before it), "hpack-desync" (an
    /// earlier block of this direction failed or was lost), "hpack-error: …" (this block failed to decode
    /// although the table state was known), "header-block-too-large", "capture-gap", "malformed-frame",
    /// "incomplete-header-block". Nothing is guessed: when a mid-connection block decodes, it only used the
    /// static table and entries added within the capture, so the fields are what the receiver decoded.
    public var headersUndecodable: String?
    /// PUSH_PROMISE: the promised stream.
    public var promisedStream: UInt32?
    /// HEADERS with the PRIORITY flag, PRIORITY: dependency (exclusive bit stripped), weight (1…256), exclusive.
    public var priorityDependency: UInt32?
    public var priorityWeight: Int?
    public var priorityExclusive: Bool?

    // RST_STREAM, GOAWAY
    public var errorCode: HTTP2ErrorCode?
    public var lastStream: UInt32?
    /// GOAWAY debug data (at most 1024 bytes kept).
    public var debugData: [UInt8]?
    // WINDOW_UPDATE
    public var increment: UInt32?
    // SETTINGS
    public var settings: [HTTP2Setting]?
    // PING
    public var pingData: UInt64?
    // DATA, HEADERS, PUSH_PROMISE with PADDED
    public var padLength: Int?

    /// Set when the frame is invalid (an `Anomaly` name such as "h2.frame-too-large",
    /// "h2.bad-settings-length"); fields that could not be read are nil.
    public var malformed: Anomaly?

    @inlinable public init(frame: Int, ts: Timestamp, src: Endpoint, dst: Endpoint, direction: FlowDirection,
                           type: HTTP2FrameType, flags: UInt8, stream: UInt32, length: Int) {
        self.frame = frame; self.ts = ts; self.src = src; self.dst = dst; self.direction = direction
        self.type = type; self.flags = flags; self.stream = stream; self.length = length
    }

    @inlinable public var endStream: Bool { (type == .data || type == .headers) && flags & HTTP2Flags.endStream != 0 }
    @inlinable public var isAck: Bool { (type == .settings || type == .ping) && flags & HTTP2Flags.ack != 0 }
    @inlinable public var endHeaders: Bool {
        (type == .headers || type == .pushPromise || type == .continuation) && flags & HTTP2Flags.endHeaders != 0
    }
    /// GOAWAY debug data as text (invalid UTF-8 replaced).
    public var debugText: String? { debugData.map { String(decoding: $0, as: UTF8.self) } }
}

/// How a stream ended, as far as the capture shows.
public enum HTTP2StreamEnd: Hashable, Sendable {
    /// Both sides sent END_STREAM (or the server did after a request without a body).
    case endStream
    /// An RST_STREAM with this code, sent in this direction.
    case rstStream(HTTP2ErrorCode, by: FlowDirection)
    /// The stream was above a GOAWAY's last stream id (not processed by the GOAWAY's sender).
    case goaway
    /// Still open when the capture (or connection) ended.
    case unfinished
}

/// One stream's life.
public struct HTTP2StreamSummary: Sendable {
    public var id: UInt32
    public var method: String?
    public var path: String?
    public var authority: String?
    public var scheme: String?
    public var contentType: String?
    /// Final (non-1xx) response status.
    public var status: Int?
    public var grpcStatus: Int?
    public var grpcMessage: String?
    /// The request HEADERS (frame and time); for a pushed stream the PUSH_PROMISE.
    public var requestStart: Timestamp?
    public var requestFrame: Int?
    /// END_STREAM from the client.
    public var requestEnd: Timestamp?
    /// First final response HEADERS.
    public var responseHeaders: Timestamp?
    public var responseFrame: Int?
    /// END_STREAM from the server, RST_STREAM, or GOAWAY cut: when the stream ended.
    public var end: Timestamp?
    public var endFrame: Int?
    public var endedBy: HTTP2StreamEnd
    /// Frames seen on this stream (both directions).
    public var frames: Int
    /// DATA payload bytes (padding included) per direction: [fromInitiator, fromResponder].
    public var dataBytes: [Int]
    /// A header block of this stream could not be decoded (see the frame events for why).
    public var headersUndecodable: Bool
    public var pushed: Bool

    public init(id: UInt32) {
        self.id = id; endedBy = .unfinished; frames = 0; dataBytes = [0, 0]; headersUndecodable = false; pushed = false
    }
}

/// A SETTINGS frame (not an ACK) and when the peer acknowledged it.
public struct HTTP2SettingsRecord: Sendable {
    public var direction: FlowDirection
    public var frame: Int
    public var ts: Timestamp
    public var settings: [HTTP2Setting]
    public var ackFrame: Int?
    public var ackTs: Timestamp?
    public var ackDelay: Duration? { ackTs.map { $0 - ts } }
    public init(direction: FlowDirection, frame: Int, ts: Timestamp, settings: [HTTP2Setting]) {
        self.direction = direction; self.frame = frame; self.ts = ts; self.settings = settings
    }
}

/// A PING and its ACK (matched by opaque data).
public struct HTTP2PingRecord: Sendable {
    /// Direction of the PING (not of the ACK).
    public var direction: FlowDirection
    public var data: UInt64
    public var frame: Int
    public var sent: Timestamp
    public var ackFrame: Int?
    public var ackTs: Timestamp?
    public var rtt: Duration? { ackTs.map { $0 - sent } }
    public init(direction: FlowDirection, data: UInt64, frame: Int, sent: Timestamp) {
        self.direction = direction; self.data = data; self.frame = frame; self.sent = sent
    }
}

public struct HTTP2GoawayRecord: Sendable {
    public var direction: FlowDirection
    public var frame: Int
    public var ts: Timestamp
    public var lastStream: UInt32
    public var errorCode: HTTP2ErrorCode
    public var debugData: [UInt8]
    /// Streams that were open, initiated by the GOAWAY's receiver and above `lastStream`.
    public var streamsCut: [UInt32]
    public init(direction: FlowDirection, frame: Int, ts: Timestamp, lastStream: UInt32, errorCode: HTTP2ErrorCode,
                debugData: [UInt8], streamsCut: [UInt32]) {
        self.direction = direction; self.frame = frame; self.ts = ts; self.lastStream = lastStream
        self.errorCode = errorCode; self.debugData = debugData; self.streamsCut = streamsCut
    }
}

/// A sender with an exhausted flow-control window (≤ 0): from the DATA frame (or SETTINGS change) that
/// exhausted it to the WINDOW_UPDATE that reopened it. `end` nil: never reopened within the capture.
public struct HTTP2StallRecord: Sendable {
    /// Direction of the stalled sender's DATA.
    public var direction: FlowDirection
    /// 0 for the connection window.
    public var stream: UInt32
    public var start: Timestamp
    public var startFrame: Int
    public var end: Timestamp?
    public var endFrame: Int?
    /// Whether the sender still had something to send (it had not ended its side of the stream when the
    /// window ran out, or for the connection window, some stream of this sender was still open).
    public var senderHadMore: Bool
    /// `end - start`, or until the summary's end time when never reopened.
    public var duration: Duration
    public init(direction: FlowDirection, stream: UInt32, start: Timestamp, startFrame: Int, end: Timestamp?,
                endFrame: Int?, senderHadMore: Bool, duration: Duration) {
        self.direction = direction; self.stream = stream; self.start = start; self.startFrame = startFrame
        self.end = end; self.endFrame = endFrame; self.senderHadMore = senderHadMore; self.duration = duration
    }
}

/// How the decoder came to the connection.
public enum HTTP2Start: Hashable, Sendable {
    /// The client preface was seen (prior-knowledge h2c, or after TLS with ALPN h2 when the caller feeds
    /// decrypted bytes).
    case priorKnowledge
    /// An HTTP/1.1 `Upgrade: h2c` request answered by `101 Switching Protocols`.
    case upgrade
    /// Joined a connection already speaking HTTP/2: frame boundaries found by validation, HPACK state unknown.
    case midstream
    /// Not (or not yet) recognised as HTTP/2.
    case none
}

/// Everything the decoder learned about one connection.
public struct HTTP2ConnectionSummary: Sendable {
    public var client: Endpoint
    public var server: Endpoint
    public var start: HTTP2Start
    public var firstTs: Timestamp?
    public var lastTs: Timestamp?
    public var endTs: Timestamp
    public var streams: [HTTP2StreamSummary]
    /// Streams beyond `HTTP2Limits.maxStreamsTracked` that were not kept.
    public var streamsDropped: Int
    /// SETTINGS (not ACKs) from both sides in order, with their ACK.
    public var settings: [HTTP2SettingsRecord]
    public var pings: [HTTP2PingRecord]
    public var goaways: [HTTP2GoawayRecord]
    public var stalls: [HTTP2StallRecord]
    public var anomalies: AnomalyCounts
    /// Per direction [fromInitiator, fromResponder]: the HPACK table state was lost (or never known).
    public var hpackDesynchronized: [Bool]
    /// Frames and bytes per direction [fromInitiator, fromResponder].
    public var frames: [Int]
    public var bytes: [Int]
    public init(client: Endpoint, server: Endpoint, start: HTTP2Start, endTs: Timestamp) {
        self.client = client; self.server = server; self.start = start; self.endTs = endTs
        streams = []; streamsDropped = 0; settings = []; pings = []; goaways = []; stalls = []
        anomalies = AnomalyCounts(); hpackDesynchronized = [false, false]; frames = [0, 0]; bytes = [0, 0]
    }
    /// SETTINGS ACK delays of the given direction's SETTINGS.
    public func settingsAckDelays(_ d: FlowDirection) -> [Duration] {
        settings.compactMap { $0.direction == d ? $0.ackDelay : nil }
    }
}

extension Anomaly {
    public static let h2FrameTooLarge = Anomaly("h2.frame-too-large")
    public static let h2FrameOverBuffer = Anomaly("h2.frame-over-buffer-limit")
    public static let h2ReservedBit = Anomaly("h2.reserved-bit-set")
    public static let h2BadSettingsLength = Anomaly("h2.bad-settings-length")
    public static let h2BadSettingsValue = Anomaly("h2.bad-settings-value")
    public static let h2BadPingLength = Anomaly("h2.bad-ping-length")
    public static let h2BadWindowUpdateLength = Anomaly("h2.bad-window-update-length")
    public static let h2ZeroWindowIncrement = Anomaly("h2.zero-window-increment")
    public static let h2BadRstLength = Anomaly("h2.bad-rst-stream-length")
    public static let h2BadPriorityLength = Anomaly("h2.bad-priority-length")
    public static let h2BadGoawayLength = Anomaly("h2.bad-goaway-length")
    public static let h2BadPadding = Anomaly("h2.bad-padding")
    public static let h2BadStreamID = Anomaly("h2.bad-stream-id")
    public static let h2ContinuationExpected = Anomaly("h2.continuation-expected")
    public static let h2UnexpectedContinuation = Anomaly("h2.unexpected-continuation")
    public static let h2HeaderBlockTooLarge = Anomaly("h2.header-block-too-large")
    public static let h2HPACKError = Anomaly("h2.hpack-error")
    public static let h2HPACKTableSizeAboveSetting = Anomaly("h2.hpack-table-size-above-setting")
    public static let h2BadPreface = Anomaly("h2.bad-preface")
    public static let h2Resync = Anomaly("h2.resynchronised")
    public static let h2ResyncSkippedBytes = Anomaly("h2.resync-skipped-bytes")
    public static let h2Unsynchronised = Anomaly("h2.unsynchronised")
    public static let h2Gap = Anomaly("h2.capture-gap")
    public static let h2FlowControlViolation = Anomaly("h2.flow-control-violation")
    public static let h2WindowOverflow = Anomaly("h2.window-overflow")
    public static let h2UnknownFrameType = Anomaly("h2.unknown-frame-type")
    public static let h2UpgradeRefused = Anomaly("h2.upgrade-not-accepted")
    public static let h2StreamsDropped = Anomaly("h2.streams-limit")
    public static let h2TruncatedAtEnd = Anomaly("h2.truncated-frame-at-end")
}
