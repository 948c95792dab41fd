import Testing
import NetcorrCore
@testable import NetcorrWire

@Suite struct AddressTests {
    @Test(arguments: [
        ("2001:db8::1", "2001:db8::1"), ("2001:0db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),
        ("::", "::"), ("::1", "::1"), ("fe80::", "fe80::"), ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),
        ("::ffff:192.0.2.1", "::ffff:192.0.2.1"), ("2001:DB8::A", "2001:db8::a"), ("1:0:0:2:0:0:0:3", "1:0:0:2::3"),
    ])
    func rfc5952(_ input: String, _ expected: String) throws {
        let a = try #require(IPAddress(input))
        #expect(a.description == expected)
    }

    @Test(arguments: ["", "1.2.3", "1.2.3.256", ":::", "1::2::3", "12345::", "g::1", "1:2:3:4:5:6:7:8:9"])
    func rejects(_ input: String) { #expect(IPAddress(input) == nil) }

    @Test func endpoints() throws {
        #expect(Endpoint(Substring("10.0.0.10:53"))?.description == "10.0.0.10:53")
        #expect(Endpoint(Substring("[fd77::53]:53"))?.description == "[fd77::53]:53")
    }
}

/// A real packet from a run of `scripts/lab run dns-ok` (`tcpdump -nn -xx`, Linux cooked v2 from `-i any`):
/// 10.77.0.10.56187 > 10.77.0.53.53: 34839+ [1au] AAAA? app.lab.test. (41)
enum RealPacket {
    static let sll2Query: [UInt8] = [
        0x08, 0x00, 0x00, 0x00,   // SLL2: protocol IPv4, reserved
        0x00, 0x00, 0x00, 0x02,   // interface index 2
        0x00, 0x01, 0x04, 0x06,   // ARPHRD_ETHER, packet type 4 (outgoing), address length 6
        0xba, 0x98, 0x12, 0x44, 0xda, 0xdb, 0x00, 0x00,   // link-layer address, padded to 8
        0x45, 0x00, 0x00, 0x45, 0xcf, 0xed, 0x40, 0x00, 0x40, 0x11, 0x55, 0xe2,   // IPv4, 69 bytes, DF, TTL 64, UDP
        0x0a, 0x4d, 0x00, 0x0a, 0x0a, 0x4d, 0x00, 0x35,   // 10.77.0.10 > 10.77.0.53
        0xdb, 0x7b, 0x00, 0x35, 0x00, 0x31, 0x15, 0x1b,   // UDP 56187 > 53, length 49
        0x88, 0x17, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,   // DNS id 34839, RD, QD 1 AR 1
        0x03, 0x61, 0x70, 0x70, 0x03, 0x6c, 0x61, 0x62, 0x04, 0x74, 0x65, 0x73, 0x74, 0x00, 0x00, 0x1c, 0x00, 0x01,
        0x00, 0x00, 0x29, 0x04, 0xd0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    ]
    static let dnsLength = 41
}

@Suite struct PacketDecoderTests {
    @Test func sll2IPv4UDP() throws {
        let b = RealPacket.sll2Query
        let link = try LinkDecoder.decode(b.span, linkType: .linuxSLL2)
        #expect(link.etherType == .ipv4 && link.payloadOffset == 20 && link.interfaceIndex == 2 && link.packetType == 4)
        let ip = try IPDecoder.decode(b.span, at: link.payloadOffset)
        #expect(ip.src.description == "10.77.0.10" && ip.dst.description == "10.77.0.53" && ip.proto == 17)
        #expect(!ip.short && ip.fragment == nil)
        let u = try TransportDecoder.udp(b.span, ip.payload)
        #expect(u.sport == 56187 && u.dport == 53 && u.payload.count == RealPacket.dnsLength)
    }

    /// Every strict prefix of the packet fails cleanly at some layer or decodes short; nothing traps.
    @Test func dripFeed() {
        let b = RealPacket.sll2Query
        for n in 0..<b.count {
            let p = Array(b.prefix(n))
            guard let link = try? LinkDecoder.decode(p.span, linkType: .linuxSLL2) else { #expect(n < 20); continue }
            guard let ip = try? IPDecoder.decode(p.span, at: link.payloadOffset) else { #expect(n < 40); continue }
            #expect(ip.short)
            if let u = try? TransportDecoder.udp(p.span, ip.payload) { #expect(u.payload.count < RealPacket.dnsLength) }
        }
    }

    /// A Linux cooked v1 header whose packet type is garbage (0xa900, from a mutated capture): decoded, no trap.
    @Test func sllPacketTypeOutOfRange() throws {
        var b: [UInt8] = [0xa9, 0x00, 0x00, 0x01, 0x00, 0x06] + [UInt8](repeating: 0, count: 8) + [0x08, 0x00]
        b += Array(RealPacket.sll2Query[20...])
        let link = try LinkDecoder.decode(b.span, linkType: .linuxSLL)
        #expect(link.etherType == .ipv4 && link.payloadOffset == 16 && link.packetType == Int16.max)
    }

    @Test func vlanStack() throws {
        // Ethernet, 802.1ad, 802.1Q, then IPv6.
        var b: [UInt8] = [UInt8](repeating: 0, count: 12) + [0x88, 0xa8, 0, 1, 0x81, 0x00, 0, 2, 0x86, 0xdd]
        b += [0x60, 0, 0, 0, 0, 0, 17, 64] + [UInt8](repeating: 0, count: 32)
        let link = try LinkDecoder.decode(b.span, linkType: .ethernet)
        #expect(link.etherType == .ipv6 && link.payloadOffset == 22)
        let ip = try IPDecoder.decode(b.span, at: 22)
        #expect(ip.version == 6 && ip.proto == 17 && ip.payload.isEmpty)
    }

    @Test func ipv4HeaderLengthBelowMinimumIsBad() {
        let b: [UInt8] = [0x44] + [UInt8](repeating: 0, count: 19)
        #expect(throws: DecodeError.self) { try IPDecoder.decode(b.span, at: 0) }
    }

    @Test func tcpDataOffsetBeyondSegment() {
        var seg = [UInt8](repeating: 0, count: 20)
        seg[12] = 0xf0   // 60-byte header in a 20-byte segment
        #expect(throws: DecodeError.self) { try TransportDecoder.tcp(seg.span, 0..<20) }
    }

    @Test func unknownLinkTypeIsAnError() {
        let b: [UInt8] = [1, 2, 3, 4]
        #expect(throws: DecodeError.self) { try LinkDecoder.decode(b.span, linkType: LinkType(rawValue: 147)) }
    }

    @Test func nullLinkBothByteOrders() throws {
        let le: [UInt8] = [2, 0, 0, 0], be: [UInt8] = [0, 0, 0, 30]
        #expect(try LinkDecoder.decode(le.span, linkType: .null).etherType == .ipv4)
        #expect(try LinkDecoder.decode(be.span, linkType: .null).etherType == .ipv6)
    }

    @Test func ipv6FragmentHeader() throws {
        var b: [UInt8] = [0x60, 0, 0, 0, 0, 16, 44, 64] + [UInt8](repeating: 0, count: 32)
        b += [17, 0, 0x00, 0x09, 0, 0, 0, 42]   // next UDP, offset 8 bytes (1 << 3), M=1, id 42
        b += [UInt8](repeating: 0, count: 8)
        let ip = try IPDecoder.decode(b.span, at: 0)
        #expect(ip.proto == 17)
        #expect(ip.fragment == IPHeader.Fragment(id: 42, offset: 8, more: true))
        #expect(ip.payload.count == 8)
    }
}

@Suite struct FragmentTests {
    @Test func outOfOrderFragmentsReassemble() throws {
        var r = FragmentReassembler()
        func frag(_ off: Int, _ more: Bool) -> IPHeader {
            IPHeader(version: 4, src: .v4(1), dst: .v4(2), proto: 17, ttl: 64, payload: 0..<0, short: false,
                     fragment: .init(id: 7, offset: off, more: more))
        }
        let a = [UInt8](repeating: 1, count: 16), b = [UInt8](repeating: 2, count: 8)
        guard case .incomplete = r.add(frag(16, false), payload: b.span, ts: .init(nanoseconds: 0)) else { Issue.record("early"); return }
        guard case .complete(let whole) = r.add(frag(0, true), payload: a.span, ts: .init(nanoseconds: 1)) else {
            Issue.record("not complete"); return
        }
        #expect(whole == a + b)
        #expect(r.pending == 0)
    }

    @Test func boundedDatagrams() {
        var limits = FragmentLimits()
        limits.maxDatagrams = 4
        var r = FragmentReassembler(limits: limits)
        let p = [UInt8](repeating: 0, count: 8)
        for id in 0..<10 {
            _ = r.add(IPHeader(version: 4, src: .v4(1), dst: .v4(2), proto: 17, ttl: 1, payload: 0..<0, short: false,
                               fragment: .init(id: UInt32(id), offset: 0, more: true)), payload: p.span, ts: .init(nanoseconds: 0))
        }
        #expect(r.pending <= 4)
        #expect(r.dropped == 6)
    }
}
