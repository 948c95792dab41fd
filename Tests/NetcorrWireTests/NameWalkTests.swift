import Testing
import NetcorrCore
@testable import NetcorrWire

/// The name walk gathers a name's wire labels a word at a time, the cache is keyed by them, and the text is written
/// from them eight printable bytes at a time: every label length (the word tails) and every byte value (the
/// escapes, also in the middle of a word) must give the text and the `FastHash.name` a byte-by-byte walk gives.
@Suite struct NameWalkTests {
    /// RFC 1035 §5.1 presentation text, byte by byte (what the parser wrote before the word-at-a-time walk).
    static func text(_ labels: [[UInt8]]) -> String {
        labels.map { label in
            label.map { c in
                c > 0x20 && c < 0x7f ? String(UnicodeScalar(c)) : "\\" + String(repeating: "0", count: c < 10 ? 2 : c < 100 ? 1 : 0) + "\(c)"
            }.joined()
        }.joined(separator: ".")
    }

    static func wire(_ labels: [[UInt8]]) -> [UInt8] { labels.flatMap { [UInt8($0.count)] + $0 } + [0] }

    static func query(_ labels: [[UInt8]]) -> [UInt8] {
        [0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0] + wire(labels) + [0, 1, 0, 1]
    }

    @Test func padded_hash_is_the_hash() {
        var bytes = [UInt8](repeating: 0, count: 48)
        for n in 0...40 {
            for i in 0..<n { bytes[i] = UInt8(truncatingIfNeeded: 0x41 + i * 7) }
            for i in n..<48 { bytes[i] = 0x5a }   // what a padded read finds past the count is left out
            let plain = bytes.withUnsafeBufferPointer { FastHash.name(UnsafeBufferPointer(rebasing: $0[0..<n])) }
            let padded = bytes.withUnsafeBytes { FastHash.name(padded: $0.baseAddress!, count: n) }
            #expect(plain == padded, "length \(n)")
        }
    }

    @Test func every_label_length_and_byte_reads_as_text() throws {
        var names = DNSNameCache()
        for l in 1...63 {
            for variant in 0..<4 {
                // Printable labels, and labels with a byte to escape at the start, in the middle or at the end.
                var label = (0..<l).map { UInt8(0x61 + ($0 + variant) % 26) }
                if variant == 1 { label[0] = UInt8(l * 4 % 256) }
                if variant == 2 { label[l / 2] = 0x20 }
                if variant == 3 { label[l - 1] = UInt8(0x7f + l) }
                let labels = [label, Array("Lab".utf8), [0x2e, 0x5c]]
                let m = try DNSParser.decode(Self.query(labels).span, names: &names)
                #expect(m.qname == Self.text(labels), "label of \(l), variant \(variant)")
                #expect(m.qnameHash == FastHash.name(Self.text(labels)))
                // The second time from the cache: the same.
                let again = try DNSParser.decode(Self.query(labels).span, names: &names)
                #expect(again.qname == m.qname && again.qnameHash == m.qnameHash)
            }
        }
    }

    @Test func every_byte_value_reads_as_text() throws {
        for start in stride(from: 0, to: 256, by: 16) {
            let labels = [(start..<start + 16).map { UInt8($0) }, [0x41]]
            let m = try DNSParser.decode(Self.query(labels).span)
            #expect(m.qname == Self.text(labels))
            #expect(m.qnameHash == FastHash.name(Self.text(labels)))
        }
    }

    @Test func cache_grows_keeps_its_bound_and_tells_names_apart() throws {
        var names = DNSNameCache()
        var small = DNSNameCache(capacity: 10)
        for round in 0..<2 {
            for i in 0..<300 {
                let labels = [Array("host\(i)".utf8), Array("Example".utf8)]
                for cache in [true, false] {
                    let m: DNSMessage
                    if cache { m = try DNSParser.decode(Self.query(labels).span, names: &names) }
                    else { m = try DNSParser.decode(Self.query(labels).span, names: &small) }
                    #expect(m.qname == "host\(i).Example", "round \(round)")
                    #expect(m.qnameHash == FastHash.name("host\(i).example"))
                }
            }
        }
        #expect(names.count == 300)
        #expect(small.count == 10)
        // Names that differ only in case are two entries, each with its own text and the same hash.
        let upper = try DNSParser.decode(Self.query([Array("HOST1".utf8), Array("Example".utf8)]).span, names: &names)
        #expect(upper.qname == "HOST1.Example" && upper.qnameHash == FastHash.name("host1.example"))
    }

    @Test func compressed_names_and_a_name_ending_the_message() throws {
        // Question "www.Lab.test"; answer "x" + pointer to "Lab.test" (offset 16), CNAME to an uncompressed name
        // that is the message's last bytes (fewer than eight bytes after its labels start).
        var msg: [UInt8] = [0x12, 0x34, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0]
        msg += Self.wire([Array("www".utf8), Array("Lab".utf8), Array("test".utf8)]) + [0, 5, 0, 1]
        let target = Self.wire([Array("cdn".utf8), [0x00, 0x41]])
        msg += [1, 0x78, 0xc0, 16, 0, 5, 0, 1, 0, 0, 0, 30, 0, UInt8(target.count)] + target
        for records in [true, false] {
            var names = DNSNameCache()
            let m = try DNSParser.decode(msg.span, records: records, names: &names)
            #expect(m.qname == "www.Lab.test")
            #expect(m.malformed == nil)
            if records {
                #expect(m.records.first?.name == "x.Lab.test")
                #expect(m.records.first?.data == "cdn.\\000A")
            }
        }
    }
}
