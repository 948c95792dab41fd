import NetcorrCore

public struct UDPHeader: Hashable, Sendable {
    public var sport: UInt16
    public var dport: UInt16
    public var payload: Range<Int>
    /// True when the UDP length claims more bytes than are present.
    public var short: Bool
}

public struct TCPFlags: OptionSet, Hashable, Sendable {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    public static let fin = TCPFlags(rawValue: 0x01), syn = TCPFlags(rawValue: 0x02), rst = TCPFlags(rawValue: 0x04)
    public static let psh = TCPFlags(rawValue: 0x08), ack = TCPFlags(rawValue: 0x10), urg = TCPFlags(rawValue: 0x20)
    public static let ece = TCPFlags(rawValue: 0x40), cwr = TCPFlags(rawValue: 0x80)
}

public struct TCPHeader: Hashable, Sendable {
    public var sport: UInt16
    public var dport: UInt16
    public var seq: UInt32
    public var ack: UInt32
    public var flags: TCPFlags
    public var window: UInt16
    /// Window scale option (SYN only), nil when absent.
    public var windowScale: UInt8?
    public var mss: UInt16?
    public var sackPermitted: Bool
    /// SACK blocks present (count), used to tell a duplicate ACK from a keep-alive.
    public var sackBlocks: Int
    public var timestamp: (value: UInt32, echo: UInt32)? {
        get { hasTimestamp ? (tsVal, tsEcr) : nil }
        set { if let n = newValue { hasTimestamp = true; tsVal = n.value; tsEcr = n.echo } else { hasTimestamp = false } }
    }
    public var hasTimestamp = false
    public var tsVal: UInt32 = 0
    public var tsEcr: UInt32 = 0
    public var payload: Range<Int>
}

public struct ICMPHeader: Hashable, Sendable {
    public var v6: Bool
    public var type: UInt8
    public var code: UInt8
    /// The quoted datagram of an error message (destination unreachable, time exceeded, packet too big,
    /// parameter problem), nil for other messages.
    public var quoted: Range<Int>?

    /// Destination unreachable, time exceeded, parameter problem, source quench / packet too big.
    public var isError: Bool { quoted != nil }
    public var isPortUnreachable: Bool { v6 ? (type == 1 && code == 4) : (type == 3 && code == 3) }
    /// A short name in the words tcpdump uses.
    public var name: String {
        if v6 {
            switch (type, code) {
            case (1, 0): return "no route to destination"
            case (1, 1): return "administratively prohibited"
            case (1, 3): return "address unreachable"
            case (1, 4): return "port unreachable"
            case (1, _): return "destination unreachable (code \(code))"
            case (2, _): return "packet too big"
            case (3, _): return "time exceeded"
            case (4, _): return "parameter problem"
            default: return "icmp6 type \(type) code \(code)"
            }
        }
        switch (type, code) {
        case (3, 0): return "net unreachable"
        case (3, 1): return "host unreachable"
        case (3, 2): return "protocol unreachable"
        case (3, 3): return "port unreachable"
        case (3, 4): return "fragmentation needed"
        case (3, 9), (3, 10), (3, 13): return "administratively prohibited"
        case (3, _): return "destination unreachable (code \(code))"
        case (11, _): return "time exceeded"
        case (12, _): return "parameter problem"
        default: return "icmp type \(type) code \(code)"
        }
    }
}

public enum TransportDecoder {
    // RFC 768
    public static func udp(_ b: Span<UInt8>, _ r: Range<Int>) throws(DecodeError) -> UDPHeader {
        guard r.count >= 8 else { throw DecodeError(.udpTruncated, at: r.lowerBound) }
        let s = r.lowerBound
        let len = Int(b.u16(s + 4))
        // A length below 8 is malformed; 0 is used by jumbograms: take what is there.
        let end = len >= 8 ? min(r.upperBound, s + len) : r.upperBound
        return UDPHeader(sport: b.u16(s), dport: b.u16(s + 2), payload: (s + 8)..<end, short: len > r.count)
    }

    // RFC 9293 §3.1; options RFC 7323, RFC 2018
    public static func tcp(_ b: Span<UInt8>, _ r: Range<Int>) throws(DecodeError) -> TCPHeader {
        guard r.count >= 20 else { throw DecodeError(.tcpTruncated, at: r.lowerBound) }
        let s = r.lowerBound
        let hlen = Int(b.u8(s + 12) >> 4) * 4
        guard hlen >= 20 else { throw DecodeError(.tcpBadOffset, at: s + 12) }
        guard hlen <= r.count else { throw DecodeError(.tcpTruncated, at: s + 12) }
        var h = TCPHeader(sport: b.u16(s), dport: b.u16(s + 2), seq: b.u32(s + 4), ack: b.u32(s + 8),
                          flags: TCPFlags(rawValue: UInt16(b.u8(s + 13))), window: b.u16(s + 14),
                          windowScale: nil, mss: nil, sackPermitted: false, sackBlocks: 0,
                          payload: (s + hlen)..<r.upperBound)
        var o = s + 20
        let end = s + hlen
        while o < end {
            let kind = b.u8(o)
            if kind == 0 { break }
            if kind == 1 { o += 1; continue }
            guard o + 1 < end else { break }
            let len = Int(b.u8(o + 1))
            guard len >= 2, o + len <= end else { break }
            switch (kind, len) {
            case (2, 4): h.mss = b.u16(o + 2)
            case (3, 3): h.windowScale = min(b.u8(o + 2), 14)
            case (4, 2): h.sackPermitted = true
            case (5, _): h.sackBlocks = (len - 2) / 8
            case (8, 10): h.hasTimestamp = true; h.tsVal = b.u32(o + 2); h.tsEcr = b.u32(o + 6)
            default: break
            }
            o += len
        }
        return h
    }

    // RFC 792, RFC 4443
    public static func icmp(_ b: Span<UInt8>, _ r: Range<Int>, v6: Bool) throws(DecodeError) -> ICMPHeader {
        guard r.count >= 8 else { throw DecodeError(.icmpTruncated, at: r.lowerBound) }
        let s = r.lowerBound
        let type = b.u8(s), code = b.u8(s + 1)
        let isError = v6 ? (type >= 1 && type <= 4) : (type == 3 || type == 11 || type == 12 || type == 4 || type == 5)
        return ICMPHeader(v6: v6, type: type, code: code, quoted: isError ? (s + 8)..<r.upperBound : nil)
    }
}
