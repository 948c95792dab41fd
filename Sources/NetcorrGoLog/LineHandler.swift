import NetcorrCore

/// What `GoLogReader` (a whole file) and `LogFollower` (a growing one) do with each complete line: the
/// `netcorr run` header, CRI partial lines joined, prefixes split, the line classified, lines without a time
/// given the time of the line before (or held until the first stamped line), and everything counted.
struct LineHandler {
    let path: String
    var parser: GoLogLineParser
    /// Everything but `kinds` and `errorKinds`, which are tallied apart (see `stats`).
    var counts = GoLogStats()
    private var kindTally = Tally<LogEventKind>(), errorTally = Tally<GoErrorKind>()
    var partial: [UInt8] = []
    var lastTs: Timestamp?
    var held: [LogEvent] = []
    /// Events ready to be taken.
    let out = EventQueue()
    var lineNumber = 0
    let emitUnknown: Bool

    var stats: GoLogStats {
        var s = counts
        s.kinds = kindTally.dictionary
        s.errorKinds = errorTally.dictionary
        return s
    }

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
        counts.lines += 1
        var p = raw
        while p.count > 0, p[p.count - 1] == 13 { p = p.sub(0, p.count - 1) }
        if p.count == 0 { counts.emptyLines += 1; return }
        if firstOfFile, p.hasPrefix(runHeader) {
            if parser.options.stampedByRun == nil { parser.runStamped = true }
            return
        }
        if !isPlainASCII(p) && String(validating: p, as: UTF8.self) == nil { counts.invalidUTF8Lines += 1 }
        let pre = parser.splitPrefix(p)
        if pre.cri && pre.partial {
            counts.partialFragments += 1
            let m = p.from(pre.messageStart)
            let room = parser.options.maxLineBytes - partial.count
            if room > 0 { partial.append(contentsOf: m.sub(0, room)) }
            return
        }
        if let jm = pre.jsonMessage {
            jm.withUnsafeBufferPointer { add($0, pre) }
        } else if pre.cri && !partial.isEmpty {
            let room = parser.options.maxLineBytes - partial.count
            if room > 0 { partial.append(contentsOf: p.from(pre.messageStart).sub(0, room)) }
            // A joined CRI line may itself carry a Go log prefix inside.
            let joined = partial
            partial.removeAll(keepingCapacity: true)
            joined.withUnsafeBufferPointer { jb in
                let inner = parser.splitPrefix(jb)
                if let jm = inner.jsonMessage {
                    jm.withUnsafeBufferPointer { add($0, pre) }
                } else {
                    add(jb.from(inner.messageStart), pre)
                }
            }
        } else {
            add(p.from(pre.messageStart), pre)
        }
    }

    /// Recognises the message and times the event (or holds it). The event is built and filled in the queue's
    /// next slot and handed out by leaving it there; held, it is moved into `held`, dropped, destroyed in place
    /// (a local moved into the queue was copied twice; reading an element of an array copied the whole event,
    /// retaining and releasing every String in it).
    private mutating func add(_ m: Bytes, _ pre: GoLogPrefix) {
        let ev = out.nextSlot()
        ev.initialize(to: LogEvent(file: path, line: lineNumber, kind: .unknown, message: ""))
        parser.recognise(m, into: &ev.pointee, unknownMessage: emitUnknown)
        ev.pointee.ts = pre.ts
        ev.pointee.tsSource = pre.source
        if pre.stdout != nil { ev.pointee.stream = pre.stream }   // (a fresh event's stream is nil already)
        let isUnknown = isUnknownKind(ev.pointee.kind)
        if isUnknown { counts.unknownLines += 1 }
        let keep = !isUnknown || emitUnknown
        if let ts = pre.ts {
            lastTs = ts
            if !held.isEmpty {
                // The held events go first: this one leaves its slot for a while.
                let e = ev.move()
                var h: [LogEvent] = []
                swap(&h, &held)
                for k in h.indices {
                    h[k].ts = ts; h[k].tsSource = .interpolated
                    count(&h[k])
                }
                for e in h { out.append(e) }
                out.nextSlot().initialize(to: e)
            }
            if keep {
                count(&out.nextSlot().pointee)
                out.takeSlot()
            } else {
                out.nextSlot().deinitialize(count: 1)
            }
        } else if keep {
            if let lastTs {
                ev.pointee.ts = lastTs; ev.pointee.tsSource = .interpolated
                count(&ev.pointee)
                out.takeSlot()
            } else if held.count < parser.options.maxHeldLines {
                held.append(ev.move())
            } else {
                count(&ev.pointee)
                out.takeSlot()
            }
        } else {
            ev.deinitialize(count: 1)
        }
    }

    /// The ready events in order, taken.
    func takeReady() -> [LogEvent] {
        var r: [LogEvent] = []
        r.reserveCapacity(out.count)
        while !out.isEmpty { r.append(out.takeFirst()) }
        return r
    }

    mutating func emit(_ e: LogEvent) {
        var e = e
        count(&e)
        out.append(consume e)
    }

    /// Counts an event as handed out. (Inout, and the kind by its bits: passing the kinds copied them, a retain
    /// and a release of each per event.)
    @inline(__always) private mutating func count(_ e: inout LogEvent) {
        counts.events += 1
        switch e.tsSource {
        case .prefix, .run: counts.timestamped += 1
        case .interpolated: counts.interpolated += 1
        case .none: counts.untimed += 1
        }
        kindTally.add(bits: withUnsafeBytes(of: &e.kind) { Tally<LogEventKind>.bits($0) }) { e.kind }
        if let k = e.errorKind { errorTally.add(k) }
    }
}

/// Events waiting to be taken, first in first out, moved into and out of storage of their own: an array's
/// append and pop checked it for uniqueness each time, and the pop copied the event twice more. Shared by
/// copies of the handler, as the reader's open file is.
final class EventQueue {
    private var base: UnsafeMutablePointer<LogEvent>
    private var capacity = 16
    /// The events are those in `head..<tail`.
    private var head = 0, tail = 0

    init() { base = .allocate(capacity: capacity) }

    deinit {
        (base + head).deinitialize(count: tail - head)
        base.deallocate()
    }

    var count: Int { tail - head }
    var isEmpty: Bool { head == tail }

    @inline(__always) func append(_ e: consuming LogEvent) {
        nextSlot().initialize(to: e)
        tail += 1
    }

    /// The uninitialised storage after the last event (for an event built in place, then taken into the queue
    /// by `takeSlot`, or moved out or destroyed there).
    @inline(__always) func nextSlot() -> UnsafeMutablePointer<LogEvent> {
        if tail == capacity { makeRoom() }
        return base + tail
    }

    /// The event initialised at `nextSlot()` is the last one now.
    @inline(__always) func takeSlot() { tail += 1 }

    /// The oldest event, taken (there is one). Not optional: through an optional it was copied once more.
    @inline(__always) func takeFirst() -> LogEvent {
        precondition(head < tail)
        let at = head
        head += 1
        if head == tail { head = 0; tail = 0 }
        return (base + at).move()
    }

    /// Room at the end: the events moved to the front, or into storage twice the size when they fill half.
    private func makeRoom() {
        let n = tail - head
        if n > capacity / 2 {
            let grown = UnsafeMutablePointer<LogEvent>.allocate(capacity: capacity * 2)
            grown.moveInitialize(from: base + head, count: n)
            base.deallocate()
            base = grown
            capacity *= 2
        } else {
            base.moveInitialize(from: base + head, count: n)
        }
        head = 0; tail = n
    }
}

/// Counts per kind without hashing a String per event: the few kinds are found by their String's bits (the
/// parser hands out the same static names every time), then by equality.
struct Tally<Key: RawRepresentable & Hashable> where Key.RawValue == String {
    private var keys: [Key] = [], bits: [(UInt64, UInt64)] = [], counts: [Int] = []

    /// A key's bits: the sixteen bytes of its String (`bytes` of the key or of its rawValue).
    @inline(__always) static func bits(_ bytes: UnsafeRawBufferPointer) -> (UInt64, UInt64) {
        (bytes.load(as: UInt64.self), bytes.load(fromByteOffset: 8, as: UInt64.self))
    }

    /// Index + 1 of the key whose bits were last seen in each of 64 slots (picked by a hash of the bits): the
    /// usual key is found with one probe; a miss (0, or other bits there) scans `bits` as before.
    private var recent = [Int32](repeating: 0, count: 64)

    mutating func add(_ k: Key) {
        add(bits: withUnsafeBytes(of: k.rawValue) { Self.bits($0) }) { k }
    }

    /// `add` of the key whose bits are `b`; `key` is asked for only when the bits were not seen last in their slot.
    @inline(__always) mutating func add(bits b: (UInt64, UInt64), _ key: () -> Key) {
        let slot = Int(truncatingIfNeeded: ((b.0 ^ b.1 &* 0x9e37_79b9_7f4a_7c15) &* 0x9e37_79b9_7f4a_7c15) >> 58)
        let r = Int(recent.withUnsafeBufferPointer { $0[slot] }) - 1
        if r >= 0, bits.withUnsafeBufferPointer({ $0[r] == b }) { counts[r] += 1; return }
        let hit = bits.withUnsafeBufferPointer { bs -> Int in
            for i in bs.indices where bs[i] == b { return i }
            return -1
        }
        if hit >= 0 { counts[hit] += 1; recent[slot] = Int32(hit + 1); return }
        addSlow(key(), b, slot)
    }

    private mutating func addSlow(_ k: Key, _ b: (UInt64, UInt64), _ slot: Int) {
        for i in keys.indices where keys[i] == k { counts[i] += 1; return }
        keys.append(k); bits.append(b); counts.append(1)
        recent[slot] = Int32(keys.count)
    }

    var dictionary: [Key: Int] { Dictionary(uniqueKeysWithValues: zip(keys, counts)) }
}
