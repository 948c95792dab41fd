import NetcorrCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The open file; closed when the last reader copy goes.
final class LogFile {
    let fd: Int32
    let buffer: UnsafeMutableBufferPointer<UInt8>
    init(fd: Int32, size: Int) {
        self.fd = fd
        buffer = .allocate(capacity: size)
        buffer.initialize(repeating: 0)
    }
    deinit {
        if fd >= 0 { close(fd) }
        buffer.deallocate()
    }
}

/// Reads a Go program's log file as a stream of `LogEvent`s: 64 KiB reads, lines capped at
/// `options.maxLineBytes`, CRI partial lines joined, lines without a time of their own given the time of the
/// line before (or, at the start of the file, of the first stamped line after). Only recognised lines are
/// returned (unless `options.includeUnknown`); everything is counted in `stats`.
public struct GoLogReader {
    public let path: String
    public private(set) var stats = GoLogStats()
    private var parser: GoLogLineParser
    private let file: LogFile
    private var chunkStart = 0, chunkEnd = 0
    private var lineBuf: [UInt8] = []
    private var lineOversized = false
    private var partial: [UInt8] = []
    private var eof = false
    private var readError: GoLogError?
    private var lastTs: Timestamp?
    private var held: [LogEvent] = []
    private var out: [LogEvent] = []
    private var outHead = 0
    private var lineNumber = 0
    private let emitUnknown: Bool

    public init(path: String, options: GoLogOptions = GoLogOptions()) throws(GoLogError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .cannotOpen(path: path, errno: errno) }
        var st = stat()
        if fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR {
            close(fd)
            throw .cannotOpen(path: path, errno: EISDIR)
        }
        self.path = path
        self.file = LogFile(fd: fd, size: 64 * 1024)
        self.parser = GoLogLineParser(options: options)
        self.emitUnknown = options.includeUnknown
    }

    /// A read error met after opening (the stream ends there).
    public var error: GoLogError? { readError }

    public mutating func next() -> LogEvent? {
        while true {
            if outHead < out.count {
                let e = out[outHead]
                outHead += 1
                if outHead == out.count { out.removeAll(keepingCapacity: true); outHead = 0 }
                return e
            }
            if eof {
                if !held.isEmpty {
                    for var e in held { e.tsSource = .none; emit(e) }
                    held.removeAll()
                    continue
                }
                return nil
            }
            step()
        }
    }

    /// Reads until at least one line was handled or the file ended.
    private mutating func step() {
        if chunkStart >= chunkEnd {
            let n = read(file.fd, file.buffer.baseAddress, file.buffer.count)
            if n < 0 {
                if errno == EINTR { return }
                readError = .readFailed(path: path, errno: errno)
            }
            if n <= 0 {
                eof = true
                if !lineBuf.isEmpty || lineOversized {
                    let l = lineBuf
                    l.withUnsafeBufferPointer { handle($0) }
                    lineBuf.removeAll(keepingCapacity: true); lineOversized = false
                }
                return
            }
            stats.bytes += n
            chunkStart = 0; chunkEnd = n
        }
        let cap = parser.options.maxLineBytes
        let whole = UnsafeBufferPointer(file.buffer)
        do {
            var handled = 0
            while chunkStart < chunkEnd && handled < 256 {
                let avail = whole.sub(chunkStart, chunkEnd)
                guard let nl = memchrIndex(avail, 10) else {
                    appendCapped(avail, cap)
                    chunkStart = chunkEnd
                    return
                }
                if lineBuf.isEmpty && !lineOversized {
                    if nl > cap {
                        stats.oversizedLines += 1
                        handle(avail.sub(0, cap))
                    } else {
                        handle(avail.sub(0, nl))
                    }
                } else {
                    appendCapped(avail.sub(0, nl), cap)
                    if lineOversized { stats.oversizedLines += 1 }
                    let l = lineBuf
                    l.withUnsafeBufferPointer { handle($0) }
                    lineBuf.removeAll(keepingCapacity: true); lineOversized = false
                }
                chunkStart += nl + 1
                handled += 1
            }
        }
    }

    private mutating func appendCapped(_ b: Bytes, _ cap: Int) {
        let room = cap - lineBuf.count
        if b.count > room {
            if room > 0 { lineBuf.append(contentsOf: b.sub(0, room)) }
            lineOversized = true
        } else {
            lineBuf.append(contentsOf: b)
        }
    }

    private mutating func handle(_ raw: Bytes) {
        lineNumber += 1
        stats.lines += 1
        var p = raw
        while p.count > 0, p[p.count - 1] == 13 { p = p.sub(0, p.count - 1) }
        if p.count == 0 { stats.emptyLines += 1; return }
        if lineNumber == 1, p.hasPrefix(runHeader) {
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

/// The first line `netcorr run` writes into its stamped log.
public let goLogRunHeader = "# netcorr run"
private let runHeader = Array(goLogRunHeader.utf8)

@inline(__always) func memchrIndex(_ b: Bytes, _ c: UInt8) -> Int? {
    guard let base = b.baseAddress, b.count > 0 else { return nil }
    guard let r = memchr(base, Int32(c), b.count) else { return nil }
    return UnsafeRawPointer(r) - UnsafeRawPointer(base)
}

@inline(__always) func isPlainASCII(_ b: Bytes) -> Bool {
    for c in b where c >= 0x80 || c == 0 { return false }
    return true
}

extension GoLogReader: Sequence, IteratorProtocol {
    public typealias Element = LogEvent
}
