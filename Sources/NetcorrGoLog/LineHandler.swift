import NetcorrCore

/// What `GoLogReader` (a whole file) and `LogFollower` (a growing one) do with each complete line: the
/// `netcorr run` header, CRI partial lines joined, prefixes split, the line classified, lines without a time
/// given the time of the line before (or held until the first stamped line), and everything counted.
struct LineHandler {
    let path: String
    var parser: GoLogLineParser
    var stats = GoLogStats()
    var partial: [UInt8] = []
    var lastTs: Timestamp?
    var held: [LogEvent] = []
    /// Events ready to be taken.
    var out: [LogEvent] = []
    var lineNumber = 0
    let emitUnknown: Bool

    init(path: String, options: GoLogOptions) {
        self.path = path
        parser = GoLogLineParser(options: options)
        emitUnknown = options.includeUnknown
    }

    /// The end: lines still waiting for a time are given none.
    mutating func releaseHeld() {
        for var e in held { e.tsSource = .none; emit(e) }
        held.removeAll()
    }

    /// One complete line (without its newline). `firstOfFile`: the first line of its file, where the `netcorr run`
    /// header may stand.
    mutating func handle(_ raw: Bytes, firstOfFile: Bool) {
        lineNumber += 1
        stats.lines += 1
        var p = raw
        while p.count > 0, p[p.count - 1] == 13 { p = p.sub(0, p.count - 1) }
        if p.count == 0 { stats.emptyLines += 1; return }
        if firstOfFile, p.hasPrefix(runHeader) {
            if parser.options.stampedByRun == nil { parser.runStamped = true }
            return
        }
        if !isPlainASCII(p) && String(validating: p, as: UTF8.self) == nil { stats.invalidUTF8Lines += 1 }
        let pre = parser.splitPrefix(p)
        if pre.cri && pre.partial {
            stats.partialFragments += 1
            let m = p.from(pre.messageStart)
            let room = parser.options.maxLineBytes - partial.count
            if room > 0 { partial.append(contentsOf: m.sub(0, room)) }
            return
        }
        var ev: LogEvent
        if let jm = pre.jsonMessage {
            ev = jm.withUnsafeBufferPointer { parser.classify(message: $0, file: path, line: lineNumber) }
        } else if pre.cri && !partial.isEmpty {
            let room = parser.options.maxLineBytes - partial.count
            if room > 0 { partial.append(contentsOf: p.from(pre.messageStart).sub(0, room)) }
            // A joined CRI line may itself carry a Go log prefix inside.
            let joined = partial
            partial.removeAll(keepingCapacity: true)
            ev = joined.withUnsafeBufferPointer { jb in
                let inner = parser.splitPrefix(jb)
                if let jm = inner.jsonMessage {
                    return jm.withUnsafeBufferPointer { parser.classify(message: $0, file: path, line: lineNumber) }
                }
                return parser.classify(message: jb.from(inner.messageStart), file: path, line: lineNumber)
            }
        } else {
            ev = parser.classify(message: p.from(pre.messageStart), file: path, line: lineNumber)
        }
        ev.ts = pre.ts
        ev.tsSource = pre.source
        ev.stream = pre.stream
        let keep = ev.kind != .unknown || emitUnknown
        if ev.kind == .unknown { stats.unknownLines += 1 }
        if let ts = ev.ts {
            lastTs = ts
            if !held.isEmpty {
                for var h in held { h.ts = ts; h.tsSource = .interpolated; emit(h) }
                held.removeAll()
            }
            if keep { emit(ev) }
        } else if keep {
            if let lastTs {
                ev.ts = lastTs; ev.tsSource = .interpolated
                emit(ev)
            } else if held.count < parser.options.maxHeldLines {
                held.append(ev)
            } else {
                emit(ev)
            }
        }
    }

    mutating func emit(_ e: LogEvent) {
        stats.events += 1
        switch e.tsSource {
        case .prefix, .run: stats.timestamped += 1
        case .interpolated: stats.interpolated += 1
        case .none: stats.untimed += 1
        }
        stats.kinds[e.kind, default: 0] += 1
        if let k = e.errorKind { stats.errorKinds[k, default: 0] += 1 }
        out.append(e)
    }
}
