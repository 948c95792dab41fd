import NetcorrCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Follows a growing log file like `tail -F`: each `poll()` reads what was appended since the last one and
/// returns the events of the complete lines. Survives rotation (the name now points at another inode, or the
/// file shrank: the rest of the old file is read, then the new one from its start) and a file that does not
/// exist yet. Lines are handled as `GoLogReader` handles them (the `netcorr run` header, CRI partial lines
/// joined, lines without a time given the time of the line before, or held until the first stamped line), so a
/// log followed to its end gives the events `GoLogReader` gives for the whole file. Line numbers count on
/// across a rotation.
public struct LogFollower {
    public let path: String
    public private(set) var stats = GoLogStats()
    /// Times the file was replaced or truncated.
    public private(set) var rotations = 0
    public private(set) var error: GoLogError?
    private var parser: GoLogLineParser
    private var fd: Int32 = -1
    private var inode: ino_t = 0
    private var device: dev_t = 0
    private var offset: Int = 0
    private var pending: [UInt8] = []
    private var pendingOversized = false
    private var partial: [UInt8] = []
    private var lastTs: Timestamp?
    private var held: [LogEvent] = []
    private var out: [LogEvent] = []
    private var lineNumber = 0
    private var linesInFile = 0
    private let emitUnknown: Bool
    private var buffer = [UInt8](repeating: 0, count: 64 * 1024)

    public init(path: String, options: GoLogOptions = GoLogOptions()) {
        self.path = path
        self.parser = GoLogLineParser(options: options)
        self.emitUnknown = options.includeUnknown
    }

    /// Whether the file is open (it may not exist yet).
    public var isOpen: Bool { fd >= 0 }

    /// Reads what is new; returns the events of the lines completed since the last call.
    public mutating func poll() -> [LogEvent] {
        checkRotation()
        if fd < 0 { openFile() }
        if fd >= 0 { readNew() }
        let r = out
        out.removeAll(keepingCapacity: true)
        return r
    }

    /// The end: reads what is left, takes an unterminated last line as a line, releases held lines, closes.
    public mutating func finish() -> [LogEvent] {
        var r = poll()
        if !pending.isEmpty || pendingOversized { flushPendingLine() }
        if !held.isEmpty {
            for var e in held { e.tsSource = .none; emit(e) }
            held.removeAll()
        }
        if fd >= 0 { close(fd); fd = -1 }
        r += out
        out.removeAll()
        return r
    }

    private mutating func openFile() {
        let f = open(path, O_RDONLY | O_CLOEXEC)
        guard f >= 0 else { return }
        var st = stat()
        if fstat(f, &st) != 0 || (st.st_mode & S_IFMT) == S_IFDIR {
            close(f)
            if error == nil { error = .cannotOpen(path: path, errno: EISDIR) }
            return
        }
        fd = f
        inode = st.st_ino
        device = st.st_dev
        offset = 0
        linesInFile = 0
    }

    /// A new file under the name, or the old one truncated: finish the old one, start the new.
    private mutating func checkRotation() {
        guard fd >= 0 else { return }
        var st = stat()
        let named = stat(path, &st) == 0
        if named && st.st_ino == inode && st.st_dev == device {
            if st.st_size < offset {
                // truncated in place (copytruncate): start again from the beginning
                if !pending.isEmpty || pendingOversized { flushPendingLine() }
                rotations += 1
                offset = 0
                linesInFile = 0
                _ = lseek(fd, 0, SEEK_SET)
            }
            return
        }
        // renamed or removed: what was written to the old file before the switch still counts
        readNew()
        if !pending.isEmpty || pendingOversized { flushPendingLine() }
        close(fd)
        fd = -1
        if named { rotations += 1 }
    }

    private mutating func readNew() {
        while fd >= 0 {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                if error == nil { error = .readFailed(path: path, errno: errno) }
                return
            }
            if n == 0 { return }
            stats.bytes += n
            offset += n
            let chunk = buffer[0..<n]
            var start = chunk.startIndex
            let cap = parser.options.maxLineBytes
            while let nl = chunk[start...].firstIndex(of: 10) {
                append(chunk[start..<nl], cap)
                flushPendingLine()
                start = nl + 1
            }
            if start < chunk.endIndex { append(chunk[start...], cap) }
            if n < buffer.count { return }
        }
    }

    private mutating func append(_ b: ArraySlice<UInt8>, _ cap: Int) {
        let room = cap - pending.count
        if b.count > room {
            if room > 0 { pending.append(contentsOf: b.prefix(room)) }
            pendingOversized = true
        } else {
            pending.append(contentsOf: b)
        }
    }

    private mutating func flushPendingLine() {
        if pendingOversized { stats.oversizedLines += 1 }
        let l = pending
        pending.removeAll(keepingCapacity: true)
        pendingOversized = false
        l.withUnsafeBufferPointer { handle($0) }
    }

    private mutating func handle(_ raw: UnsafeBufferPointer<UInt8>) {
        lineNumber += 1
        linesInFile += 1
        stats.lines += 1
        var p = raw
        while p.count > 0, p[p.count - 1] == 13 { p = p.sub(0, p.count - 1) }
        if p.count == 0 { stats.emptyLines += 1; return }
        if linesInFile == 1, p.hasPrefix(followerRunHeader) {
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

    private mutating func emit(_ e: LogEvent) {
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

private let followerRunHeader = Array(goLogRunHeader.utf8)
