import Foundation
import NetcorrCore
import NetcorrTCP
@testable import NetcorrWire

/// Discards stream bytes.
struct NullSink: StreamSink {
    mutating func bytes(_ b: UnsafeRawBufferPointer, direction: FlowDirection, origin: SegmentOrigin) {}
    mutating func gap(_ count: Int, direction: FlowDirection, origin: SegmentOrigin) {}
}

/// Connections keyed by their two endpoints, split as tshark splits tcp.stream (`startsNewConnection`).
struct ConnectionTable {
    struct Key: Hashable { var a: Endpoint; var b: Endpoint }
    var open: [Key: TCPConnection] = [:]
    var closed: [TCPConnection] = []
    /// Analysis flags per frame.
    var flags: [Int: TCPAnalysisFlags] = [:]
    var sink = NullSink()

    mutating func feed(_ h: TCPHeader, src: Endpoint, dst: Endpoint, payload: UnsafeRawBufferPointer, origin: SegmentOrigin) {
        let key = src < dst ? Key(a: src, b: dst) : Key(a: dst, b: src)
        if let c = open[key], c.startsNewConnection(h, from: src) {
            closed.append(c)
            open[key] = nil
        }
        var c = open[key] ?? {
            let syn = h.flags.contains(.syn)
            let (i, r) = syn && h.flags.contains(.ack) ? (dst, src) : (src, dst)
            return TCPConnection(initiator: i, responder: r, origin: origin, sawOpening: syn, limits: .init())
        }()
        c.segment(h, direction: c.direction(from: src), payload: payload, origin: origin, sink: &sink)
        flags[origin.frame] = c.lastFlags
        open[key] = c
    }

    /// All connections, in order of their first frame.
    var all: [TCPConnection] { (closed + open.values).sorted { $0.firstFrame < $1.firstFrame } }

    /// Reads a classic pcap file (any byte order, µs or ns) and feeds every TCP segment.
    static func replay(_ path: String) throws -> ConnectionTable {
        let d = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        func u32(_ o: Int, _ le: Bool) -> UInt32 {
            let v = UInt32(d[o]) | UInt32(d[o + 1]) << 8 | UInt32(d[o + 2]) << 16 | UInt32(d[o + 3]) << 24
            return le ? v : v.byteSwapped
        }
        let magic = u32(0, true)
        let le = magic == 0xa1b2_c3d4 || magic == 0xa1b2_3c4d
        let nano = magic == 0xa1b2_3c4d || magic == 0x4d3c_b2a1
        let linkType = LinkType(rawValue: Int32(bitPattern: u32(20, le)))
        var t = ConnectionTable()
        var off = 24, frame = 0
        while off + 16 <= d.count {
            let sec = Int64(u32(off, le)), frac = Int64(u32(off + 4, le)), caplen = Int(u32(off + 8, le))
            let pkt = Array(d[(off + 16)..<min(d.count, off + 16 + caplen)])
            off += 16 + caplen
            frame += 1
            let ts = Timestamp(seconds: sec, nanoseconds: nano ? frac : frac * 1000)
            let span = pkt.span
            guard let link = try? LinkDecoder.decode(span, linkType: linkType),
                  let ip = try? IPDecoder.decode(span, at: link.payloadOffset), ip.proto == 6, ip.fragment == nil,
                  let h = try? TransportDecoder.tcp(span, ip.payload) else { continue }
            pkt.withUnsafeBytes { raw in
                t.feed(h, src: Endpoint(ip.src, h.sport), dst: Endpoint(ip.dst, h.dport),
                       payload: UnsafeRawBufferPointer(rebasing: raw[h.payload]), origin: SegmentOrigin(frame: frame, ts: ts))
            }
        }
        return t
    }
}

/// Builds headers by hand. Endpoints A (10.0.0.1:40000, the client) and B (10.0.0.2:80), as in the
/// scenarios written to pcap for tshark (see TCPAnalysisTests). Times are seconds after 1000 s past the epoch
/// (a zero time means "not set" to Wireshark, for the SYN's time too).
struct Script {
    static let a = Endpoint(IPAddress("10.0.0.1")!, 40000)
    static let b = Endpoint(IPAddress("10.0.0.2")!, 80)
    var table = ConnectionTable()
    var frame = 0

    /// `dir` ">" from A, "<" from B; flags letters S A F R P.
    mutating func send(_ t: Double, _ dir: Character, _ flags: String, seq: UInt32, ack: UInt32, win: UInt16 = 65535,
                       len: Int = 0, windowScale: UInt8? = nil) -> TCPAnalysisFlags {
        frame += 1
        var f = TCPFlags()
        for c in flags {
            switch c {
            case "S": f.insert(.syn)
            case "A": f.insert(.ack)
            case "F": f.insert(.fin)
            case "R": f.insert(.rst)
            case "P": f.insert(.psh)
            default: break
            }
        }
        let (src, dst) = dir == ">" ? (Self.a, Self.b) : (Self.b, Self.a)
        let h = TCPHeader(sport: src.port, dport: dst.port, seq: seq, ack: ack, flags: f, window: win,
                          windowScale: windowScale, mss: nil, sackPermitted: false, sackBlocks: 0, payload: 0..<len)
        let bytes = [UInt8](repeating: 0x78, count: len)
        let ts = Timestamp(nanoseconds: Int64(((1000 + t) * 1e9).rounded()))
        bytes.withUnsafeBytes { table.feed(h, src: src, dst: dst, payload: $0, origin: SegmentOrigin(frame: frame, ts: ts)) }
        return table.flags[frame]!
    }
}
