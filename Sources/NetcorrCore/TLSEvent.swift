/// TLS recognised, not decrypted: what the handshake shows in clear and the record sizes and times.
/// Produced by NetcorrTLS's `TLSStreamObserver`.

/// TLS record content types (an open set).
public struct TLSContentType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt8
    @inlinable public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let changeCipherSpec = TLSContentType(rawValue: 20)
    public static let alert = TLSContentType(rawValue: 21)
    public static let handshake = TLSContentType(rawValue: 22)
    public static let applicationData = TLSContentType(rawValue: 23)
    public static let heartbeat = TLSContentType(rawValue: 24)
    public var description: String {
        switch rawValue {
        case 20: "change_cipher_spec"; case 21: "alert"; case 22: "handshake"; case 23: "application_data"
        case 24: "heartbeat"; default: "content_type_\(rawValue)"
        }
    }
}

/// A protocol version as on the wire (0x0303 = TLS 1.2, 0x0304 = TLS 1.3).
public struct TLSVersion: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16
    @inlinable public init(rawValue: UInt16) { self.rawValue = rawValue }
    public static let ssl3 = TLSVersion(rawValue: 0x0300), tls10 = TLSVersion(rawValue: 0x0301)
    public static let tls11 = TLSVersion(rawValue: 0x0302), tls12 = TLSVersion(rawValue: 0x0303)
    public static let tls13 = TLSVersion(rawValue: 0x0304)
    public static func < (a: TLSVersion, b: TLSVersion) -> Bool { a.rawValue < b.rawValue }
    /// GREASE values (RFC 8701): 0x?a?a.
    public var isGrease: Bool { rawValue & 0x0f0f == 0x0a0a && rawValue >> 8 == rawValue & 0xff }
    public var description: String {
        switch rawValue {
        case 0x0300: "SSL 3.0"; case 0x0301: "TLS 1.0"; case 0x0302: "TLS 1.1"; case 0x0303: "TLS 1.2"
        case 0x0304: "TLS 1.3"
        default: isGrease ? "GREASE" : "0x" + String(rawValue, radix: 16)
        }
    }
}

/// A record's size and where it was completed (the packet holding its last byte).
public struct TLSRecordSize: Hashable, Sendable {
    public var frame: Int
    public var ts: Timestamp
    /// Record payload length (the 5-byte header excluded).
    public var length: Int
    @inlinable public init(frame: Int, ts: Timestamp, length: Int) { self.frame = frame; self.ts = ts; self.length = length }
}

/// An unencrypted alert (before ChangeCipherSpec / encrypted handshake), or the fact that an encrypted one was sent.
public struct TLSAlert: Hashable, Sendable {
    public var direction: FlowDirection
    public var frame: Int
    public var ts: Timestamp
    /// nil when the alert record was encrypted (only its existence and size are known).
    public var level: UInt8?
    public var description: UInt8?
    public var encrypted: Bool
    public init(direction: FlowDirection, frame: Int, ts: Timestamp, level: UInt8?, description: UInt8?, encrypted: Bool) {
        self.direction = direction; self.frame = frame; self.ts = ts; self.level = level
        self.description = description; self.encrypted = encrypted
    }
    /// RFC 8446 §6 alert names ("handshake_failure", "unrecognized_name", …).
    public var name: String? { description.map(Self.name) }
    public static func name(_ d: UInt8) -> String {
        switch d {
        case 0: "close_notify"; case 10: "unexpected_message"; case 20: "bad_record_mac"
        case 22: "record_overflow"; case 40: "handshake_failure"; case 42: "bad_certificate"
        case 43: "unsupported_certificate"; case 44: "certificate_revoked"; case 45: "certificate_expired"
        case 46: "certificate_unknown"; case 47: "illegal_parameter"; case 48: "unknown_ca"
        case 49: "access_denied"; case 50: "decode_error"; case 51: "decrypt_error"
        case 70: "protocol_version"; case 71: "insufficient_security"; case 80: "internal_error"
        case 86: "inappropriate_fallback"; case 90: "user_canceled"; case 109: "missing_extension"
        case 110: "unsupported_extension"; case 112: "unrecognized_name"; case 113: "bad_certificate_status_response"
        case 115: "unknown_psk_identity"; case 116: "certificate_required"; case 120: "no_application_protocol"
        default: "alert_\(d)"
        }
    }
}

/// Record counters of one direction.
public struct TLSDirectionStats: Sendable {
    public var records: Int = 0
    public var bytes: Int = 0
    public var handshakeRecords: Int = 0
    public var applicationDataRecords: Int = 0
    public var applicationDataBytes: Int = 0
    public var firstTs: Timestamp?
    public var lastTs: Timestamp?
    /// First application_data record time (the end of the handshake as far as this side is concerned).
    public var firstApplicationDataTs: Timestamp?
    /// application_data records in order, at most `TLSLimits.maxRecordSizesKept`; `recordSizesDropped` counts the rest.
    public var applicationData: [TLSRecordSize] = []
    public var recordSizesDropped: Int = 0
    public init() {}
}

/// One TLS connection as seen so far (the observer's `summary`) or at its end.
public struct TLSEvent: Sendable {
    public var client: Endpoint
    public var server: Endpoint
    /// The ClientHello's frame and time (nil when none was seen: joined mid-connection).
    public var clientHelloFrame: Int?
    public var clientHelloTs: Timestamp?
    public var serverHelloFrame: Int?
    public var serverHelloTs: Timestamp?
    public var sni: String?
    /// ALPN protocols the client offered, in order.
    public var alpnOffered: [String]
    /// ALPN the server selected: visible in a TLS 1.2 ServerHello only. In TLS 1.3 it is in the encrypted
    /// EncryptedExtensions: then nil and `alpnSelectedEncrypted` is true.
    public var alpnSelected: String?
    public var alpnSelectedEncrypted: Bool
    /// ClientHello legacy_version and supported_versions (GREASE removed).
    public var clientLegacyVersion: TLSVersion?
    public var clientSupportedVersions: [TLSVersion]
    /// The version the server chose: supported_versions of the ServerHello, else its legacy version.
    public var selectedVersion: TLSVersion?
    public var cipherSuite: UInt16?
    /// The ServerHello was a HelloRetryRequest (TLS 1.3).
    public var helloRetryRequest: Bool
    public var alerts: [TLSAlert]
    /// [fromInitiator, fromResponder]
    public var stats: [TLSDirectionStats]
    public var anomalies: AnomalyCounts
    public init(client: Endpoint, server: Endpoint) {
        self.client = client; self.server = server; alpnOffered = []; alpnSelectedEncrypted = false
        clientSupportedVersions = []; helloRetryRequest = false; alerts = []
        stats = [TLSDirectionStats(), TLSDirectionStats()]; anomalies = AnomalyCounts()
    }
}

extension Anomaly {
    public static let tlsBadRecordHeader = Anomaly("tls.bad-record-header")
    public static let tlsRecordTooLong = Anomaly("tls.record-too-long")
    public static let tlsHelloTooLarge = Anomaly("tls.hello-over-limit")
    public static let tlsBadHello = Anomaly("tls.bad-hello")
    public static let tlsGap = Anomaly("tls.capture-gap")
    public static let tlsTruncatedAtEnd = Anomaly("tls.truncated-record-at-end")
}

/// One TLS record as seen on the wire (emitted by the observer as each record completes).
public struct TLSRecordEvent: Sendable {
    public var frame: Int
    public var ts: Timestamp
    public var direction: FlowDirection
    public var contentType: TLSContentType
    /// Record-layer version (0x0303 for everything after the first ClientHello in TLS 1.3).
    public var version: TLSVersion
    public var length: Int
    /// For handshake records in clear: the first handshake message type in the record (1 ClientHello,
    /// 2 ServerHello, 11 Certificate, …); nil when encrypted or not a handshake record.
    public var handshakeType: UInt8?
    public init(frame: Int, ts: Timestamp, direction: FlowDirection, contentType: TLSContentType, version: TLSVersion,
                length: Int, handshakeType: UInt8?) {
        self.frame = frame; self.ts = ts; self.direction = direction; self.contentType = contentType
        self.version = version; self.length = length; self.handshakeType = handshakeType
    }
}
