import CPcap
import Glibc
import NetcorrCore

/// An environment error from libpcap, with libpcap's own words. The CLI prints it on one line and exits 2.
public struct PcapError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// What libpcap tells about one packet.
public struct PacketInfo: Sendable {
    /// 1-based position in the file (as Wireshark numbers frames), also when a filter skips packets.
    public var frame: Int
    public var ts: Timestamp
    /// Bytes captured (≤ wireLength when the snaplen cut the packet).
    public var capturedLength: Int
    public var wireLength: Int
    @inlinable public var isSnaplenTruncated: Bool { capturedLength < wireLength }
}

/// A compiled BPF program, applied by us so that frame numbers stay those of the file.
final class BPFProgram {
    var program = bpf_program()
    init(handle: OpaquePointer, expression: String) throws(PcapError) {
        if pcap_compile(handle, &program, expression, 1, PCAP_NETMASK_UNKNOWN) != 0 {
            throw PcapError("bad filter expression '\(expression)': \(String(cString: pcap_geterr(handle)))")
        }
    }
    deinit { pcap_freecode(&program) }
}

/// Reads .pcap and .pcapng files through libpcap with nanosecond timestamps. Streams: one packet at a time,
/// valid only inside the callback.
public final class PcapFileReader {
    let handle: OpaquePointer
    let filter: BPFProgram?
    public let linkType: Int32
    public let snaplen: Int
    /// Fraction digits of the file's own timestamps: 6 for classic microsecond pcap, 9 for nanosecond pcap
    /// and pcapng (whose resolution may be finer than microseconds).
    public let timestampDigits: Int
    public private(set) var frame = 0
    /// Set when reading stopped on an error (a truncated file): libpcap's text.
    public private(set) var readError: String?

    /// The FILE's buffer: libpcap reads a packet at a time through stdio, whose default 4 KiB buffer costs a
    /// read(2) per few packets.
    let streamBuffer: UnsafeMutablePointer<CChar>?
    static let streamBufferSize = 1 << 20

    public init(path: String, filter expression: String? = nil) throws(PcapError) {
        var errbuf = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        let text = { String(decoding: errbuf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) }
        var opened: OpaquePointer?
        var buffer: UnsafeMutablePointer<CChar>?
        if path == "-" {
            opened = pcap_open_offline_with_tstamp_precision(path, UInt32(PCAP_TSTAMP_PRECISION_NANO), &errbuf)
        } else if let f = fopen(path, "rb") {
            let b = UnsafeMutablePointer<CChar>.allocate(capacity: Self.streamBufferSize)
            setvbuf(f, b, _IOFBF, Self.streamBufferSize)
            opened = pcap_fopen_offline_with_tstamp_precision(f, UInt32(PCAP_TSTAMP_PRECISION_NANO), &errbuf)
            if opened == nil { fclose(f); b.deallocate() } else { buffer = b }
        } else {
            // As libpcap words it.
            throw PcapError("\(path): \(path): \(String(cString: strerror(errno)))")
        }
        guard let h = opened else { throw PcapError("\(path): \(text())") }
        streamBuffer = buffer
        handle = h
        linkType = pcap_datalink(h)
        snaplen = Int(pcap_snapshot(h))
        timestampDigits = PcapFileReader.fileDigits(path)
        if let e = expression, !e.isEmpty {
            do { filter = try BPFProgram(handle: h, expression: e) } catch { pcap_close(h); buffer?.deallocate(); throw error }
        } else {
            filter = nil
        }
    }

    deinit {
        pcap_close(handle)   // closes the FILE before its buffer goes
        streamBuffer?.deallocate()
    }

    /// Calls `body` for the next packet that passes the filter. Returns false at the end of the file or
    /// on a read error (see `readError`).
    @inlinable
    public func next(_ body: (Span<UInt8>, PacketInfo) -> Void) -> Bool {
        return nextImpl(body)
    }

    @usableFromInline
    func nextImpl(_ body: (Span<UInt8>, PacketInfo) -> Void) -> Bool {
        read(frame: &frame, body)
    }

    /// Calls `body` for every remaining packet that passes the filter, then returns (at the end of the file or
    /// on a read error, see `readError`). Counts frames in a local: `frame`, a class property, is checked for
    /// exclusive access at run time on every write.
    public func forEach(_ body: (Span<UInt8>, PacketInfo) -> Void) {
        var n = frame
        while read(frame: &n, body) {}
        frame = n
    }

    @inline(__always)
    func read(frame: inout Int, _ body: (Span<UInt8>, PacketInfo) -> Void) -> Bool {
        var hdr: UnsafeMutablePointer<pcap_pkthdr>?
        var data: UnsafePointer<UInt8>?
        while true {
            let rc = pcap_next_ex(handle, &hdr, &data)
            if rc == 1, let hdr, let data {
                frame += 1
                if let f = filter {
                    if withUnsafePointer(to: &f.program) { pcap_offline_filter($0, hdr, data) } == 0 { continue }
                }
                let h = hdr.pointee
                let info = PacketInfo(frame: frame,
                                      ts: Timestamp(seconds: Int64(h.ts.tv_sec), nanoseconds: Int64(h.ts.tv_usec)),
                                      capturedLength: Int(h.caplen), wireLength: Int(h.len))
                let buf = UnsafeBufferPointer(start: data, count: Int(h.caplen))
                body(buf.span, info)
                return true
            }
            if rc == -2 { return false }
            if rc == 0 { continue }
            readError = String(cString: pcap_geterr(handle))
            return false
        }
    }

    static func fileDigits(_ path: String) -> Int {
        guard let f = fopen(path, "rb") else { return 9 }
        defer { fclose(f) }
        var m: UInt32 = 0
        guard fread(&m, 4, 1, f) == 1 else { return 9 }
        switch m {
        case 0xa1b2_c3d4, 0xd4c3_b2a1: return 6
        default: return 9
        }
    }
}
