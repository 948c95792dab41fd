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

/// Reads a Go program's log file as a stream of `LogEvent`s: 1 MiB reads, lines capped at
/// `options.maxLineBytes`, CRI partial lines joined, lines without a time of their own given the time of the
/// line before (or, at the start of the file, of the first stamped line after). Only recognised lines are
/// returned (unless `options.includeUnknown`); everything is counted in `stats`.
public struct GoLogReader {
    public let path: String
    public var stats: GoLogStats { lines.stats }
    private var lines: LineHandler
    private let file: LogFile
    private var chunkStart = 0, chunkEnd = 0
    private var lineBuf: [UInt8] = []
    private var lineOversized = false
    private var eof = false
    private var readError: GoLogError?

    public init(path: String, options: GoLogOptions = GoLogOptions()) throws(GoLogError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .cannotOpen(path: path, errno: errno) }
        var st = stat()
        if fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR {
            close(fd)
            throw .cannotOpen(path: path, errno: EISDIR)
        }
        self.path = path
        self.file = LogFile(fd: fd, size: 1 << 20)
        self.lines = LineHandler(path: path, options: options)
    }

    /// A read error met after opening (the stream ends there).
    public var error: GoLogError? { readError }

    public mutating func next() -> LogEvent? {
        while lines.out.isEmpty {
            if eof {
                if !lines.held.isEmpty { lines.releaseHeld(); continue }
                return nil
            }
            step()
        }
        return lines.out.takeFirst()
    }

    /// Reads until a line gave an event, a chunk was used up, or the file ended.
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
                    // The last line, without its newline, is counted when cut as every other line is.
                    if lineOversized { lines.counts.oversizedLines += 1 }
                    let l = lineBuf
                    l.withUnsafeBufferPointer { lines.handle($0, firstOfFile: lines.lineNumber == 0) }
                    lineBuf.removeAll(keepingCapacity: true); lineOversized = false
                }
                return
            }
            lines.counts.bytes += n
            chunkStart = 0; chunkEnd = n
        }
        let cap = lines.parser.options.maxLineBytes
        let whole = UnsafeBufferPointer(file.buffer)
        do {
            while chunkStart < chunkEnd && lines.out.isEmpty {
                let avail = whole.sub(chunkStart, chunkEnd)
                guard let nl = memchrIndex(avail, 10) else {
                    appendCapped(avail, cap)
                    chunkStart = chunkEnd
                    return
                }
                if lineBuf.isEmpty && !lineOversized {
                    if nl > cap {
                        lines.counts.oversizedLines += 1
                        lines.handle(avail.sub(0, cap), firstOfFile: lines.lineNumber == 0)
                    } else {
                        lines.handle(avail.sub(0, nl), firstOfFile: lines.lineNumber == 0)
                    }
                } else {
                    appendCapped(avail.sub(0, nl), cap)
                    if lineOversized { lines.counts.oversizedLines += 1 }
                    let l = lineBuf
                    l.withUnsafeBufferPointer { lines.handle($0, firstOfFile: lines.lineNumber == 0) }
                    lineBuf.removeAll(keepingCapacity: true); lineOversized = false
                }
                chunkStart += nl + 1
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
}

/// The first line `netcorr run` writes into its stamped log.
public let goLogRunHeader = runHeader.description
let runHeader: StaticString = "# netcorr run"

@inline(__always) func memchrIndex(_ b: Bytes, _ c: UInt8) -> Int? {
    guard let base = b.baseAddress, b.count > 0 else { return nil }
    guard let r = memchr(base, Int32(c), b.count) else { return nil }
    return UnsafeRawPointer(r) - UnsafeRawPointer(base)
}

/// No byte >= 0x80 and no NUL: sixteen bytes a lane each, thirty-two at a time (a line's last sixteen overlapping
/// the ones before), one test at the end; a line shorter than sixteen bytes in two words, or byte by byte.
@inline(__always) func isPlainASCII(_ b: Bytes) -> Bool {
    guard let base = b.baseAddress else { return true }
    let raw = UnsafeRawPointer(base)
    let highs: UInt64 = 0x8080_8080_8080_8080
    guard b.count >= 16 else {
        guard b.count >= 8 else {
            for i in 0..<b.count where b[i] &- 1 >= 0x7f { return false }
            return true
        }
        // A byte >= 0x80 sets its high bit in `w`, a NUL its high bit in `(w - ones) & ~w`.
        let ones: UInt64 = 0x0101_0101_0101_0101
        let w0 = raw.loadUnaligned(as: UInt64.self), w1 = raw.loadUnaligned(fromByteOffset: b.count - 8, as: UInt64.self)
        return (w0 | ((w0 &- ones) & ~w0) | w1 | ((w1 &- ones) & ~w1)) & highs == 0
    }
    // Per lane (no borrow between lanes): a byte >= 0x80 or a NUL sets the high bit of `v | (v - 1)`.
    let one = SIMD16<UInt8>(repeating: 1)
    @inline(__always) func flags(_ at: Int) -> SIMD16<UInt8> {
        let v = raw.loadUnaligned(fromByteOffset: at, as: SIMD16<UInt8>.self)
        return v | (v &- one)
    }
    var bad = SIMD16<UInt8>(repeating: 0)
    var i = 0
    while i + 32 <= b.count {
        bad |= flags(i) | flags(i + 16)
        i += 32
    }
    if i + 16 <= b.count { bad |= flags(i) }
    bad |= flags(b.count - 16)
    // (Read as two words: a reduction over the lanes was a call.)
    let halves = unsafeBitCast(bad, to: (UInt64, UInt64).self)
    return (halves.0 | halves.1) & highs == 0
}

extension GoLogReader: Sequence, IteratorProtocol {
    public typealias Element = LogEvent
}
