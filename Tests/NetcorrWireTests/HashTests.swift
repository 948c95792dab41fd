import Testing
import NetcorrCore
@testable import NetcorrWire

/// The per-packet tables hash keys with `FastHash` (see `FastHash.step`). A hostile capture must not be able to
/// choose keys that share a hash value: the old one-word scheme (hi × C ⊕ lo) gave every IPv6 address below the
/// same word, so a table of them was one probe chain.
@Suite struct HashTests {
    static let c: UInt64 = 0x9e37_79b9_7f4a_7c15

    @Test func crafted_v6_addresses_do_not_share_a_hash() {
        let target: UInt64 = 0x1234_5678
        let addrs = (0..<2_000).map { i -> IPAddress in
            let hi = UInt64(i) &* 0x1_0000_0001
            return .v6(hi, target ^ (hi &* Self.c))
        }
        let seed = 0x5eed
        let hashes = Set(addrs.map { $0._rawHashValue(seed: seed) })
        #expect(hashes.count > 1_990)
        // Endpoints and connection keys built from them too.
        let flows = Set(addrs.map { FlowKey(Endpoint($0, 443), Endpoint(.v4(0x0a00_0001), 5555), .tcp)._rawHashValue(seed: seed) })
        #expect(flows.count > 1_990)
    }

    @Test func names_hash_without_case_and_apart() throws {
        #expect(FastHash.name("App.Lab.TEST") == FastHash.name("app.lab.test"))
        #expect(FastHash.name("app.lab.test") != FastHash.name("app.lab.tesu"))
        #expect(FastHash.name("a") != FastHash.name("a."))
        // The parser's hash of a question is the hash of its text.
        let wire: [UInt8] = [0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
                             3, 0x41, 0x70, 0x70, 3, 0x6c, 0x61, 0x62, 0, 0, 1, 0, 1]
        let m = try DNSParser.decode(wire.span)
        #expect(m.qname == "App.lab")
        #expect(m.qnameHash == FastHash.name("app.lab"))
    }
}
