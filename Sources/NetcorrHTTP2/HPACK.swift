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
    /// What it was made with (a pooled decoder is reused only for the same).
    let ceiling: Int, maxHeaderListSize: Int

    init(ceiling: Int, maxHeaderListSize: Int, startAt4096: Bool = true) {
        let c = max(4096, ceiling)
        self.ceiling = ceiling
        self.maxHeaderListSize = maxHeaderListSize
        decoder = HPACKDecoder(allocator: allocator, maxDynamicTableSize: c, maxHeaderListSize: max(1, maxHeaderListSize))
        scratch = allocator.buffer(capacity: 512)
        if c > 4096 && startAt4096 { sizeUpdates([4096]) }
    }

    /// Back to the state `init` leaves with these arguments: the dynamic table emptied (a table-size update to 0)
    /// and its size set as a new decoder's (a second update). NIO's table storage is kept: a new decoder
    /// allocates and initialises slots in proportion to the ceiling, and frees them one by one.
    mutating func reset(startAt4096: Bool) {
        let c = max(4096, ceiling)
        sizeUpdates([0, c > 4096 && startAt4096 ? 4096 : c])
    }

    /// Feeds a block made only of dynamic table size updates (RFC 7541 §6.3: 001xxxxx, 5-bit prefix integer).
    private mutating func sizeUpdates(_ sizes: [Int]) {
        scratch.clear()
        for size in sizes {
            var v = size
            if v < 31 { scratch.writeInteger(UInt8(0x20 | v)); continue }
            scratch.writeInteger(UInt8(0x3f))
            v -= 31
            while v >= 128 { scratch.writeInteger(UInt8(v & 0x7f | 0x80)); v >>= 7 }
            scratch.writeInteger(UInt8(v))
        }
        _ = try? decoder.decodeHeaders(from: &scratch)
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

/// HPACK decoders of finished connections, reset and handed to the next ones (one pipeline, one thread): a
/// capture of many short connections otherwise builds and tears down NIO's table storage twice per connection.
/// At most `capacity` are kept, so memory does not follow the number of connections.
public final class HPACKDecoderPool {
    var free: [NIOHeaderBlockDecoder] = []
    let capacity: Int

    public init(capacity: Int = 4) { self.capacity = capacity }

    /// A decoder in the state `NIOHeaderBlockDecoder(ceiling:maxHeaderListSize:startAt4096:)` makes.
    func take(ceiling: Int, maxHeaderListSize: Int, startAt4096: Bool) -> NIOHeaderBlockDecoder {
        if var d = free.popLast() {
            if d.ceiling == ceiling && d.maxHeaderListSize == maxHeaderListSize {
                d.reset(startAt4096: startAt4096)
                return d
            }
        }
        return NIOHeaderBlockDecoder(ceiling: ceiling, maxHeaderListSize: maxHeaderListSize, startAt4096: startAt4096)
    }

    /// A decoder whose connection is over and whose last block decoded (a failed one may be mid-change).
    func give(_ d: NIOHeaderBlockDecoder) {
        if free.count < capacity { free.append(d) }
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
