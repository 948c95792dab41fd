import NetcorrCore

/// x/net/http2 frame.go `summarizeFrame`, read back:
/// `TYPE[ flags=A|B|0xNN][ stream=N] len=N` then per type `, settings: K=V, K=V` (SETTINGS),
/// ` data="…"[ (N bytes omitted)]` (DATA), `[ (conn)] incr=N` (WINDOW_UPDATE), ` ping="…"` (PING),
/// ` LastStreamID=N ErrCode=X Debug="…"` (GOAWAY), ` ErrCode=X` (RST_STREAM).
enum H2Names {
    static let frameTypes: [String: UInt8] = [
        "DATA": 0, "HEADERS": 1, "PRIORITY": 2, "RST_STREAM": 3, "SETTINGS": 4, "PUSH_PROMISE": 5, "PING": 6,
        "GOAWAY": 7, "WINDOW_UPDATE": 8, "CONTINUATION": 9,
    ]
    static let settings: [String: UInt16] = [
        "HEADER_TABLE_SIZE": 1, "ENABLE_PUSH": 2, "MAX_CONCURRENT_STREAMS": 3, "INITIAL_WINDOW_SIZE": 4,
        "MAX_FRAME_SIZE": 5, "MAX_HEADER_LIST_SIZE": 6, "ENABLE_CONNECT_PROTOCOL": 8, "NO_RFC7540_PRIORITIES": 9,
    ]
    static let errorCodes: [String: UInt32] = [
        "NO_ERROR": 0, "PROTOCOL_ERROR": 1, "INTERNAL_ERROR": 2, "FLOW_CONTROL_ERROR": 3, "SETTINGS_TIMEOUT": 4,
        "STREAM_CLOSED": 5, "FRAME_SIZE_ERROR": 6, "REFUSED_STREAM": 7, "CANCEL": 8, "COMPRESSION_ERROR": 9,
        "CONNECT_ERROR": 10, "ENHANCE_YOUR_CALM": 11, "INADEQUATE_SECURITY": 12, "HTTP_1_1_REQUIRED": 13,
    ]
    /// The tables above as bytes, looked up without building a String (the names handed out are the tables'
    /// own Strings).
    static let frameTypeTable = NameTable(frameTypes)
    static let settingTable = NameTable(settings)
    static let errorCodeTable = NameTable(errorCodes)
    static let flagTable = NameTable(["END_STREAM": UInt8(0x1), "ACK": 0x1, "END_HEADERS": 0x4, "PADDED": 0x8,
                                      "PRIORITY": 0x20])
}

/// Names (1 to 24 bytes) and their numbers, found by their bytes: a small open-addressing table keyed by the
/// bytes read as three words (one or two probes), an entry matched by comparing its length and words.
struct NameTable<Value: Sendable>: Sendable {
    /// Per entry: length, the name's bytes as `words` reads them, name and number.
    private struct Entry: Sendable {
        var count: Int, w0: UInt64, w1: UInt64, w2: UInt64, name: String, value: Value
    }
    private let entries: [Entry]
    /// Entry index + 1 by slot (0: empty); 64 slots.
    private let slots: [UInt8]

    init(_ d: [String: Value]) {
        precondition(d.count < 32)
        entries = d.map { name, value in
            let b = Array(name.utf8)
            precondition(b.count >= 1 && b.count <= 24)
            let w = b.withUnsafeBufferPointer { Self.words($0.baseAddress!, b.count) }
            return Entry(count: b.count, w0: w.0, w1: w.1, w2: w.2, name: name, value: value)
        }
        var slots = [UInt8](repeating: 0, count: 64)
        for (i, e) in entries.enumerated() {
            var at = Self.slot(e.count, e.w0)
            while slots[at] != 0 { at = (at + 1) & 63 }
            slots[at] = UInt8(i + 1)
        }
        self.slots = slots
    }

    /// `n` (1…24) bytes as three words that cover each byte: shorter than eight zero-padded in the first, up to
    /// sixteen the first and last eight, longer the first, second and last eight. Equal for runs of one length
    /// exactly when their bytes are equal.
    @inline(__always) private static func words(_ p: UnsafePointer<UInt8>, _ n: Int) -> (UInt64, UInt64, UInt64) {
        let raw = UnsafeRawPointer(p)
        if n < 8 {
            var w: UInt64 = 0
            for k in 0..<n { w |= UInt64(p[k]) << UInt64(8 * k) }
            return (w, 0, 0)
        }
        let first = raw.loadUnaligned(as: UInt64.self), last = raw.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)
        if n <= 16 { return (first, last, 0) }
        return (first, raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self), last)
    }

    @inline(__always) private static func slot(_ n: Int, _ w0: UInt64) -> Int {
        Int(truncatingIfNeeded: ((w0 ^ UInt64(truncatingIfNeeded: n)) &* 0x9e37_79b9_7f4a_7c15) >> 58)
    }

    func lookup(_ b: Bytes) -> (String, Value)? {
        let n = b.count
        guard n >= 1, n <= 24, let base = b.baseAddress else { return nil }
        let w = Self.words(base, n)
        var at = Self.slot(n, w.0)
        // (Fields read in place: an entry copied out retained its name.)
        return entries.withUnsafeBufferPointer { es in
            slots.withUnsafeBufferPointer { slots in
                while true {
                    let e = Int(slots[at]) - 1
                    guard e >= 0 else { return nil }
                    if es[e].count == n && es[e].w0 == w.0 && es[e].w1 == w.1 && es[e].w2 == w.2 {
                        return (es[e].name, es[e].value)
                    }
                    at = (at + 1) & 63
                }
            }
        }
    }
}

extension GoLogLineParser {
    /// An error code as Go prints it: a name, or "unknown error code 0xNN". Name (as printed) and number.
    func errorCode(_ b: Bytes) -> (String?, UInt32?) {
        let unknown = F.unknownErrorCode
        if b.hasPrefix(unknown), let (v, end) = b.hexPointer(at: unknown.count) {
            return (b.sub(0, end).string, UInt32(truncatingIfNeeded: v))
        }
        let end = b.tokenEnd(from: 0, stop: comma)
        guard end > 0 else { return (nil, nil) }
        if let (name, v) = H2Names.errorCodeTable.lookup(b.sub(0, end)) { return (name, v) }
        return (b.sub(0, end).string, nil)
    }

    /// Parses a frame summary into `ev.frame` (nil before; left nil when the text is not one) and returns the
    /// index after it (0 when not one). Filled in a local and given to the event once: through `&ev.frame` (an
    /// inout optional on the event's boxed property) it was read out, checked at each `f!.field` and copied
    /// again into the box.
    @discardableResult
    func parseFrameSummary(_ s: Bytes, into ev: inout LogEvent) -> Int {
        let typeEnd = s.tokenEnd(from: 0, stop: comma)
        guard typeEnd > 0, typeEnd <= 40 else { return 0 }
        let typeName: String, type: UInt8?
        if let (name, t) = H2Names.frameTypeTable.lookup(s.sub(0, typeEnd)) {
            typeName = name; type = t
        } else {
            let name = s.sub(0, typeEnd)
            typeName = name.string
            // "UNKNOWN_FRAME_TYPE_N" with one to three digits read from the bytes; anything else by the String.
            if name.hasPrefix(F.unknownFrameType), let (v, end) = name.decimal(at: F.unknownFrameType.count),
               end == name.count, end - F.unknownFrameType.count <= 3, v <= 255 {
                type = UInt8(v)
            } else {
                let unk = "UNKNOWN_FRAME_TYPE_"
                type = typeName.hasPrefix(unk) ? UInt8(typeName.dropFirst(unk.count)) : nil
                guard type != nil || typeName.hasPrefix("UNKNOWN") else { return 0 }
            }
        }
        var f = H2FrameSummary(typeName: typeName, type: type)
        let end = fill(&f, s, from: typeEnd)
        if end > 0 { ev.frame = consume f }
        return end
    }

    /// The rest of a frame summary after its type name (at `i`), read into `fr`: the index after it, or 0 when
    /// there is no "len=".
    private func fill(_ fr: inout H2FrameSummary, _ s: Bytes, from i0: Int) -> Int {
        var i = i0
        if s.hasPrefix(F.flags, at: i) {
            i += F.flags.count
            let end = s.tokenEnd(from: i)
            var p0 = i
            while p0 < end {
                let p1 = s.sub(p0, end).firstIndex(of: 0x7c).map { p0 + $0 } ?? end
                let part = s.sub(p0, p1)
                if let (_, v) = H2Names.flagTable.lookup(part) { fr.flags |= v }
                else if part.hasPrefix(Lit.zeroX), let v = UInt8(part.from(2).string, radix: 16) { fr.flags |= v }
                p0 = p1 + 1
            }
            i = end
        }
        if s.hasPrefix(F.stream, at: i), let (v, end) = s.decimal(at: i + F.stream.count) {
            fr.streamID = UInt32(truncatingIfNeeded: v); i = end
        }
        guard s.hasPrefix(F.len, at: i), let (len, lenEnd) = s.decimal(at: i + F.len.count) else { return 0 }
        fr.length = Int(truncatingIfNeeded: len)
        i = lenEnd
        switch fr.type {
        case 4:
            if s.hasPrefix(F.settingsColon, at: i) || s.hasPrefix(F.settingsEq, at: i) {
                i += F.settingsColon.count
                fr.settings.reserveCapacity(8)
                while i < s.count {
                    while i < s.count, s[i] == sp { i += 1 }
                    guard let eq = s.firstIndex(of: 0x3d, from: i), eq - i <= 40,
                          let (v, end) = s.decimal(at: eq + 1) else { break }
                    let name: String, id: UInt16?
                    if let (n, v) = H2Names.settingTable.lookup(s.sub(i, eq)) {
                        name = n; id = v
                    } else {
                        name = s.sub(i, eq).string
                        id = name.hasPrefix("UNKNOWN_SETTING_") ? UInt16(name.dropFirst(16)) : nil
                    }
                    fr.settings.append(H2Setting(name: name, id: id, value: UInt32(truncatingIfNeeded: v)))
                    i = end
                    guard i < s.count, s[i] == comma else { break }
                    i += 1
                }
            }
        case 0:
            if s.hasPrefix(F.data, at: i), let (d, end) = goUnquote(s, at: i + F.data.count) {
                fr.data = d
                i = end
                if s.hasPrefix(F.openParen, at: i), let (n, e2) = s.decimal(at: i + F.openParen.count),
                   s.hasPrefix(F.bytesOmitted, at: e2) {
                    fr.dataOmitted = Int(truncatingIfNeeded: n)
                    i = e2 + F.bytesOmitted.count
                }
            }
        case 8:
            if s.hasPrefix(F.conn, at: i) { i += F.conn.count }
            if s.hasPrefix(F.incr, at: i), let (v, end) = s.decimal(at: i + F.incr.count) {
                fr.increment = UInt32(truncatingIfNeeded: v); i = end
            }
        case 6:
            if s.hasPrefix(F.ping, at: i), let (d, end) = goUnquote(s, at: i + F.ping.count) {
                fr.pingData = d; i = end
            }
        case 7:
            if s.hasPrefix(F.lastStream, at: i), let (v, end) = s.decimal(at: i + F.lastStream.count) {
                fr.lastStreamID = UInt32(truncatingIfNeeded: v); i = end
            }
            if s.hasPrefix(F.errCode, at: i) {
                i += F.errCode.count
                let rest = s.from(i)
                let (name, code) = errorCode(rest)
                fr.errorCodeName = name; fr.errorCode = code
                if let dk = rest.find(F.debug) {
                    if let (d, end) = goUnquote(rest, at: dk + F.debug.count) {
                        fr.debugData = lenientString(d); i += end
                    }
                } else { i += (name?.utf8.count ?? 0) }
            }
        case 3:
            if s.hasPrefix(F.errCode, at: i) {
                i += F.errCode.count
                let (name, code) = errorCode(s.from(i))
                fr.errorCodeName = name; fr.errorCode = code
                i += name?.utf8.count ?? 0
            }
        default: break
        }
        return i
    }
}

enum F {
    static let flags: StaticString = " flags=", stream: StaticString = " stream=", len: StaticString = " len="
    static let settingsColon: StaticString = ", settings:", settingsEq: StaticString = ", settings="
    static let data: StaticString = " data=", openParen: StaticString = " ("
    static let bytesOmitted: StaticString = " bytes omitted)"
    static let conn: StaticString = " (conn)", incr: StaticString = " incr=", ping: StaticString = " ping="
    static let lastStream: StaticString = " LastStreamID=", errCode: StaticString = " ErrCode="
    static let debug: StaticString = " Debug="
    static let unknownErrorCode: StaticString = "unknown error code "
    static let unknownFrameType: StaticString = "UNKNOWN_FRAME_TYPE_"
}
