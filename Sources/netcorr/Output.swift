#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
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
