import NetcorrCore

/// The offset between a log's clock and the capture's, estimated from matched pairs (log time, packet time):
/// the median of the differences after rejecting outliers more than `3 × MAD` (at least `floor`) from the
/// first median. Robust against a few wrong matches; with no pairs there is no estimate.
public struct ClockOffsetEstimate: Sendable, Hashable {
    /// Add this to a log time to get capture time.
    public var offset: Duration
    public var pairsUsed: Int
    public var pairsRejected: Int
    /// Median absolute deviation of the kept pairs: how well the two clocks agree once aligned.
    public var spread: Duration

    public static func estimate(_ pairs: [(log: Timestamp, wire: Timestamp)], floor: Duration = .milliseconds(50)) -> ClockOffsetEstimate? {
        guard !pairs.isEmpty else { return nil }
        let d = pairs.map { $0.wire.nanoseconds &- $0.log.nanoseconds }.sorted()
        let med = d[d.count / 2]
        let dev = d.map { abs($0 &- med) }.sorted()
        let mad = dev[dev.count / 2]
        let bound = max(3 * mad, floor.nanoseconds)
        let kept = d.filter { abs($0 &- med) <= bound }
        let m2 = kept[kept.count / 2]
        let spread = kept.map { abs($0 &- m2) }.sorted()[kept.count / 2]
        return ClockOffsetEstimate(offset: Duration(nanoseconds: m2), pairsUsed: kept.count,
                                   pairsRejected: d.count - kept.count, spread: Duration(nanoseconds: spread))
    }
}
