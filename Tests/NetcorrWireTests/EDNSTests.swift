import Testing
import NetcorrCore
@testable import NetcorrWire

/// A message keeps its OPT record's first four option codes inline and the rest in its rarely-used box: both read
/// back as one list, in order, and a message equals one holding the same things however it was built.
@Suite struct EDNSTests {
    static func query(options: [UInt16]) -> [UInt8] {
        var rdata: [UInt8] = []
        for (i, c) in options.enumerated() { rdata += [UInt8(c >> 8), UInt8(c & 0xff), 0, 1, UInt8(i)] }
        return [0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 1, 1, 0x61, 0, 0, 1, 0, 1,
                0, 0, 41, 0x04, 0xd0, 0x01, 0x00, 0x80, 0x00, 0, UInt8(rdata.count)] + rdata
    }

    @Test func option_codes_inline_and_beyond() throws {
        for n in 0...7 {
            let codes = (0..<n).map { UInt16(10 + $0 * 0x1111) }
            let m = try DNSParser.decode(Self.query(options: codes).span, records: false)
            #expect(m.edns?.optionCodes == codes, "\(n) options")
            #expect(m.edns?.udpSize == 1232 && m.edns?.extendedRcodeHigh == 1 && m.edns?.dnssecOK == true)
            #expect(m.rcode.rawValue == 16)
            #expect(m.malformed == nil)
            // Set through the public property: the same message.
            var built = DNSMessage(id: m.id, flags: m.flags, qdcount: 1, ancount: 0, nscount: 0, arcount: 1)
            built.qname = "a"
            built.qtype = .a
            built.qclass = 1
            built.edns = EDNSInfo(udpSize: 1232, extendedRcodeHigh: 1, version: 0, dnssecOK: true, optionCodes: codes)
            #expect(built == m)
            #expect(built.hashValue == m.hashValue)
        }
    }

    @Test func copies_do_not_share_what_is_boxed() {
        var a = DNSMessage(id: 1, flags: 0, qdcount: 0, ancount: 0, nscount: 0, arcount: 0)
        a.edns = EDNSInfo(udpSize: 512, extendedRcodeHigh: 0, version: 0, dnssecOK: false, optionCodes: [1, 2, 3, 4, 5])
        a.malformed = "dns.truncated-message"
        var b = a
        b.edns = EDNSInfo(udpSize: 512, extendedRcodeHigh: 0, version: 0, dnssecOK: false, optionCodes: [9])
        b.malformed = nil
        b.records.append(DNSRecord(section: .answer, name: "x", type: .a, rclass: 1, ttl: 1, rdlength: 4, data: "1.2.3.4"))
        #expect(a.edns?.optionCodes == [1, 2, 3, 4, 5])
        #expect(a.malformed == "dns.truncated-message" && a.records.isEmpty)
        #expect(b.edns?.optionCodes == [9] && b.malformed == nil && b.records.count == 1)
        #expect(a != b)
        b.edns = nil
        #expect(b.edns == nil && b.rcode == .noError)
    }
}
