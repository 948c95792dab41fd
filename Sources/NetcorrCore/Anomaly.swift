/// A named thing that was not as it should be, counted rather than thrown (Zeek's "weird").
public struct Anomaly: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    public static let linkUnknown = Anomaly("link.unknown-type")
    public static let linkTruncated = Anomaly("link.truncated")
    public static let etherTypeUnknown = Anomaly("link.unknown-ethertype")
    public static let ipTruncated = Anomaly("ip.truncated")
    public static let ipBadHeader = Anomaly("ip.bad-header")
    public static let ipProtocolUnknown = Anomaly("ip.unknown-protocol")
    public static let ipFragmentsIncomplete = Anomaly("ip.fragments-incomplete")
    public static let ipFragmentOverlap = Anomaly("ip.fragment-overlap")
    public static let udpTruncated = Anomaly("udp.truncated")
    public static let tcpTruncated = Anomaly("tcp.truncated")
    public static let tcpBadOffset = Anomaly("tcp.bad-data-offset")
    public static let icmpTruncated = Anomaly("icmp.truncated")
    public static let snaplenTruncated = Anomaly("capture.snaplen-truncated")
    public static let dnsTruncated = Anomaly("dns.truncated-message")
    public static let dnsCompressionLoop = Anomaly("dns.compression-loop")
    public static let dnsForwardPointer = Anomaly("dns.forward-pointer")
    public static let dnsNameTooLong = Anomaly("dns.name-too-long")
    public static let dnsBadLabel = Anomaly("dns.bad-label")
    public static let dnsRecordOverrun = Anomaly("dns.record-overrun")
    public static let dnsBadEDNSOption = Anomaly("dns.bad-edns-option")
    public static let dnsTCPLengthShort = Anomaly("dns.tcp-length-too-short")
    public static let tcpReassemblyOverflow = Anomaly("tcp.reassembly-limit")
    public static let tcpGap = Anomaly("tcp.gap")
}

/// Counts of anomalies with the first few packets each was seen in.
public struct AnomalyCounts: Sendable {
    public private(set) var counts: [Anomaly: Int] = [:]
    public private(set) var firstFrames: [Anomaly: [Int]] = [:]
    public init() {}
    public mutating func add(_ a: Anomaly, frame: Int) {
        counts[a, default: 0] += 1
        if firstFrames[a, default: []].count < 5 { firstFrames[a, default: []].append(frame) }
    }
    public mutating func merge(_ other: AnomalyCounts) {
        for (k, v) in other.counts { counts[k, default: 0] += v }
        for (k, v) in other.firstFrames { firstFrames[k, default: []] += v.prefix(5 - min(5, firstFrames[k, default: []].count)) }
    }
    public var total: Int { counts.values.reduce(0, +) }
    public var sorted: [(Anomaly, Int)] { counts.sorted { $0.key.rawValue < $1.key.rawValue }.map { ($0.key, $0.value) } }
}
