import NetcorrCore

/// Stateless recognisers the pipeline uses to decide whether a TCP connection carries HTTP/2.
public enum HTTP2Detect {
    /// "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
    public static let clientPreface: [UInt8] = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)

    public enum Verdict: Hashable, Sendable {
        case yes, no
        /// The bytes so far agree but are too few to decide.
        case needMoreData
    }

    /// Whether the first bytes of the client's side are the HTTP/2 client preface.
    public static func isClientPreface(_ bytes: UnsafeRawBufferPointer) -> Verdict {
        let n = min(bytes.count, clientPreface.count)
        for i in 0..<n where bytes[i] != clientPreface[i] { return .no }
        return n == clientPreface.count ? .yes : .needMoreData
    }

    public static func isClientPreface(_ bytes: [UInt8]) -> Verdict {
        bytes.withUnsafeBytes { isClientPreface($0) }
    }

    /// Strict validation of a 9-byte frame header for finding frame boundaries in an unsynchronised stream:
    /// a core type (0…9), only that type's defined flags, length ≤ `maxFrameSize` and fitting the type
    /// (SETTINGS a multiple of 6 and 0 for an ACK, PING 8, WINDOW_UPDATE 4, RST_STREAM 4, PRIORITY 5,
    /// GOAWAY ≥ 8), reserved bit clear, stream id zero exactly for connection frames.
    public static func looksLikeFrameHeader(_ b: UnsafeRawBufferPointer, maxFrameSize: Int = 16384) -> Bool {
        guard b.count >= 9 else { return false }
        let length = Int(b[0]) << 16 | Int(b[1]) << 8 | Int(b[2])
        let type = b[3], flags = b[4]
        guard b[5] & 0x80 == 0, length <= maxFrameSize else { return false }
        let stream = UInt32(b[5]) << 24 | UInt32(b[6]) << 16 | UInt32(b[7]) << 8 | UInt32(b[8])
        switch type {
        case 0x0: return stream != 0 && flags & ~0x09 == 0
        case 0x1: return stream != 0 && flags & ~0x2d == 0 && length > 0
        case 0x2: return stream != 0 && flags == 0 && length == 5
        case 0x3: return stream != 0 && flags == 0 && length == 4
        case 0x4: return stream == 0 && (flags == 0 ? length % 6 == 0 : flags == 1 && length == 0)
        case 0x5: return stream != 0 && flags & ~0x0c == 0 && length >= 4 && stream % 2 == 1
        case 0x6: return stream == 0 && flags & ~0x01 == 0 && length == 8
        case 0x7: return stream == 0 && flags == 0 && length >= 8
        case 0x8: return flags == 0 && length == 4
        case 0x9: return stream != 0 && flags & ~0x04 == 0
        default: return false
        }
    }

    public static func looksLikeFrameHeader(_ bytes: [UInt8], maxFrameSize: Int = 16384) -> Bool {
        bytes.withUnsafeBytes { looksLikeFrameHeader($0, maxFrameSize: maxFrameSize) }
    }

    /// The first offset in `bytes` where a frame boundary is believable: a valid header whose frame is
    /// followed by another valid header, or whose frame ends exactly at the end of `bytes` when
    /// `endIsBoundary` (the bytes end at a segment boundary, where senders usually end frames).
    /// Returns `.needMoreData` with the offset of a valid header whose successor is not yet visible.
    public enum Boundary: Hashable, Sendable {
        case found(Int)
        case needMoreData(from: Int)
        case none
    }

    public static func findFrameBoundary(_ b: UnsafeRawBufferPointer, maxFrameSize: Int = 16384,
                                         endIsBoundary: Bool = true) -> Boundary {
        var i = 0
        while i + 9 <= b.count {
            let h = UnsafeRawBufferPointer(rebasing: b[i..<(i + 9)])
            if looksLikeFrameHeader(h, maxFrameSize: maxFrameSize) {
                let len = Int(b[i]) << 16 | Int(b[i + 1]) << 8 | Int(b[i + 2])
                let next = i + 9 + len
                if next + 9 <= b.count {
                    if looksLikeFrameHeader(UnsafeRawBufferPointer(rebasing: b[next..<(next + 9)]), maxFrameSize: maxFrameSize) {
                        return .found(i)
                    }
                } else if next == b.count && endIsBoundary {
                    return .found(i)
                } else {
                    return .needMoreData(from: i)
                }
            }
            i += 1
        }
        return b.count >= 9 ? .needMoreData(from: b.count - 8) : .needMoreData(from: 0)
    }

    /// An HTTP/1.x request line ("GET / HTTP/1.1"): a token of upper-case letters, a space.
    public static func looksLikeHTTP1Request(_ b: UnsafeRawBufferPointer) -> Verdict {
        var i = 0
        while i < b.count && i < 16 {
            let c = b[i]
            if c == 0x20 { return i > 0 ? .yes : .no }
            if !(c >= 0x41 && c <= 0x5a) && c != 0x2d { return .no }
            i += 1
        }
        return i >= 16 ? .no : .needMoreData
    }

    /// A complete HTTP/1.1 request header block that asks to upgrade to h2c (`Upgrade` lists "h2c").
    /// `.needMoreData` until the blank line ending the header block is seen.
    public static func isH2CUpgradeRequest(_ b: UnsafeRawBufferPointer) -> Verdict {
        if looksLikeHTTP1Request(b) == .no { return .no }
        guard let end = HTTP1.headerEnd(b) else { return .needMoreData }
        guard let head = HTTP1.Head(UnsafeRawBufferPointer(rebasing: b[0..<end])) else { return .no }
        return head.upgradesToH2C ? .yes : .no
    }

    /// A complete HTTP/1.1 `101 Switching Protocols` response head (with `Upgrade: h2c`, not required).
    public static func isSwitchingProtocols(_ b: UnsafeRawBufferPointer) -> Verdict {
        let prefix = Array("HTTP/1.".utf8)
        for i in 0..<min(prefix.count, b.count) where b[i] != prefix[i] { return .no }
        guard let end = HTTP1.headerEnd(b) else { return .needMoreData }
        guard let head = HTTP1.Head(UnsafeRawBufferPointer(rebasing: b[0..<end])) else { return .no }
        return head.status == 101 ? .yes : .no
    }
}

/// Minimal HTTP/1.1 head parsing for the h2c Upgrade exchange.
enum HTTP1 {
    /// Offset just past "\r\n\r\n", if present.
    static func headerEnd(_ b: UnsafeRawBufferPointer, from: Int = 0) -> Int? {
        var i = max(0, from - 3)
        while i + 4 <= b.count {
            if b[i] == 0x0d && b[i + 1] == 0x0a && b[i + 2] == 0x0d && b[i + 3] == 0x0a { return i + 4 }
            i += 1
        }
        return nil
    }

    struct Head {
        var isResponse: Bool
        var method: String?
        var target: String?
        var status: Int?
        var fields: [(String, String)] = []

        init?(_ b: UnsafeRawBufferPointer) {
            let text = String(decoding: b, as: UTF8.self)
            var lines = text.split(separator: "\r\n", omittingEmptySubsequences: true).makeIterator()
            guard let first = lines.next() else { return nil }
            let parts = first.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: true)
            guard parts.count >= 2 else { return nil }
            if parts[0].hasPrefix("HTTP/") {
                isResponse = true
                guard let s = Int(parts[1]) else { return nil }
                status = s
            } else {
                isResponse = false
                method = String(parts[0]); target = String(parts[1])
            }
            while let l = lines.next() {
                guard let c = l.firstIndex(of: ":") else { continue }
                let name = l[..<c].lowercased()
                let value = l[l.index(after: c)...].h2Trimmed(" \t")
                fields.append((name, value))
            }
        }

        func field(_ name: String) -> String? { fields.first { $0.0 == name }?.1 }

        var upgradesToH2C: Bool {
            guard let u = field("upgrade") else { return false }
            return u.split(separator: ",").contains { $0.h2Trimmed(" \t").lowercased() == "h2c" }
        }
        var contentLength: Int? { field("content-length").flatMap { Int($0) } }
    }
}

extension Substring {
    func h2Trimmed(_ set: String) -> String {
        var s = self[...]
        while let f = s.first, set.contains(f) { s = s.dropFirst() }
        while let l = s.last, set.contains(l) { s = s.dropLast() }
        return String(s)
    }
}
