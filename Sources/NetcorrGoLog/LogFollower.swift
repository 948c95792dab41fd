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
    public var stats: GoLogStats { lines.stats }
    /// Times the file was replaced or truncated.
    public private(set) var rotations = 0
    public private(set) var error: GoLogError?
    private var lines: LineHandler
    private var fd: Int32 = -1
    private var inode: ino_t = 0
    private var device: dev_t = 0
    private var offset: Int = 0
    private var pending: [UInt8] = []
    private var pendingOversized = false
    private var linesInFile = 0
    private var buffer = [UInt8](repeating: 0, count: 64 * 1024)

    public init(path: String, options: GoLogOptions = GoLogOptions()) {
        self.path = path
        self.lines = LineHandler(path: path, options: options)
    }

    /// Whether the file is open (it may not exist yet).
    public var isOpen: Bool { fd >= 0 }

    /// Reads what is new; returns the events of the lines completed since the last call.
    public mutating func poll() -> [LogEvent] {
        checkRotation()
        if fd < 0 { openFile() }
        if fd >= 0 { readNew() }
        return lines.takeReady()
    }

    /// The end: reads what is left, takes an unterminated last line as a line, releases held lines, closes.
    public mutating func finish() -> [LogEvent] {
        var r = poll()
        if !pending.isEmpty || pendingOversized { flushPendingLine() }
        lines.releaseHeld()
        if fd >= 0 { close(fd); fd = -1 }
        r += lines.takeReady()
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
            lines.counts.bytes += n
            offset += n
            let chunk = buffer[0..<n]
            var start = chunk.startIndex
            let cap = lines.parser.options.maxLineBytes
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
        if pendingOversized { lines.counts.oversizedLines += 1 }
        let l = pending
        pending.removeAll(keepingCapacity: true)
        pendingOversized = false
        linesInFile += 1
        l.withUnsafeBufferPointer { lines.handle($0, firstOfFile: linesInFile == 1) }
    }
}
