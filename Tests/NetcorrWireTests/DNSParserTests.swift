import Testing
import NetcorrCore
@testable import NetcorrWire

/// Real messages from a run of `scripts/lab run dns-ok` (the lab's Go client asking the lab's dnsd), as printed
/// by `tcpdump -nn -X`, UDP payload only.
enum RealDNS {
    /// 10.77.0.53.53 > 10.77.0.10.60929: 27120* 1/0/0 A 10.77.0.80
    static let answerA: [UInt8] = [
        0x69, 0xf0, 0x85, 0x80,             // id 27120; QR AA RD RA, NOERROR (RFC 1035 §4.1.1)
        0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,   // QD 1, AN 1, NS 0, AR 0
        0x03, 0x61, 0x70, 0x70, 0x03, 0x6c, 0x61, 0x62, 0x04, 0x74, 0x65, 0x73, 0x74, 0x00,  // app.lab.test
        0x00, 0x01, 0x00, 0x01,             // A IN
        0xc0, 0x0c,                         // pointer to offset 12 (RFC 1035 §4.1.4)
        0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x1e, 0x00, 0x04,  // A IN TTL 30 RDLEN 4
        0x0a, 0x4d, 0x00, 0x50,             // 10.77.0.80
    ]
    /// 10.77.0.53.53 > 10.77.0.10.34302: 22849* 0/1/0 (AAAA, NODATA with an SOA in authority)
    static let noDataSOA: [UInt8] = [
        0x59, 0x41, 0x85, 0x80, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
        0x03, 0x61, 0x70, 0x70, 0x03, 0x6c, 0x61, 0x62, 0x04, 0x74, 0x65, 0x73, 0x74, 0x00, 0x00, 0x1c, 0x00, 0x01,
        0x03, 0x6c, 0x61, 0x62, 0x04, 0x74, 0x65, 0x73, 0x74, 0x00,   // lab.test (not compressed)
        0x00, 0x06, 0x00, 0x01, 0x00, 0x00, 0x00, 0x1e, 0x00, 0x36,   // SOA IN TTL 30 RDLEN 54
        0x02, 0x6e, 0x73, 0x03, 0x6c, 0x61, 0x62, 0x04, 0x74, 0x65, 0x73, 0x74, 0x00,   // ns.lab.test
        0x0a, 0x68, 0x6f, 0x73, 0x74, 0x6d, 0x61, 0x73, 0x74, 0x65, 0x72, 0x03, 0x6c, 0x61, 0x62, 0x04, 0x74, 0x65,
        0x73, 0x74, 0x00,                   // hostmaster.lab.test
        0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x0e, 0x10, 0x00, 0x00, 0x02, 0x58, 0x00, 0x01, 0x51, 0x80,
        0x00, 0x00, 0x00, 0x1e,             // serial 1 refresh 3600 retry 600 expire 86400 minimum 30
    ]
    /// 10.77.0.10.60929 > 10.77.0.53.53: 27120+ [1au] A? app.lab.test. (Go's query, with an OPT record)
    static let queryA: [UInt8] = [
        0x69, 0xf0, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
        0x03, 0x61, 0x70, 0x70, 0x03, 0x6c, 0x61, 0x62, 0x04, 0x74, 0x65, 0x73, 0x74, 0x00, 0x00, 0x01, 0x00, 0x01,
        0x00, 0x00, 0x29, 0x04, 0xd0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,   // OPT: UDP size 1232, no options
    ]
}

@Suite struct DNSParserTests {
    @Test func realAnswer() throws {
        let m = try DNSParser.decode(RealDNS.answerA.span)
        #expect(m.id == 27120)
        #expect(m.isResponse && m.authoritative && !m.truncated)
        #expect(m.rcode == .noError)
        #expect(m.qname == "app.lab.test")
        #expect(m.qtype == .a)
        #expect(m.answers(of: .a) == ["10.77.0.80"])
        #expect(m.records.first?.ttl == 30)
        #expect(m.malformed == nil)
    }

    @Test func realSOA() throws {
        let m = try DNSParser.decode(RealDNS.noDataSOA.span)
        #expect(m.qtype == .aaaa)
        #expect(m.ancount == 0 && m.nscount == 1)
        #expect(m.records.count == 1)
        #expect(m.records[0].section == .authority)
        #expect(m.records[0].data == "ns.lab.test hostmaster.lab.test 1 3600 600 86400 30")
    }

    @Test func realQueryWithEDNS() throws {
        let m = try DNSParser.decode(RealDNS.queryA.span)
        #expect(!m.isResponse && m.recursionDesired)
        #expect(m.edns?.udpSize == 1232)
        #expect(m.edns?.version == 0)
    }

    /// Every strict prefix of a real message decodes to an error or a partial message; nothing traps.
    @Test(arguments: [RealDNS.answerA, RealDNS.noDataSOA, RealDNS.queryA])
    func dripFeed(_ bytes: [UInt8]) {
        for n in 0..<bytes.count {
            let prefix = Array(bytes.prefix(n))
            do {
                let m = try DNSParser.decode(prefix.span)
                #expect(n >= 12)
                #expect(m.malformed != nil, "prefix of \(n) bytes decoded without complaint")
            } catch {
                #expect(n < 12)
            }
        }
    }

    static func header(qd: UInt16 = 1, an: UInt16 = 0) -> [UInt8] {
        [0x12, 0x34, 0x81, 0x80, 0, UInt8(qd), 0, UInt8(an), 0, 0, 0, 0]
    }

    @Test func pointerLoopEnds() throws {
        // The question name is a pointer to itself (offset 12 → 12).
        let msg = Self.header() + [0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01]
        let m = try DNSParser.decode(msg.span)
        #expect(m.malformed == "dns.compression-loop")
        #expect(m.qname == "<Name contains a pointer that loops>")
        #expect(m.qtype == .a)   // decoding went on after the name
    }

    @Test func twoPointerLoopEnds() throws {
        // 12: label "a" then pointer to 17; 17: pointer back to 12.
        let msg = Self.header() + [0x01, 0x61, 0xc0, 0x11, 0x00, 0xc0, 0x0c]
        let m = try DNSParser.decode(msg.span)
        #expect(m.malformed == "dns.compression-loop")
    }

    @Test func nameOver255OctetsIsRejected() throws {
        // 5 labels of 63 octets: 5 × 64 + 1 = 321 octets > 255 (RFC 1035 §2.3.4).
        var name: [UInt8] = []
        for _ in 0..<5 { name += [63] + [UInt8](repeating: 0x61, count: 63) }
        let msg = Self.header() + name + [0, 0, 1, 0, 1]
        let m = try DNSParser.decode(msg.span)
        #expect(m.malformed == "dns.name-too-long")
        #expect(m.qname == nil)
    }

    @Test func recordRunningPastTheMessage() throws {
        var msg = Self.header(an: 1) + [0x01, 0x61, 0x00, 0x00, 0x01, 0x00, 0x01]
        msg += [0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01, 0, 0, 0, 60, 0x00, 0x10, 1, 2, 3, 4]   // RDLEN 16, 4 present
        let m = try DNSParser.decode(msg.span)
        #expect(m.qname == "a")
        #expect(m.malformed == "dns.record-overrun")
        #expect(m.records.isEmpty)
    }

    @Test func extendedLabelTypeIsBad() throws {
        let msg = Self.header() + [0x41, 0x00, 0x00, 0x01, 0x00, 0x01]
        let m = try DNSParser.decode(msg.span)
        #expect(m.malformed == "dns.bad-label")
    }

    @Test func extendedRcodeFromOPT() throws {
        // BADCOOKIE = 23: header rcode 7, OPT extended-rcode high bits 1 (RFC 6891 §6.1.3).
        let msg: [UInt8] = [0, 1, 0x81, 0x87, 0, 0, 0, 0, 0, 0, 0, 1,
                            0x00, 0x00, 0x29, 0x10, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00]
        let m = try DNSParser.decode(msg.span)
        #expect(m.rcode.rawValue == 23)
        #expect(m.rcode.description == "BADCOOKIE")
    }

    @Test func nonPrintableLabelBytesAreEscaped() throws {
        let msg = Self.header() + [0x03, 0x61, 0x20, 0x2e, 0x00, 0x00, 0x01, 0x00, 0x01]
        let m = try DNSParser.decode(msg.span)
        #expect(m.qname == "a\\032.")
    }
}
