import Testing
import NetcorrCore
@testable import NetcorrHTTP2

/// A decoder handed back by `HPACKDecoderPool` must decode exactly as a new one: its table emptied, its size as a
/// new decoder's, whatever the connection it served had done to it.
@Suite("HPACK decoder pool")
struct HPACKPoolTests {
    /// Literal with incremental indexing, new name (RFC 7541 §6.2.1).
    static func literal(_ name: String, _ value: String) -> [UInt8] {
        func str(_ s: String) -> [UInt8] {
            let b = Array(s.utf8)
            precondition(b.count < 127)
            return [UInt8(b.count)] + b
        }
        return [0x40] + str(name) + str(value)
    }

    /// A value longer than 126 bytes (7-bit prefix integer, continued).
    static func bigLiteral(_ name: String, valueLength: Int) -> [UInt8] {
        var out: [UInt8] = [0x40, UInt8(name.utf8.count)] + Array(name.utf8)
        var v = valueLength - 127
        out.append(0x7f)
        while v >= 128 { out.append(UInt8(v & 0x7f | 0x80)); v >>= 7 }
        out.append(UInt8(v))
        return out + [UInt8](repeating: 0x61, count: valueLength)
    }

    static func run(_ d: inout NIOHeaderBlockDecoder, _ block: [UInt8]) -> String {
        do {
            let fields = try block.withUnsafeBytes { try d.decode($0) }
            return fields.map { "\($0.name)=\($0.value.count > 20 ? "\($0.value.count) bytes" : $0.value)" }.joined(separator: ",")
        } catch {
            return "error: \(error)"
        }
    }

    @Test(arguments: [true, false])
    func reusedDecodesAsNew(startAt4096: Bool) {
        let ceiling = 64 << 10, listSize = 1 << 20
        let pool = HPACKDecoderPool()
        var used = pool.take(ceiling: ceiling, maxHeaderListSize: listSize, startAt4096: startAt4096)
        // The connection it served: a larger table (8192, 001 11111 + 8161), entries in it.
        for block in [[0x3f, 0xe1, 0x3f] + Self.literal("x-one", "1"), Self.literal("x-two", "2"),
                      Self.bigLiteral("x-big", valueLength: 3000)] {
            _ = Self.run(&used, block)
        }
        #expect(Self.run(&used, [0xbe]).hasPrefix("x-big="))
        pool.give(used)

        var reused = pool.take(ceiling: ceiling, maxHeaderListSize: listSize, startAt4096: startAt4096)
        var fresh = NIOHeaderBlockDecoder(ceiling: ceiling, maxHeaderListSize: listSize, startAt4096: startAt4096)
        let probes: [[UInt8]] = [
            [0xbe],                                          // dynamic index 62: the table must be empty
            Self.literal("foo", "bar"), [0xbe],              // one entry, found again
            Self.bigLiteral("x-5k", valueLength: 5000), [0xbe], [0xbf],  // fits only in a table larger than 4096
            [0x3f, 0xe1, 0x3f] + Self.bigLiteral("x-5k", valueLength: 5000), [0xbe],  // after an update to 8192
            [0x82, 0x84],                                    // static entries
        ]
        for p in probes {
            #expect(Self.run(&reused, p) == Self.run(&fresh, p), "block \(p.prefix(8))")
        }
    }

    @Test func otherLimitsAreNotReused() {
        let pool = HPACKDecoderPool()
        var d = pool.take(ceiling: 64 << 10, maxHeaderListSize: 1 << 20, startAt4096: true)
        _ = Self.run(&d, Self.literal("foo", "bar"))
        pool.give(d)
        // Another ceiling: a new decoder (the pooled one is dropped), empty.
        var other = pool.take(ceiling: 8 << 10, maxHeaderListSize: 1 << 20, startAt4096: true)
        #expect(Self.run(&other, [0xbe]).hasPrefix("error: "))
        #expect(pool.free.isEmpty)
    }
}
