import NetcorrCore

/// An IPv4 or IPv6 header, decoded. Ranges are offsets into the span that was decoded.
public struct IPHeader: Hashable, Sendable {
    public var version: UInt8
    public var src: IPAddress
    public var dst: IPAddress
    /// The upper-layer protocol after IPv6 extension headers.
    public var proto: UInt8
    public var ttl: UInt8
    /// The upper-layer bytes present in the capture (trimmed to the length the header claims).
    public var payload: Range<Int>
    /// True when the header claims more bytes than were captured.
    public var short: Bool
    /// Set for a fragment (IPv4 MF or offset, IPv6 Fragment header).
    public var fragment: Fragment?

    public struct Fragment: Hashable, Sendable {
        public var id: UInt32
        public var offset: Int   // bytes
        public var more: Bool
    }
}

public enum IPDecoder {
    /// Decodes the IP header at `start`, choosing by the version nibble. (The two decoders are inlined here: called,
    /// each wrote its header to a temporary that was then copied to the caller's.)
    public static func decode(_ b: Span<UInt8>, at start: Int) throws(DecodeError) -> IPHeader {
        guard b.count > start else { throw DecodeError(.ipTruncated, at: start) }
        switch b.u8(start) >> 4 {
        case 4: return try decodeV4(b, at: start)
        case 6: return try decodeV6(b, at: start)
        default: throw DecodeError(.ipBadHeader, at: start)
        }
    }

    // RFC 791 §3.1
    @inline(__always) static func decodeV4(_ b: Span<UInt8>, at s: Int) throws(DecodeError) -> IPHeader {
        guard b.count >= s + 20 else { throw DecodeError(.ipTruncated, at: s) }
        let ihl = Int(b.u8(s) & 0x0f) * 4
        guard ihl >= 20 else { throw DecodeError(.ipBadHeader, at: s) }
        guard b.count >= s + ihl else { throw DecodeError(.ipTruncated, at: s) }
        let total = Int(b.u16(s + 2))
        guard total >= ihl else { throw DecodeError(.ipBadHeader, at: s + 2) }
        let fragField = b.u16(s + 6)
        let more = fragField & 0x2000 != 0
        let offset = Int(fragField & 0x1fff) * 8
        let available = b.count - s
        let end = s + min(total, available)
        var frag: IPHeader.Fragment?
        if more || offset != 0 {
            frag = IPHeader.Fragment(id: UInt32(b.u16(s + 4)), offset: offset, more: more)
        }
        return IPHeader(version: 4, src: b.ipv4(s + 12), dst: b.ipv4(s + 16), proto: b.u8(s + 9), ttl: b.u8(s + 8),
                        payload: (s + ihl)..<end, short: total > available, fragment: frag)
    }

    // RFC 8200 §3, §4
    @inline(__always) static func decodeV6(_ b: Span<UInt8>, at s: Int) throws(DecodeError) -> IPHeader {
        guard b.count >= s + 40 else { throw DecodeError(.ipTruncated, at: s) }
        let plen = Int(b.u16(s + 4))
        var next = b.u8(s + 6)
        let available = b.count - s - 40
        let end = s + 40 + min(plen, available)
        var off = s + 40
        var frag: IPHeader.Fragment?
        // Extension headers: hop-by-hop 0, routing 43, fragment 44, destination options 60, AH 51.
        var hops = 0
        loop: while hops < 16 {
            hops += 1
            switch next {
            case 0, 43, 60:
                guard end >= off + 8 else { throw DecodeError(.ipTruncated, at: off) }
                let len = (Int(b.u8(off + 1)) + 1) * 8
                next = b.u8(off)
                off += len
            case 51:
                guard end >= off + 8 else { throw DecodeError(.ipTruncated, at: off) }
                let len = (Int(b.u8(off + 1)) + 2) * 4
                next = b.u8(off)
                off += len
            case 44:
                guard end >= off + 8 else { throw DecodeError(.ipTruncated, at: off) }
                let f = b.u16(off + 2)
                frag = IPHeader.Fragment(id: b.u32(off + 4), offset: Int(f & 0xfff8), more: f & 1 != 0)
                next = b.u8(off)
                off += 8
            default:
                break loop
            }
            guard off <= end else { throw DecodeError(.ipTruncated, at: off) }
        }
        return IPHeader(version: 6, src: b.ipv6(s + 8), dst: b.ipv6(s + 24), proto: next, ttl: b.u8(s + 7),
                        payload: off..<end, short: plen > available, fragment: frag)
    }
}
