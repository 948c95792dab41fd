import NetcorrCore

/// Bounds on IP fragment reassembly.
public struct FragmentLimits: Sendable {
    public var maxDatagrams: Int = 1024
    public var maxDatagramBytes: Int = 65_535 + 8
    public var timeout: Duration = .seconds(30)
    public init() {}
}

/// Reassembles fragmented IPv4/IPv6 datagrams (the upper-layer payload, i.e. what follows the IP header and
/// extension headers). Fragments are copied: this is the one copy that reassembly needs.
public struct FragmentReassembler {
    struct Key: Hashable { var src: IPAddress; var dst: IPAddress; var proto: UInt8; var id: UInt32 }
    struct Partial {
        var buffer: [UInt8] = []
        var have: [Range<Int>] = []
        var total: Int?
        var first: Timestamp
        /// For the first fragment's IP header info.
        var overlap = false
    }
    var partials: [Key: Partial] = [:]
    public let limits: FragmentLimits
    public private(set) var dropped = 0

    public init(limits: FragmentLimits = .init()) { self.limits = limits }

    public enum Result {
        case incomplete
        case complete([UInt8])
        case invalid(Anomaly)
    }

    /// Adds a fragment's payload. Returns the whole upper-layer payload when this fragment completes it.
    public mutating func add(_ ip: IPHeader, payload: Span<UInt8>, ts: Timestamp) -> Result {
        guard let f = ip.fragment else { return .invalid(.ipBadHeader) }
        let key = Key(src: ip.src, dst: ip.dst, proto: ip.proto, id: f.id)
        let end = f.offset + payload.count
        guard end <= limits.maxDatagramBytes else { return .invalid(.ipBadHeader) }
        if partials[key] == nil {
            if partials.count >= limits.maxDatagrams { expire(before: ts - limits.timeout) }
            if partials.count >= limits.maxDatagrams { dropped += 1; return .invalid(.ipFragmentsIncomplete) }
            partials[key] = Partial(first: ts)
        }
        var p = partials.removeValue(forKey: key)!
        if p.buffer.count < end { p.buffer.append(contentsOf: repeatElement(0, count: end - p.buffer.count)) }
        for i in 0..<payload.count { p.buffer[f.offset + i] = payload[i] }
        if p.have.contains(where: { $0.overlaps(f.offset..<end) }) { p.overlap = true }
        p.have.append(f.offset..<end)
        if !f.more { p.total = end }
        if let total = p.total, covered(p.have, total) {
            return .complete(Array(p.buffer.prefix(total)))
        }
        partials[key] = p
        return .incomplete
    }

    func covered(_ ranges: [Range<Int>], _ total: Int) -> Bool {
        var reach = 0
        for r in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if r.lowerBound > reach { return false }
            reach = max(reach, r.upperBound)
        }
        return reach >= total
    }

    public mutating func expire(before t: Timestamp) {
        let n = partials.count
        partials = partials.filter { $0.value.first >= t }
        dropped += n - partials.count
    }

    public var pending: Int { partials.count }
}
