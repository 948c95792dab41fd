import NIOCore
import NIOHPACK
import NetcorrCore

/// The seam between the decoder and an HPACK implementation: no NIO type crosses it.
protocol HeaderBlockDecoding {
    /// Decodes one complete header block. Throws on any failure; the table may then be partly changed.
    mutating func decode(_ block: UnsafeRawBufferPointer) throws -> [HTTP2HeaderField]
}

struct HPACKFailure: Error, CustomStringConvertible {
    var description: String
}

/// NIOHPACK's decoder. NIO fixes the protocol maximum of the dynamic table at creation, so the decoder is
/// made with `ceiling` (the most any receiver could have advertised that we honour) and its current size is
/// then brought to the RFC 7541 initial 4096 with a synthetic table-size update: encoders may later move
/// anywhere up to the ceiling, and whether that exceeds what the receiver advertised is checked by the caller.
struct NIOHeaderBlockDecoder: HeaderBlockDecoding {
    private var decoder: HPACKDecoder
    private let allocator = ByteBufferAllocator()
    /// Each block is copied here for NIO (kept between blocks: no allocation per block).
    private var scratch: ByteBuffer

    init(ceiling: Int, maxHeaderListSize: Int, startAt4096: Bool = true) {
        let c = max(4096, ceiling)
        decoder = HPACKDecoder(allocator: allocator, maxDynamicTableSize: c, maxHeaderListSize: max(1, maxHeaderListSize))
        scratch = allocator.buffer(capacity: 512)
        if c > 4096 && startAt4096 {
            // 001xxxxx with 5-bit prefix: 31 + 4065 (0xE1 0x1F) = 4096.
            var b = allocator.buffer(capacity: 3)
            b.writeBytes([0x3f, 0xe1, 0x1f])
            _ = try? decoder.decodeHeaders(from: &b)
        }
    }

    mutating func decode(_ block: UnsafeRawBufferPointer) throws -> [HTTP2HeaderField] {
        scratch.clear()
        scratch.writeBytes(block)
        let headers: HPACKHeaders
        do {
            headers = try decoder.decodeHeaders(from: &scratch)
        } catch {
            throw HPACKFailure(description: Self.describe(error))
        }
        var out: [HTTP2HeaderField] = []
        out.reserveCapacity(headers.count)
        for h in headers { out.append(HTTP2HeaderField(name: h.name, value: h.value)) }
        return out
    }

    private static func describe(_ e: Error) -> String {
        let s = String(describing: type(of: e))
        return s.isEmpty ? "\(e)" : s
    }
}

enum HPACKScan {
    /// The dynamic table size updates at the start of a block (RFC 7541 §6.3), at most two; nil when the
    /// block does not start with one or the integer is malformed.
    static func leadingTableSizeUpdates(_ p: UnsafeRawBufferPointer) -> [Int] {
        var out: [Int] = []
        var i = 0
        while i < p.count, out.count < 3, p[i] & 0xe0 == 0x20 {
            var v = Int(p[i] & 0x1f)
            i += 1
            if v == 0x1f {
                var shift = 0
                while true {
                    guard i < p.count, shift <= 28 else { return out }
                    let b = p[i]
                    i += 1
                    v += Int(b & 0x7f) << shift
                    shift += 7
                    if b & 0x80 == 0 { break }
                }
            }
            out.append(v)
        }
        return out
    }
}
