import NetcorrCore

/// Many findings of one cause against one server are one story ("12,239 lookups failed with NXDOMAIN at
/// 10.0.0.10:53"), not twelve thousand blocks: past `above` they are folded into one finding that counts them,
/// names examples and keeps a bounded sample of their evidence.
///
/// Folding happens as findings arrive, so memory holds at most `above + 1` findings per cause and server
/// (the earliest `examples` and the latest once a group is past `above`), not every failure of the capture.
struct FindingFolder {
    struct Key: Hashable { var cause: Cause; var layer: Layer; var server: Endpoint? }
    typealias Item = (seq: Int, f: Finding)
    struct Group {
        var count = 0
        /// Every finding while `count <= above`; past it the earliest `examples` by start.
        var kept: [Item] = []
        var latest: Item?
        var hosts: Set<String> = []
        var recovered = 0
        var end: Timestamp?
    }
    let above: Int
    let examples: Int
    var groups: [Key: Group] = [:]
    var seq = 0

    init(above: Int, examples: Int) {
        self.above = above
        self.examples = examples
    }

    /// Earlier start first; equal starts in the order they arrived.
    static func before(_ a: Item, _ b: Item) -> Bool {
        let x = a.f.start ?? Timestamp(nanoseconds: .max), y = b.f.start ?? Timestamp(nanoseconds: .max)
        return x < y || (x == y && a.seq < b.seq)
    }

    mutating func add(_ f: Finding) {
        let k = Key(cause: f.cause, layer: f.layer, server: f.flow.server)
        var g = groups.removeValue(forKey: k) ?? Group()
        seq += 1
        let item = (seq, f)
        g.count += 1
        if let h = f.flow.host { g.hosts.insert(h) }
        if f.recovered { g.recovered += 1 }
        if let e = f.end, g.end == nil || g.end! < e { g.end = e }
        if g.latest == nil || Self.before(g.latest!, item) { g.latest = item }
        g.kept.append(item)
        if g.count > above && g.kept.count > examples {
            g.kept.sort(by: Self.before)
            g.kept.removeLast(g.kept.count - examples)
        }
        groups[k] = g
    }

    /// Groups of at most `above` as they came (in arrival order), then one folded finding per larger group.
    func result() -> [Finding] {
        var single: [Item] = []
        var merged: [Finding] = []
        for (k, g) in groups {
            guard g.count > above else { single += g.kept; continue }
            let list = g.kept.sorted(by: Self.before).map(\.f)
            let hosts = g.hosts.sorted()
            var f = Finding(layer: k.layer, cause: k.cause,
                            summary: "\(g.count) failures of this kind" + (k.server.map { " with \($0)" } ?? "")
                                + (hosts.isEmpty ? "" : " (\(hosts.count) name\(hosts.count == 1 ? "" : "s"): \(hosts.prefix(5).joined(separator: ", "))\(hosts.count > 5 ? ", …" : ""))")
                                + (g.recovered > 0 ? "; \(g.recovered) recovered late" : "") + ". First: " + list[0].summary,
                            start: list[0].start, end: g.end,
                            flow: FlowRef(server: k.server, transport: list[0].flow.transport, host: hosts.count == 1 ? hosts[0] : nil))
            f.recovered = g.recovered == g.count
            for x in list {
                f.timeline.append(TimelineEntry(ts: x.start, frame: x.packets.first, text: "example: " + x.summary))
                for p in x.packets.prefix(20) where !f.packets.contains(p) { f.packets.append(p) }
                for l in x.logLines.prefix(5) where !f.logLines.contains(l) { f.logLines.append(l) }
            }
            if g.count > examples, let last = g.latest?.f {
                f.timeline.append(TimelineEntry(ts: last.start, frame: last.packets.first,
                                                text: "… \(g.count - examples) more like these, the last one: " + last.summary))
            }
            f.nextSteps = list[0].nextSteps
            f.toSettle = list[0].toSettle
            merged.append(f)
        }
        return single.sorted { $0.seq < $1.seq }.map(\.f) + merged
    }
}
