import NetcorrCore

/// libpcap link-layer header types (LINKTYPE_*), an open set.
public struct LinkType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }
    public static let null = LinkType(rawValue: 0)
    public static let ethernet = LinkType(rawValue: 1)
    public static let raw = LinkType(rawValue: 101)
    public static let rawDLT12 = LinkType(rawValue: 12)   // DLT_RAW on some BSDs, as libpcap may report it
    public static let rawDLT14 = LinkType(rawValue: 14)   // DLT_RAW on OpenBSD
    public static let loop = LinkType(rawValue: 108)
    public static let linuxSLL = LinkType(rawValue: 113)
    public static let ipv4 = LinkType(rawValue: 228)
    public static let ipv6 = LinkType(rawValue: 229)
    public static let linuxSLL2 = LinkType(rawValue: 276)
    public var description: String {
        switch rawValue {
        case 0: "NULL"; case 1: "EN10MB"; case 12, 14, 101: "RAW"; case 108: "LOOP"; case 113: "LINUX_SLL"
        case 228: "IPV4"; case 229: "IPV6"; case 276: "LINUX_SLL2"; default: "LINKTYPE_\(rawValue)"
        }
    }
}

public struct EtherType: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    public static let ipv4 = EtherType(rawValue: 0x0800)
    public static let arp = EtherType(rawValue: 0x0806)
    public static let vlan = EtherType(rawValue: 0x8100)
    public static let qinq = EtherType(rawValue: 0x88a8)
    public static let qinqOld = EtherType(rawValue: 0x9100)
    public static let ipv6 = EtherType(rawValue: 0x86dd)
}

/// What the link layer says about a packet: where the network layer starts and which protocol it is.
public struct LinkHeader: Hashable, Sendable {
    public var etherType: EtherType
    public var payloadOffset: Int
    /// The interface index of a Linux cooked v2 header (what `-i any` records), else -1.
    public var interfaceIndex: Int32
    /// Linux packet type (0 to us, 1 broadcast, 2 multicast, 3 to another host, 4 outgoing), else -1.
    public var packetType: Int16
}

public enum LinkDecoder {
    /// Decodes the link-layer header of `linkType`. Unknown types and short headers throw.
    public static func decode(_ b: Span<UInt8>, linkType: LinkType) throws(DecodeError) -> LinkHeader {
        switch linkType.rawValue {
        case 1:
            guard b.count >= 14 else { throw DecodeError(.linkTruncated, at: 0) }
            var type = b.u16(12)
            var off = 14
            // 802.1Q / 802.1ad / QinQ tags, any depth.
            while type == 0x8100 || type == 0x88a8 || type == 0x9100 {
                guard b.count >= off + 4 else { throw DecodeError(.linkTruncated, at: off) }
                type = b.u16(off + 2)
                off += 4
            }
            return LinkHeader(etherType: EtherType(rawValue: type), payloadOffset: off, interfaceIndex: -1, packetType: -1)
        case 113:
            guard b.count >= 16 else { throw DecodeError(.linkTruncated, at: 0) }
            return LinkHeader(etherType: EtherType(rawValue: b.u16(14)), payloadOffset: 16, interfaceIndex: -1,
                              // Linux defines 0–7; any other value is kept as what it says, capped (a garbled
                              // header above 32,767 trapped the conversion).
                              packetType: Int16(clamping: b.u16(0)))
        case 276:
            guard b.count >= 20 else { throw DecodeError(.linkTruncated, at: 0) }
            return LinkHeader(etherType: EtherType(rawValue: b.u16(0)), payloadOffset: 20,
                              interfaceIndex: Int32(bitPattern: b.u32(4)), packetType: Int16(b.u8(10)))
        case 101, 12, 14:
            guard b.count >= 1 else { throw DecodeError(.linkTruncated, at: 0) }
            let v = b.u8(0) >> 4
            let t: EtherType = v == 4 ? .ipv4 : v == 6 ? .ipv6 : EtherType(rawValue: 0)
            return LinkHeader(etherType: t, payloadOffset: 0, interfaceIndex: -1, packetType: -1)
        case 228:
            return LinkHeader(etherType: .ipv4, payloadOffset: 0, interfaceIndex: -1, packetType: -1)
        case 229:
            return LinkHeader(etherType: .ipv6, payloadOffset: 0, interfaceIndex: -1, packetType: -1)
        case 0, 108:
            guard b.count >= 4 else { throw DecodeError(.linkTruncated, at: 0) }
            // NULL: the family in the capturing host's byte order; LOOP: network order. Accept either.
            let be = b.u32(0), le = b.u32le(0)
            let fam = linkType.rawValue == 108 ? be : (le < 256 ? le : be)
            let t: EtherType
            switch fam {
            case 2: t = .ipv4
            case 10, 23, 24, 26, 28, 30: t = .ipv6   // Linux, WinSock, NetBSD/OpenBSD, Solaris, FreeBSD, Darwin
            default: t = EtherType(rawValue: 0)
            }
            return LinkHeader(etherType: t, payloadOffset: 4, interfaceIndex: -1, packetType: -1)
        default:
            throw DecodeError(.linkUnknown, at: 0)
        }
    }
}
