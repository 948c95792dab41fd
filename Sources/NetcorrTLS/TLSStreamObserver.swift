import NetcorrCore

public struct TLSLimits: Sendable {
    /// Bytes of the first handshake message per direction (ClientHello / ServerHello) buffered for parsing.
    public var maxHelloSize: Int = 16 << 10
    /// application_data record sizes kept per direction (for matching http2debug frame sizes).
    public var maxRecordSizesKept: Int = 4096
    public var maxAlertsKept: Int = 64
    /// Largest acceptable record payload: 2^14 + 2048 (TLS 1.2 ciphertext bound).
    public var maxRecordLength: Int = 16384 + 2048
    public init() {}
}

/// Recognises TLS on one TCP connection without decrypting it: record headers in both directions (records
/// split across segments and many per segment), the ClientHello (SNI, ALPN offered, versions) and ServerHello
/// (selected version, cipher, ALPN when TLS 1.2), unencrypted alerts, and application_data record sizes and
/// times. Only a record header tail, and the first handshake message of each direction up to
/// `maxHelloSize`, are buffered; record bodies are skipped.
public struct TLSStreamObserver {
    public let limits: TLSLimits
    public private(set) var summary: TLSEvent

    struct Dir {
        var hdr = [UInt8](repeating: 0, count: 5)
        var hdrHave = 0
        var type: UInt8 = 0
        var version: UInt16 = 0
        var length = 0
        var remaining = 0
        /// Handshake bytes of the first message, while collecting it.
        var hs: [UInt8] = []
        var helloDone = false
        var firstHandshakeType: UInt8?
        var alertBody: [UInt8] = []
        var ccsSeen = false
        var stopped = false
        var recordStartedHandshake = false
    }

    var dirs = [Dir(), Dir()]

    public init(client: Endpoint, server: Endpoint, limits: TLSLimits = .init()) {
        self.limits = limits
        summary = TLSEvent(client: client, server: server)
    }

    public mutating func receive(_ bytes: UnsafeRawBufferPointer, direction: FlowDirection, origin: SegmentOrigin,
                                 emit: (TLSRecordEvent) -> Void) {
        let d = Int(direction.rawValue)
        var i = 0
        let n = bytes.count
        while i < n && !dirs[d].stopped {
            if dirs[d].hdrHave < 5 {
                let take = min(5 - dirs[d].hdrHave, n - i)
                for k in 0..<take { dirs[d].hdr[dirs[d].hdrHave + k] = bytes[i + k] }
                dirs[d].hdrHave += take
                i += take
                if dirs[d].hdrHave < 5 { return }
                let h = dirs[d].hdr
                guard TLSDetect.isRecordHeader(h[0], h[1], h[2], Int(h[3]) << 8 | Int(h[4]), maxLength: limits.maxRecordLength) else {
                    summary.anomalies.add(.tlsBadRecordHeader, frame: origin.frame)
                    dirs[d].stopped = true
                    return
                }
                dirs[d].type = h[0]
                dirs[d].version = UInt16(h[1]) << 8 | UInt16(h[2])
                dirs[d].length = Int(h[3]) << 8 | Int(h[4])
                dirs[d].remaining = dirs[d].length
                dirs[d].firstHandshakeType = nil
                dirs[d].recordStartedHandshake = true
                dirs[d].alertBody.removeAll(keepingCapacity: true)
            }
            let take = min(dirs[d].remaining, n - i)
            if take > 0 {
                let chunk = UnsafeRawBufferPointer(rebasing: bytes[i..<(i + take)])
                body(d, chunk, origin)
                dirs[d].remaining -= take
                i += take
            }
            if dirs[d].remaining == 0 { completeRecord(d, direction, origin, emit) }
        }
    }

    public mutating func receive(_ bytes: [UInt8], direction: FlowDirection, origin: SegmentOrigin,
                                 emit: (TLSRecordEvent) -> Void) {
        bytes.withUnsafeBytes { receive($0, direction: direction, origin: origin, emit: emit) }
    }

    /// Bytes lost in a capture gap. Inside a record body the direction stays in step (a hello being collected
    /// is abandoned); otherwise the direction stops (record boundaries are lost).
    public mutating func gap(direction: FlowDirection, count: Int, origin: SegmentOrigin) {
        let d = Int(direction.rawValue)
        summary.anomalies.add(.tlsGap, frame: origin.frame)
        if dirs[d].hdrHave == 5 && count < dirs[d].remaining {
            dirs[d].remaining -= count
            if !dirs[d].helloDone && !dirs[d].hs.isEmpty { dirs[d].helloDone = true; dirs[d].hs = [] }
        } else {
            dirs[d].stopped = true
        }
    }

    public mutating func finish(at ts: Timestamp) -> TLSEvent {
        for d in 0..<2 where dirs[d].hdrHave > 0 && !dirs[d].stopped {
            summary.anomalies.add(.tlsTruncatedAtEnd, frame: 0)
        }
        return summary
    }

    private mutating func body(_ d: Int, _ chunk: UnsafeRawBufferPointer, _ origin: SegmentOrigin) {
        switch dirs[d].type {
        case 22 where !dirs[d].ccsSeen:
            if dirs[d].recordStartedHandshake && dirs[d].firstHandshakeType == nil && dirs[d].remaining == dirs[d].length {
                dirs[d].firstHandshakeType = chunk.first
            }
            var c = chunk[...]
            while !c.isEmpty && !dirs[d].helloDone {
                let have = dirs[d].hs.count
                let need = have < 4 ? 4 : 4 + (Int(dirs[d].hs[1]) << 16 | Int(dirs[d].hs[2]) << 8 | Int(dirs[d].hs[3]))
                let take = min(need - have, c.count)
                dirs[d].hs.append(contentsOf: c.prefix(take))
                c = c.dropFirst(take)
                if dirs[d].hs.count == 4 {
                    let full = 4 + (Int(dirs[d].hs[1]) << 16 | Int(dirs[d].hs[2]) << 8 | Int(dirs[d].hs[3]))
                    if full > limits.maxHelloSize + 4 {
                        summary.anomalies.add(.tlsHelloTooLarge, frame: origin.frame)
                        dirs[d].helloDone = true
                        dirs[d].hs = []
                        return
                    }
                }
                if dirs[d].hs.count >= 4 {
                    let full = 4 + (Int(dirs[d].hs[1]) << 16 | Int(dirs[d].hs[2]) << 8 | Int(dirs[d].hs[3]))
                    if dirs[d].hs.count == full {
                        let msg = dirs[d].hs
                        dirs[d].hs = []
                        dirs[d].helloDone = true
                        parseHello(d, msg, origin)
                    }
                }
            }
        case 21:
            if dirs[d].alertBody.count < 2 { dirs[d].alertBody.append(contentsOf: chunk.prefix(2 - dirs[d].alertBody.count)) }
        default:
            break
        }
    }

    private mutating func completeRecord(_ d: Int, _ dir: FlowDirection, _ origin: SegmentOrigin, _ emit: (TLSRecordEvent) -> Void) {
        dirs[d].hdrHave = 0
        let type = dirs[d].type, len = dirs[d].length
        var st = summary.stats[d]
        st.records += 1
        st.bytes += len
        if st.firstTs == nil { st.firstTs = origin.ts }
        st.lastTs = origin.ts
        switch type {
        case 20:
            dirs[d].ccsSeen = true
        case 21:
            if summary.alerts.count < limits.maxAlertsKept {
                let plain = len == 2 && !dirs[d].ccsSeen
                summary.alerts.append(TLSAlert(direction: dir, frame: origin.frame, ts: origin.ts,
                                               level: plain ? dirs[d].alertBody[0] : nil,
                                               description: plain ? dirs[d].alertBody[1] : nil, encrypted: !plain))
            }
        case 22:
            st.handshakeRecords += 1
        case 23:
            st.applicationDataRecords += 1
            st.applicationDataBytes += len
            if st.firstApplicationDataTs == nil { st.firstApplicationDataTs = origin.ts }
            if st.applicationData.count < limits.maxRecordSizesKept {
                st.applicationData.append(TLSRecordSize(frame: origin.frame, ts: origin.ts, length: len))
            } else {
                st.recordSizesDropped += 1
            }
        default:
            break
        }
        summary.stats[d] = st
        emit(TLSRecordEvent(frame: origin.frame, ts: origin.ts, direction: dir, contentType: TLSContentType(rawValue: type),
                            version: TLSVersion(rawValue: dirs[d].version), length: len,
                            handshakeType: type == 22 ? dirs[d].firstHandshakeType : nil))
    }

    // MARK: - Hellos

    private mutating func parseHello(_ d: Int, _ m: [UInt8], _ origin: SegmentOrigin) {
        var r = Reader(m)
        guard let type = r.u8(), r.u24() != nil else { return }
        if d == 0 && type == 1 {
            guard let info = ClientHelloInfo(parsing: &r) else { summary.anomalies.add(.tlsBadHello, frame: origin.frame); return }
            summary.clientHelloFrame = origin.frame
            summary.clientHelloTs = origin.ts
            summary.sni = info.sni
            summary.alpnOffered = info.alpn
            summary.clientLegacyVersion = TLSVersion(rawValue: info.legacyVersion)
            summary.clientSupportedVersions = info.supportedVersions.map { TLSVersion(rawValue: $0) }.filter { !$0.isGrease }
        } else if d == 1 && type == 2 {
            guard let legacy = r.u16(), let random = r.bytes(32), let sidLen = r.u8(), r.bytes(Int(sidLen)) != nil,
                  let cipher = r.u16(), r.u8() != nil else {
                summary.anomalies.add(.tlsBadHello, frame: origin.frame); return
            }
            summary.serverHelloFrame = origin.frame
            summary.serverHelloTs = origin.ts
            summary.cipherSuite = cipher
            summary.helloRetryRequest = Array(random) == TLSDetect.helloRetryRandom
            var selected = TLSVersion(rawValue: legacy)
            if let extLen = r.u16(), var ext = r.sub(Int(extLen)) {
                while let t = ext.u16(), let l = ext.u16(), var e = ext.sub(Int(l)) {
                    switch t {
                    case 43: if let v = e.u16() { selected = TLSVersion(rawValue: v) }
                    case 16:
                        if e.u16() != nil, let pl = e.u8(), let p = e.bytes(Int(pl)) {
                            summary.alpnSelected = String(decoding: p, as: UTF8.self)
                        }
                    default: break
                    }
                }
            }
            summary.selectedVersion = selected
            summary.alpnSelectedEncrypted = selected >= .tls13 && summary.alpnSelected == nil
        } else {
            summary.anomalies.add(.tlsBadHello, frame: origin.frame)
        }
    }
}

/// The parts of a ClientHello the correlator uses.
public struct ClientHelloInfo: Sendable, Hashable {
    public var legacyVersion: UInt16
    public var sni: String?
    public var alpn: [String]
    public var supportedVersions: [UInt16]

    /// Parses a ClientHello body (after the 4-byte handshake header).
    init?(parsing r: inout Reader) {
        guard let legacy = r.u16(), r.bytes(32) != nil, let sid = r.u8(), r.bytes(Int(sid)) != nil,
              let cs = r.u16(), r.bytes(Int(cs)) != nil, let comp = r.u8(), r.bytes(Int(comp)) != nil else { return nil }
        legacyVersion = legacy
        alpn = []
        supportedVersions = []
        guard let extLen = r.u16(), var ext = r.sub(Int(extLen)) else { return }  // no extensions: fine
        while let t = ext.u16(), let l = ext.u16() {
            guard var e = ext.sub(Int(l)) else { return nil }
            switch t {
            case 0:
                if let ll = e.u16(), var list = e.sub(Int(ll)) {
                    while let nt = list.u8(), let nl = list.u16(), let name = list.bytes(Int(nl)) {
                        if nt == 0 && sni == nil { sni = String(decoding: name, as: UTF8.self) }
                    }
                }
            case 16:
                if let ll = e.u16(), var list = e.sub(Int(ll)) {
                    while let pl = list.u8(), let p = list.bytes(Int(pl)) { alpn.append(String(decoding: p, as: UTF8.self)) }
                }
            case 43:
                if let ll = e.u8(), var list = e.sub(Int(ll)) {
                    while let v = list.u16() { supportedVersions.append(v) }
                }
            default: break
            }
        }
    }

    /// Parses a whole handshake message (type 1 with its 4-byte header).
    public init?(handshakeMessage m: [UInt8]) {
        var r = Reader(m)
        guard r.u8() == 1, r.u24() != nil else { return nil }
        self.init(parsing: &r)
    }
}

/// Bounds-checked big-endian reader over a byte array slice.
struct Reader {
    let b: [UInt8]
    var i: Int
    let end: Int
    init(_ b: [UInt8]) { self.b = b; i = 0; end = b.count }
    init(_ b: [UInt8], _ start: Int, _ end: Int) { self.b = b; i = start; self.end = end }
    mutating func u8() -> UInt8? { guard i + 1 <= end else { return nil }; defer { i += 1 }; return b[i] }
    mutating func u16() -> UInt16? { guard i + 2 <= end else { return nil }; defer { i += 2 }; return UInt16(b[i]) << 8 | UInt16(b[i + 1]) }
    mutating func u24() -> Int? { guard i + 3 <= end else { return nil }; defer { i += 3 }; return Int(b[i]) << 16 | Int(b[i + 1]) << 8 | Int(b[i + 2]) }
    mutating func bytes(_ n: Int) -> ArraySlice<UInt8>? { guard n >= 0, i + n <= end else { return nil }; defer { i += n }; return b[i..<(i + n)] }
    mutating func sub(_ n: Int) -> Reader? { guard n >= 0, i + n <= end else { return nil }; defer { i += n }; return Reader(b, i, i + n) }
}

public enum TLSDetect {
    public enum Verdict: Hashable, Sendable { case yes, no, needMoreData }

    static let helloRetryRandom: [UInt8] = [
        0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
        0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
    ]

    static func isRecordHeader(_ type: UInt8, _ major: UInt8, _ minor: UInt8, _ length: Int, maxLength: Int) -> Bool {
        (20...24).contains(type) && major == 3 && minor <= 4 && length <= maxLength && (length > 0 || type == 23)
    }

    /// Whether the first bytes of a connection are a TLS handshake record carrying a ClientHello.
    public static func looksLikeClientHello(_ b: UnsafeRawBufferPointer) -> Verdict {
        if b.count >= 1 && b[0] != 22 { return .no }
        if b.count >= 2 && b[1] != 3 { return .no }
        if b.count >= 3 && b[2] > 4 { return .no }
        if b.count >= 5 {
            let len = Int(b[3]) << 8 | Int(b[4])
            if len < 4 || len > 16384 { return .no }
        }
        if b.count >= 6 { return b[5] == 1 ? .yes : .no }
        return .needMoreData
    }

    public static func looksLikeClientHello(_ b: [UInt8]) -> Verdict { b.withUnsafeBytes { looksLikeClientHello($0) } }
}
