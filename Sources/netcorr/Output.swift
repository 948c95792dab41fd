#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Large blocks (the tables and lists that grow with a capture: hash tables, kept events) are given back to the
/// system when freed. glibc raises its mmap threshold to the size of the largest block freed so far (up to 32 MB),
/// after which every table that grows is placed in the heap and its old storage stays in the process: a DNS replay
/// of 800,000 packets held 13 MB more resident than its live data. A fixed threshold keeps peak RSS to what is live.
func returnLargeBlocksToTheSystem() {
    #if canImport(Glibc)
    // <malloc.h> is not in the Glibc module: mallopt(3) and its parameter numbers, as glibc defines them.
    let trimThreshold: Int32 = -1, mmapThreshold: Int32 = -3
    _ = glibcMallopt(mmapThreshold, 256 * 1024)
    _ = glibcMallopt(trimThreshold, 1024 * 1024)
    #endif
}

#if canImport(Glibc)
@_silgen_name("mallopt") func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
#endif

/// stdout and stderr without Foundation: whole buffers straight to the file descriptors (callers buffer).
enum Output {
    static func write(_ b: UnsafeRawBufferPointer) { writeAll(1, b) }

    static func print(_ s: String) {
        var s = s
        s.withUTF8 { writeAll(1, UnsafeRawBufferPointer($0)) }
    }

    /// One clear line on stderr.
    static func error(_ s: String) {
        var line = "netcorr: " + s + "\n"
        line.withUTF8 { writeAll(2, UnsafeRawBufferPointer($0)) }
    }

    static var stdoutIsTerminal: Bool { isatty(1) != 0 }

    static func writeAll(_ fd: Int32, _ b: UnsafeRawBufferPointer) {
        guard var p = b.baseAddress else { return }
        var left = b.count
        while left > 0 {
            let n = Glibc.write(fd, p, left)
            if n < 0 {
                if errno == EINTR { continue }
                return   // EPIPE (a closed pager): nothing more to say
            }
            p += n
            left -= n
        }
    }
}
