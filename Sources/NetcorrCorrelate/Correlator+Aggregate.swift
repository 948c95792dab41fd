import NetcorrCore

/// Many findings of one cause against one server are one story ("12,239 lookups failed with NXDOMAIN at
/// 10.0.0.10:53"), not twelve thousand blocks: past `above` they are folded into one finding that counts them,
/// names examples and keeps a bounded sample of their evidence.
///
/// Folding happens as findings arrive, so memory holds at most `above + 1` findings per cause and server
/// (the earliest `examples` and the latest once a group is past `above`), not every failure of the capture.
struct FindingFolder {
    struct Key: Hashable { var cause: Cause; var layer: Layer; var server: Endpoint? }
    /// What folding reads of a finding; the rest of a deferred one is built only if the result shows it.
    struct Head {
        var key: Key
        var start: Timestamp?
        var end: Timestamp?
        var host: String?
        var recovered: Bool
    }
    enum Body { case built(Finding), later(Int) }
    struct Item { var seq: Int; var start: Timestamp?; var body: Body }
    struct Group {
        var count = 0
        /// Every finding while `count <= above` (in arrival order); past it the earliest `examples` by start, sorted.
        var kept: [Item] = []
        var latest: Item?
        var hosts: Set<String> = []
        var recovered = 0
        var end: Timestamp?

        /// Takes `item`; calls `released` with each item (this one or an earlier one) that the result can no longer
        /// show: neither kept nor the latest.
        mutating func take(_ item: Item, _ h: Head, above: Int, examples: Int, released: (Item) -> Void) {
            count += 1
            if let x = h.host { hosts.insert(x) }
            if h.recovered { recovered += 1 }
            if let e = h.end, end == nil || end! < e { end = e }
            if latest == nil || FindingFolder.before(latest!, item) {
                if let old = latest, count > above + 1, !kept.contains(where: { $0.seq == old.seq }) { released(old) }
                latest = item
            }
            guard count > above else { kept.append(item); return }
            if count == above + 1 { kept.sort(by: FindingFolder.before) }
            // Sorted insert of the new one; the list keeps the earliest `examples`.
            var lo = 0, hi = kept.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if FindingFolder.before(kept[mid], item) { lo = mid + 1 } else { hi = mid }
            }
            if lo < examples { kept.insert(item, at: lo) } else if latest?.seq != item.seq { released(item) }
            if kept.count > examples {
                for x in kept[examples...] where latest?.seq != x.seq { released(x) }
                kept.removeLast(kept.count - examples)
            }
        }
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
        let x = a.start ?? Timestamp(nanoseconds: .max), y = b.start ?? Timestamp(nanoseconds: .max)
        return x < y || (x == y && a.seq < b.seq)
    }

    mutating func add(_ f: Finding) {
        add(Head(key: Key(cause: f.cause, layer: f.layer, server: f.flow.server), start: f.start, end: f.end,
                 host: f.flow.host, recovered: f.recovered), .built(f))
    }

    /// A finding built by `result`'s `build` with `id`, if the result shows it. Returns the ids of findings added
    /// this way that the result will no longer show (what `build` needs for them can be let go).
    mutating func add(_ head: Head, later id: Int) -> [Int] {
        var gone: [Int] = []
        add(head, .later(id)) { if case .later(let x) = $0.body { gone.append(x) } }
        return gone
    }

    mutating func add(_ h: Head, _ body: Body, released: (Item) -> Void = { _ in }) {
        seq += 1
        let item = Item(seq: seq, start: h.start, body: body)
        // In place: one hash of the key, no copy of the group out and back.
        groups[h.key, default: Group()].take(item, h, above: above, examples: examples, released: released)
    }

    /// Groups of at most `above` as they came (in arrival order), then one folded finding per larger group.
    /// `build` makes the findings added with `add(_:later:)` that the result shows.
    func result(build: (Int) -> Finding) -> [Finding] {
        func finding(_ i: Item) -> Finding {
            switch i.body {
            case .built(let f): return f
            case .later(let id): return build(id)
            }
        }
        var single: [(seq: Int, f: Finding)] = []
        var merged: [Finding] = []
        for (k, g) in groups {
            guard g.count > above else { single += g.kept.map { ($0.seq, finding($0)) }; continue }
            let list = g.kept.sorted(by: Self.before).map(finding)
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
            if g.count > examples, let last = g.latest.map(finding) {
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
