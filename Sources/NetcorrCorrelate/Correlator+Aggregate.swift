import NetcorrCore

extension Correlator {
    /// Many findings of one cause against one server are one story ("12,239 lookups failed with NXDOMAIN at
    /// 10.0.0.10:53"), not twelve thousand blocks: past `options.aggregateAbove` they are folded into one finding
    /// that counts them, names examples and keeps a bounded sample of their evidence.
    mutating func aggregate() {
        struct Key: Hashable { var cause: Cause; var layer: Layer; var server: Endpoint? }
        let groups = Dictionary(grouping: findings.indices, by: { Key(cause: findings[$0].cause, layer: findings[$0].layer, server: findings[$0].flow.server) })
        var fold: Set<Int> = []
        var merged: [Finding] = []
        for (k, idx) in groups where idx.count > options.aggregateAbove {
            let list = idx.map { findings[$0] }.sorted { ($0.start ?? Timestamp(nanoseconds: .max)) < ($1.start ?? Timestamp(nanoseconds: .max)) }
            fold.formUnion(idx)
            let hosts = Array(Set(list.compactMap(\.flow.host))).sorted()
            let recovered = list.filter(\.recovered).count
            var f = Finding(layer: k.layer, cause: k.cause,
                            summary: "\(list.count) failures of this kind" + (k.server.map { " with \($0)" } ?? "")
                                + (hosts.isEmpty ? "" : " (\(hosts.count) name\(hosts.count == 1 ? "" : "s"): \(hosts.prefix(5).joined(separator: ", "))\(hosts.count > 5 ? ", …" : ""))")
                                + (recovered > 0 ? "; \(recovered) recovered late" : "") + ". First: " + list[0].summary,
                            start: list.first?.start, end: list.compactMap(\.end).max(),
                            flow: FlowRef(server: k.server, transport: list[0].flow.transport, host: hosts.count == 1 ? hosts[0] : nil))
            f.recovered = recovered == list.count
            for x in list.prefix(options.aggregateExamples) {
                f.timeline.append(TimelineEntry(ts: x.start, frame: x.packets.first, text: "example: " + x.summary))
                for p in x.packets.prefix(20) where !f.packets.contains(p) { f.packets.append(p) }
                for l in x.logLines.prefix(5) where !f.logLines.contains(l) { f.logLines.append(l) }
            }
            if list.count > options.aggregateExamples {
                f.timeline.append(TimelineEntry(ts: list.last?.start, frame: list.last?.packets.first,
                                                text: "… \(list.count - options.aggregateExamples) more like these, the last one: " + (list.last?.summary ?? "")))
            }
            f.nextSteps = list[0].nextSteps
            f.toSettle = list[0].toSettle
            merged.append(f)
        }
        guard !fold.isEmpty else { return }
        findings = findings.indices.filter { !fold.contains($0) }.map { findings[$0] } + merged
    }
}
