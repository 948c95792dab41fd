import NetcorrCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A minimal pcapng writer (one section, one interface): SHB, IDB with if_tsresol=9 (nanoseconds) and the
/// link type, then one Enhanced Packet Block per packet, with `opt_comment`s (code 1) for comments. Blocks are
/// written in host byte order (the byte-order magic tells readers). Buffered through stdio.
public final class PcapngWriter {
    let file: UnsafeMutablePointer<FILE>
    public let path: String
    public private(set) var packets = 0
    var failed = false
    var block: [UInt8] = []

    /// Creates `path` and writes the section and interface headers.
    public init(path: String, linkType: Int32, snaplen: Int, interfaceName: String? = nil,
                application: String = "netcorr") throws(PcapError) {
        guard let f = fopen(path, "wb") else {
            throw PcapError("cannot write \(path): \(String(cString: strerror(errno)))")
        }
        file = f
        self.path = path
        // Section Header Block
        begin(0x0A0D_0D0A)
        u32(0x1A2B_3C4D)
        u16(1); u16(0)
        u64(UInt64.max)   // section length: not given
        option(4, Array(application.utf8))   // shb_userappl
        endOptions()
        end()
        // Interface Description Block
        begin(1)
        u16(UInt16(truncatingIfNeeded: linkType)); u16(0)
        u32(UInt32(clamping: snaplen))
        if let n = interfaceName { option(2, Array(n.utf8)) }   // if_name
        option(9, [9])   // if_tsresol: 10^-9
        endOptions()
        end()
        if failed { fclose(f); throw PcapError("cannot write \(path): \(String(cString: strerror(errno)))") }
    }

    deinit { fclose(file) }

    /// Appends one packet. Comments longer than 65535 bytes are cut.
    public func write(_ data: Span<UInt8>, ts: Timestamp, wireLength: Int, comments: [String] = []) {
        begin(6)
        u32(0)   // interface id
        let t = UInt64(bitPattern: ts.nanoseconds)
        u32(UInt32(truncatingIfNeeded: t >> 32)); u32(UInt32(truncatingIfNeeded: t))
        u32(UInt32(data.count)); u32(UInt32(clamping: wireLength))
        for i in 0..<data.count { block.append(data[i]) }
        pad()
        if !comments.isEmpty {
            for c in comments { option(1, Array(c.utf8.prefix(65535))) }
            endOptions()
        }
        end()
        packets += 1
    }

    /// Flushes and reports whether every write succeeded.
    public func close() throws(PcapError) {
        if fflush(file) != 0 || ferror(file) != 0 { failed = true }
        if failed { throw PcapError("cannot write \(path): \(String(cString: strerror(errno)))") }
    }

    // MARK: block assembly

    func begin(_ type: UInt32) {
        block.removeAll(keepingCapacity: true)
        u32(type)
        u32(0)   // total length, patched in end()
    }

    func end() {
        let total = UInt32(block.count + 4)
        withUnsafeBytes(of: total) { b in for i in 0..<4 { block[4 + i] = b[i] } }
        u32(total)
        let n = block.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
        if n != block.count { failed = true }
    }

    func u16(_ v: UInt16) { withUnsafeBytes(of: v) { block.append(contentsOf: $0) } }
    func u32(_ v: UInt32) { withUnsafeBytes(of: v) { block.append(contentsOf: $0) } }
    func u64(_ v: UInt64) { withUnsafeBytes(of: v) { block.append(contentsOf: $0) } }
    func pad() { while block.count % 4 != 0 { block.append(0) } }

    func option(_ code: UInt16, _ value: [UInt8]) {
        u16(code); u16(UInt16(value.count))
        block.append(contentsOf: value)
        pad()
    }

    func endOptions() { u16(0); u16(0) }
}

extension PcapngWriter {
    /// Copies a capture file (the spool written during a live capture) into a pcapng file, adding `comments`
    /// (frame number → comment texts) to the packets they name. Streams: one packet in memory at a time.
    /// Returns the number of packets written.
    @discardableResult
    public static func convert(spool: String, to path: String, interfaceName: String?,
                               comments: [Int: [String]]) throws(PcapError) -> Int {
        let reader = try PcapFileReader(path: spool)
        let w = try PcapngWriter(path: path, linkType: reader.linkType, snaplen: reader.snaplen, interfaceName: interfaceName)
        while reader.next({ span, info in
            w.write(span, ts: info.ts, wireLength: info.wireLength, comments: comments[info.frame] ?? [])
        }) {}
        try w.close()
        if let e = reader.readError { throw PcapError("\(spool): \(e)") }
        return w.packets
    }

    /// The time of every packet of a capture file, streamed in order (frame, ts).
    public static func timestamps(of path: String, _ body: (Int, Timestamp) -> Void) throws(PcapError) {
        let reader = try PcapFileReader(path: path)
        while reader.next({ _, info in body(info.frame, info.ts) }) {}
    }
}
