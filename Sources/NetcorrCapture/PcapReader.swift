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
    /// Classic pcap in this machine's byte order is read by `ClassicPcapStream`, not libpcap.
    let direct: ClassicPcapStream?
    static let streamBufferSize = 1 << 20

    public init(path: String, filter expression: String? = nil) throws(PcapError) {
        var errbuf = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        let text = { String(decoding: errbuf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) }
        var opened: OpaquePointer?
        var buffer: UnsafeMutablePointer<CChar>?
        let d = path == "-" ? nil : ClassicPcapStream(path: path)
        if path == "-" || d != nil {
            // (libpcap then only checks the header and tells the link type: its FILE needs no big buffer.)
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
        direct = d
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
        if let s = direct { return nextDirect(s, body) }
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

    func nextDirect(_ s: ClassicPcapStream, _ body: (Span<UInt8>, PacketInfo) -> Void) -> Bool {
        while true {
            guard s.fill(16) else {
                // libpcap's words for a file cut short.
                if s.buffered > 0 { readError = "truncated dump file; tried to read 16 header bytes, only got \(s.buffered)" }
                return false
            }
            let p = UnsafeRawPointer(s.base + s.start)
            let sec = Int32(bitPattern: p.loadUnaligned(as: UInt32.self))
            let frac = Int32(bitPattern: p.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
            let caplen = p.loadUnaligned(fromByteOffset: 8, as: UInt32.self)
            let len = p.loadUnaligned(fromByteOffset: 12, as: UInt32.self)
            guard caplen <= ClassicPcapStream.maxCaplen else {
                readError = "invalid packet capture length \(caplen), bigger than maximum of \(ClassicPcapStream.maxCaplen)"
                return false
            }
            guard s.fill(16 + Int(caplen)) else {
                readError = "truncated dump file; tried to read \(caplen) captured bytes, only got \(s.buffered - 16)"
                return false
            }
            let data = UnsafePointer<UInt8>((s.base + s.start + 16).assumingMemoryBound(to: UInt8.self))
            s.start += 16 + Int(caplen)
            frame += 1
            // As libpcap gives them at nanosecond precision (its fields are signed 32-bit).
            let ns = s.nanos ? Int64(frac) : Int64(frac) * 1000
            if let f = filter {
                var h = pcap_pkthdr()
                h.ts.tv_sec = Int(sec)
                h.ts.tv_usec = Int(ns)
                h.caplen = caplen
                h.len = len
                if withUnsafePointer(to: &f.program, { prog in withUnsafePointer(to: &h) { pcap_offline_filter(prog, $0, data) } }) == 0 {
                    continue
                }
            }
            let info = PacketInfo(frame: frame, ts: Timestamp(seconds: Int64(sec), nanoseconds: ns),
                                  capturedLength: Int(caplen), wireLength: Int(len))
            body(UnsafeBufferPointer(start: data, count: Int(caplen)).span, info)
            return true
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

/// A classic pcap file (magic a1b2c3d4 or a1b23c4d) written in this machine's byte order, read in MiB chunks
/// into one buffer from which packets are handed out in place: libpcap reads each packet through stdio and
/// copies it into its own buffer, and for such files it changes nothing in the data (its byte-swapping and
/// USB fix-ups apply to the other byte order and to USB link types, which stay with libpcap).
final class ClassicPcapStream {
    /// libpcap's MAXIMUM_SNAPLEN: a longer record is a corrupt file.
    static let maxCaplen: UInt32 = 262_144
    let fd: Int32
    let nanos: Bool
    private(set) var base: UnsafeMutableRawPointer
    private var capacity = 1 << 20
    var start = 0
    private var end = 0
    private var eof = false
    var buffered: Int { end - start }

    init?(path: String) {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        var header = [UInt8](repeating: 0, count: 24)
        let n = header.withUnsafeMutableBytes { read(fd, $0.baseAddress, 24) }
        let magic = header.withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }
        let link = header.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 20, as: UInt32.self) } & 0x0fff_ffff
        // 189, 220: USB link types that libpcap fixes up.
        guard n == 24, magic == 0xa1b2_c3d4 || magic == 0xa1b2_3c4d, link != 189, link != 220 else {
            close(fd)
            return nil
        }
        self.fd = fd
        nanos = magic == 0xa1b2_3c4d
        base = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
    }

    deinit {
        close(fd)
        base.deallocate()
    }

    /// Makes `n` bytes from `start` available; false when the file ends first.
    func fill(_ n: Int) -> Bool {
        if end - start >= n { return true }
        if start > 0 {
            (base + 0).copyMemory(from: base + start, byteCount: end - start)
            end -= start
            start = 0
        }
        if n > capacity {
            let bigger = UnsafeMutableRawPointer.allocate(byteCount: n, alignment: 16)
            bigger.copyMemory(from: base, byteCount: end)
            base.deallocate()
            base = bigger
            capacity = n
        }
        while end < n && !eof {
            let r = read(fd, base + end, capacity - end)
            if r > 0 { end += r } else if r < 0 && errno == EINTR { continue } else { eof = true }
        }
        return end >= n
    }
}
