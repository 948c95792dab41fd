import NetcorrCore

/// Where a failure lies.
public enum Layer: String, Sendable, Hashable, CaseIterable {
    /// The request left this host and the network failed to deliver it or its answer.
    case network
    /// The far host or service answered, with an error or too late.
    case service
    /// The request never left this host although the program tried, or the program itself stalled.
    case local
}

/// What failed: an open set of names (docs/CAUSES.md documents each: meaning, rule, what to check next).
public struct Cause: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    public static let dnsNoResponse = Cause("dns.no-response")
    public static let dnsNotSent = Cause("dns.not-sent")
    public static let dnsPortUnreachable = Cause("dns.port-unreachable")
    public static let dnsServfail = Cause("dns.servfail")
    public static let dnsRefused = Cause("dns.refused")
    public static let dnsNXDomain = Cause("dns.nxdomain")
    public static let dnsLateResponse = Cause("dns.late-response")
    public static let dnsTruncatedRetryFailed = Cause("dns.truncated-retry-failed")
    public static let dnsReplyIgnored = Cause("dns.reply-ignored")
    public static let tcpSynTimeout = Cause("tcp.syn-timeout")
    public static let tcpRefused = Cause("tcp.refused")
    public static let tcpReset = Cause("tcp.reset")
    public static let tcpRetransmissionTimeout = Cause("tcp.retransmission-timeout")
    public static let tcpZeroWindow = Cause("tcp.zero-window")
    public static let tcpNotSent = Cause("tcp.not-sent")
    public static let h2GoAway = Cause("h2.goaway")
    public static let h2RstStream = Cause("h2.rst-stream")
    public static let h2Status5xx = Cause("h2.status-5xx")
    public static let h2GrpcError = Cause("h2.grpc-error")
    public static let h2PingTimeout = Cause("h2.ping-timeout")
    public static let h2SettingsTimeout = Cause("h2.settings-timeout")
    public static let h2FlowControlStall = Cause("h2.flow-control-stall")
    public static let h2ConnClosed = Cause("h2.conn-closed")
    public static let h2NotSent = Cause("h2.not-sent")
    public static let h2ProgramStalled = Cause("h2.program-stalled")
}

/// A log line cited as evidence.
public struct LogRef: Hashable, Sendable, Comparable {
    public var file: String
    public var line: Int
    public init(file: String, line: Int) { self.file = file; self.line = line }
    public static func < (a: LogRef, b: LogRef) -> Bool { (a.file, a.line) < (b.file, b.line) }
}

/// One moment in a finding's story: a packet or a log line.
public struct TimelineEntry: Sendable, Hashable {
    /// Capture time (log times are shifted by the clock offset); nil for a log line with no time.
    public var ts: Timestamp?
    public var frame: Int?
    public var log: LogRef?
    public var text: String
    public init(ts: Timestamp?, frame: Int? = nil, log: LogRef? = nil, text: String) {
        self.ts = ts; self.frame = frame; self.log = log; self.text = text
    }
}

/// The flow a finding is about.
public struct FlowRef: Sendable, Hashable {
    public var client: Endpoint?
    public var server: Endpoint?
    public var transport: Transport?
    public var host: String?
    public var stream: UInt32?
    public init(client: Endpoint? = nil, server: Endpoint? = nil, transport: Transport? = nil, host: String? = nil,
                stream: UInt32? = nil) {
        self.client = client; self.server = server; self.transport = transport; self.host = host; self.stream = stream
    }
}

/// A failure, named and proved.
public struct Finding: Sendable {
    public var layer: Layer
    public var cause: Cause
    /// A headline in plain words.
    public var summary: String
    public var start: Timestamp?
    public var end: Timestamp?
    public var flow: FlowRef
    public var packets: [Int]
    public var logLines: [LogRef]
    public var timeline: [TimelineEntry]
    /// What to check next, most useful first.
    public var nextSteps: [String]
    /// What would settle it when the evidence is thin (a GODEBUG switch, another capture point).
    public var toSettle: [String]
    /// A lookup or request that eventually succeeded (the failure cost time, not the result).
    public var recovered: Bool

    public init(layer: Layer, cause: Cause, summary: String, start: Timestamp?, end: Timestamp?, flow: FlowRef) {
        self.layer = layer; self.cause = cause; self.summary = summary; self.start = start; self.end = end
        self.flow = flow; packets = []; logLines = []; timeline = []; nextSteps = []; toSettle = []; recovered = false
    }

    mutating func cite(frame: Int, ts: Timestamp, _ text: String) {
        if !packets.contains(frame) { packets.append(frame) }
        timeline.append(TimelineEntry(ts: ts, frame: frame, text: text))
    }

    mutating func cite(log e: LogEvent, ts: Timestamp?, _ text: String) {
        let ref = LogRef(file: e.file, line: e.line)
        if !logLines.contains(ref) { logLines.append(ref) }
        timeline.append(TimelineEntry(ts: ts, log: ref, text: text))
    }
}
