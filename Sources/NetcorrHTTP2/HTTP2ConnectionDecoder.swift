import NetcorrCore

/// Passive decoder of one TCP connection carrying HTTP/2 (cleartext h2c, or decrypted h2).
///
/// Feed it each direction's in-order bytes with `receive`, capture gaps with `gap`, and call `finish` once.
/// It emits one `HTTP2FrameEvent` per frame and keeps per-stream and per-connection state (settings, pings,
/// GOAWAYs, flow-control windows and stalls) for the `HTTP2ConnectionSummary`.
///
/// How the connection starts (`StartMode`):
///  - `.priorKnowledge`: the client side begins with the 24-byte preface, the server side with frames.
///  - `.upgrade`: both sides begin in HTTP/1.1. The client's request head (must carry `Upgrade: h2c`;
///    its `HTTP2-Settings` are applied; a Content-Length body is skipped) is followed by the preface; the
///    server's `101` head is followed by frames (interim 1xx heads are skipped). The upgraded request is
///    stream 1. Any other final status (or a request without `Upgrade: h2c`) stops the decoder
///    (`isStopped`, anomaly `h2.upgrade-not-accepted`): the connection stays HTTP/1.1.
///  - `.midstream`: the capture joined an established connection: both sides hunt for frame boundaries
///    (`HTTP2Detect.findFrameBoundary`), HPACK state is unknown in both directions (header blocks are
///    reported undecodable, never guessed), flow-control accounting is off.
///  - `.auto` (default): decided from the client's first bytes: the preface → prior knowledge; an HTTP/1.x
///    request line → upgrade; anything else → mid-stream. Server bytes arriving first are held (bounded by
///    `maxEarlyServerBytes`, with their packet origins) until the client side decides.
public struct HTTP2ConnectionDecoder {
    public enum StartMode: Hashable, Sendable { case auto, priorKnowledge, upgrade, midstream }

    public let client: Endpoint
    public let server: Endpoint
    public let limits: HTTP2Limits
    /// How the connection was recognised (`.none` until decided, and when it turned out not to be HTTP/2).
    public private(set) var start: HTTP2Start = .none
    public private(set) var anomalies = AnomalyCounts()
    /// The decoder gave up on both directions (upgrade refused, not HTTP/2): feeding more is harmless.
    /// (Stored: a caller holding the decoder in a class reads it without copying the decoder.)
    public private(set) var isStopped = false
    /// Bytes skipped while hunting for frame boundaries, per direction.
    public private(set) var skippedBytes = [0, 0]

    enum Mode: Equatable {
        case sniff          // .auto, client side: undecided
        case early          // .auto, server side: holding bytes
        case preface(Int)   // bytes of the preface matched so far
        case http1          // collecting an HTTP/1.1 head
        case http1Body(Int) // skipping an Upgrade request's body
        case frames
        case hunting
        case stopped
    }

    struct PendingBlock {
        var stream: UInt32
        var isPush: Bool
        var promised: UInt32
        var endStream: Bool
        /// The HEADERS or PUSH_PROMISE frame, then its CONTINUATIONs.
        var first: HTTP2FrameEvent
        var continuations: [HTTP2FrameEvent]
        var fragment: [UInt8]
        var problem: String?
        var frames: Int { 1 + continuations.count }
    }

    struct Dir {
        var mode: Mode
        var hdr = [UInt8](repeating: 0, count: 9)
        var hdrHave = 0
        var type: UInt8 = 0, flags: UInt8 = 0, stream: UInt32 = 0, length = 0, remaining = 0
        var buffering = false
        var body: [UInt8] = []
        var bodySeen = 0
        var firstByte: UInt8?
        var malformed: Anomaly?
        var lost = false
        var pending: PendingBlock?
        var hpack: NIOHeaderBlockDecoder?
        var hpackBroken: String?
        /// Limits set by the *receiver* of this direction's frames.
        var tableSizeAdvertised = 4096
        var maxFrameSize = 16384
        var initialWindow: Int64 = 65535
        var connWindow: Int64 = 65535
        var held: [UInt8] = []
        var heldOrigins: [(SegmentOrigin, Int)] = []
        var unackedSettings: [Int] = []
        var unackedPings: [(UInt64, Int)] = []
        var frames = 0
        var bytes = 0
        init(mode: Mode) { self.mode = mode }
    }

    struct StreamState {
        var s: HTTP2StreamSummary
        var w0: Int64, w1: Int64
        var e0 = false, e1 = false
        var blocks0 = 0, blocks1 = 0
        var finalResponse = false
    }

    var dirs: [Dir]
    var streams: [UInt32: StreamState] = [:]
    var finished: [HTTP2StreamSummary] = []
    var streamsDropped = 0
    var maxStreamID: [UInt32] = [0, 0]
    var settingsRecords: [HTTP2SettingsRecord] = []
    var pingRecords: [HTTP2PingRecord] = []
    var goawayRecords: [HTTP2GoawayRecord] = []
    var stallRecords: [HTTP2StallRecord] = []
    var openStalls: [UInt64: Int] = [:]
    var flowKnown = true
    var lenientStreams = false
    var firstTs: Timestamp?
    var lastTs: Timestamp?
    var finishedAt: Timestamp?
    /// Where HPACK decoders come from and go back to at `finish` (nil: made here, freed with the decoder).
    let hpackPool: HPACKDecoderPool?

    public init(client: Endpoint, server: Endpoint, limits: HTTP2Limits = .init(), start mode: StartMode = .auto,
                hpackPool: HPACKDecoderPool? = nil) {
        self.client = client
        self.server = server
        self.limits = limits
        self.hpackPool = hpackPool
        dirs = [Dir(mode: .sniff), Dir(mode: .early)]
        switch mode {
        case .auto: break
        case .priorKnowledge: beginPriorKnowledge()
        case .upgrade: beginUpgrade()
        case .midstream: beginMidstream()
        }
    }

    private mutating func beginPriorKnowledge() {
        start = .priorKnowledge
        dirs[0].mode = .preface(0)
        dirs[1].mode = .frames
    }

    private mutating func beginUpgrade() {
        dirs[0].mode = .http1
        dirs[1].mode = .http1
    }

    private mutating func beginMidstream() {
        start = .midstream
        dirs[0].mode = .hunting
        dirs[1].mode = .hunting
        for d in 0..<2 where dirs[d].hpackBroken == nil { dirs[d].hpackBroken = "hpack-unknown-state" }
        flowKnown = false
        lenientStreams = true
    }

    // MARK: - Input

    /// In-order stream bytes of one direction. `bytes` is valid only during the call; only an incomplete
    /// frame (header, and payload of non-DATA frames) is copied.
    public mutating func receive(_ bytes: UnsafeRawBufferPointer, direction: FlowDirection, origin: SegmentOrigin,
                                 emit: (HTTP2FrameEvent) -> Void) {
        guard !bytes.isEmpty else { return }
        let d = Int(direction.rawValue)
        dirs[d].bytes += bytes.count
        if firstTs == nil { firstTs = origin.ts }
        lastTs = origin.ts
        feed(d, bytes, origin, emit)
    }

    /// Convenience for tests and small callers.
    public mutating func receive(_ bytes: [UInt8], direction: FlowDirection, origin: SegmentOrigin,
                                 emit: (HTTP2FrameEvent) -> Void) {
        bytes.withUnsafeBytes { receive($0, direction: direction, origin: origin, emit: emit) }
    }

    /// The reassembler lost `count` bytes of this direction. Inside a frame's payload the direction stays
    /// in step (a header block with lost bytes is not decoded and HPACK of that direction is marked
    /// desynchronised); otherwise the direction hunts for the next valid frame header, HPACK of that
    /// direction is desynchronised (a HEADERS may have been lost) and flow-control accounting stops.
    public mutating func gap(direction: FlowDirection, count: Int, origin: SegmentOrigin) {
        guard count > 0 else { return }
        let d = Int(direction.rawValue)
        anomalies.add(.h2Gap, frame: origin.frame)
        switch dirs[d].mode {
        case .stopped:
            return
        case .frames where dirs[d].hdrHave == 9 && count < dirs[d].remaining:
            dirs[d].remaining -= count
            dirs[d].bodySeen += count
            dirs[d].lost = true
            if dirs[d].buffering {
                dirs[d].buffering = false
                dirs[d].body.removeAll(keepingCapacity: false)
            }
            if isHeaderBlockType(dirs[d].type) { breakHPACK(d, "capture-gap") }
        default:
            flowKnown = false
            lenientStreams = true
            if dirs[d].pending != nil { dirs[d].pending!.problem = "capture-gap" }
            breakHPACK(d, "capture-gap")
            dirs[d].mode = .hunting
            dirs[d].hdrHave = 0
            dirs[d].held.removeAll()
            dirs[d].heldOrigins.removeAll()
            if dirs[1 - d].mode == .early || dirs[1 - d].mode == .sniff {
                // Not decided yet and already lost bytes: treat as a mid-stream join. The other side's held
                // bytes become its hunting buffer.
                beginMidstream()
            }
        }
    }

    private mutating func breakHPACK(_ d: Int, _ reason: String) {
        if dirs[d].hpackBroken == nil { dirs[d].hpackBroken = reason }
    }

    private func isHeaderBlockType(_ t: UInt8) -> Bool { t == 1 || t == 5 || t == 9 }

    // MARK: - Modes

    private mutating func feed(_ d: Int, _ p: UnsafeRawBufferPointer, _ origin: SegmentOrigin,
                               _ emit: (HTTP2FrameEvent) -> Void) {
        var p = p
        while !p.isEmpty {
            switch dirs[d].mode {
            case .stopped:
                return
            case .frames:
                frames(d, p, origin, emit)
                return
            case .hunting:
                hunt(d, p, origin, emit)
                return
            case .early:
                if dirs[d].held.count + p.count > limits.maxEarlyServerBytes {
                    // The client side never showed itself: assume a mid-stream join.
                    beginMidstream()
                    replayHeld(d, emit)
                    continue
                }
                dirs[d].held.append(contentsOf: p)
                dirs[d].heldOrigins.append((origin, p.count))
                return
            case .sniff:
                dirs[d].held.append(contentsOf: p)
                dirs[d].heldOrigins.append((origin, p.count))
                let verdict = dirs[d].held.withUnsafeBytes { b -> Mode? in
                    switch HTTP2Detect.isClientPreface(b) {
                    case .yes: return .preface(0)
                    case .needMoreData: return nil
                    case .no: break
                    }
                    switch HTTP2Detect.looksLikeHTTP1Request(b) {
                    case .yes: return .http1
                    case .needMoreData: return nil
                    case .no: return .hunting
                    }
                }
                guard let v = verdict else {
                    if dirs[d].held.count > 64 { beginMidstream(); replayHeld(1 - d, emit); replayHeld(d, emit) }
                    return
                }
                switch v {
                case .preface: beginPriorKnowledge()
                case .http1: beginUpgrade()
                default: beginMidstream()
                }
                replayHeld(1 - d, emit)  // the server's held bytes came first
                replayHeld(d, emit)
                return
            case .preface(let matched):
                let pre = HTTP2Detect.clientPreface
                var i = 0, m = matched
                while i < p.count && m < pre.count {
                    if p[i] != pre[m] {
                        anomalies.add(.h2BadPreface, frame: origin.frame)
                        breakHPACK(d, "hpack-unknown-state")
                        dirs[d].mode = .hunting
                        p = UnsafeRawBufferPointer(rebasing: p[i...])
                        break
                    }
                    i += 1; m += 1
                }
                if dirs[d].mode == .hunting { continue }
                dirs[d].mode = m == pre.count ? .frames : .preface(m)
                p = UnsafeRawBufferPointer(rebasing: p[i...])
            case .http1Body(let n):
                let take = min(n, p.count)
                p = UnsafeRawBufferPointer(rebasing: p[take...])
                dirs[d].mode = n - take == 0 ? .preface(0) : .http1Body(n - take)
            case .http1:
                let before = dirs[d].held.count
                dirs[d].held.append(contentsOf: p)
                guard let end = dirs[d].held.withUnsafeBytes({ HTTP1.headerEnd($0, from: before) }) else {
                    if dirs[d].held.count > limits.maxHTTP1Header { stopAll(origin) }
                    return
                }
                let head = dirs[d].held.withUnsafeBytes { HTTP1.Head(UnsafeRawBufferPointer(rebasing: $0[0..<end])) }
                let consumedFromP = end - before
                dirs[d].held.removeAll()
                p = UnsafeRawBufferPointer(rebasing: p[consumedFromP...])
                guard let head else { stopAll(origin); return }
                if d == 0 {
                    guard !head.isResponse, head.upgradesToH2C else { stopAll(origin); return }
                    upgradeRequest(head, origin)
                    let cl = head.contentLength ?? 0
                    dirs[0].mode = cl > 0 ? .http1Body(cl) : .preface(0)
                } else {
                    guard head.isResponse, let status = head.status else { stopAll(origin); return }
                    if status == 101 {
                        start = .upgrade
                        dirs[1].mode = .frames
                    } else if status < 200 {
                        continue
                    } else {
                        stopAll(origin)
                        return
                    }
                }
            }
        }
    }

    private mutating func stopAll(_ origin: SegmentOrigin) {
        anomalies.add(.h2UpgradeRefused, frame: origin.frame)
        dirs[0].mode = .stopped
        dirs[1].mode = .stopped
        isStopped = true
        dirs[0].held = []
        dirs[1].held = []
        if start == .upgrade { start = .none }
    }

    private mutating func replayHeld(_ d: Int, _ emit: (HTTP2FrameEvent) -> Void) {
        let held = dirs[d].held, origins = dirs[d].heldOrigins
        dirs[d].held = []
        dirs[d].heldOrigins = []
        guard !held.isEmpty else { return }
        held.withUnsafeBytes { b in
            var off = 0
            for (o, n) in origins {
                feed(d, UnsafeRawBufferPointer(rebasing: b[off..<(off + n)]), o, emit)
                off += n
            }
        }
    }

    private mutating func upgradeRequest(_ head: HTTP1.Head, _ origin: SegmentOrigin) {
        // RFC 7540 §3.2: the request becomes stream 1, half-closed (local) for the client.
        var st = StreamState(s: HTTP2StreamSummary(id: 1), w0: dirs[0].initialWindow, w1: dirs[1].initialWindow)
        st.s.method = head.method
        st.s.path = head.target
        st.s.authority = head.field("host")
        st.s.scheme = "http"
        st.s.requestStart = origin.ts
        st.s.requestFrame = origin.frame
        st.s.requestEnd = origin.ts
        st.e0 = true
        st.blocks0 = 1
        streams[1] = st
        maxStreamID[0] = 1
        if let s = head.field("http2-settings"), let raw = Base64URL.decode(s) {
            var list: [HTTP2Setting] = []
            var i = 0
            while i + 6 <= raw.count {
                let id = UInt16(raw[i]) << 8 | UInt16(raw[i + 1])
                let v = UInt32(raw[i + 2]) << 24 | UInt32(raw[i + 3]) << 16 | UInt32(raw[i + 4]) << 8 | UInt32(raw[i + 5])
                list.append(HTTP2Setting(id: HTTP2SettingID(rawValue: id), value: v))
                i += 6
            }
            applySettings(from: 0, list, origin)
        }
    }

    // MARK: - Hunting

    /// Hunting keeps the unsynchronised bytes with their packet origins. A boundary is accepted when a valid
    /// frame header is followed by another valid one; a lone last frame is accepted only at `finish` (so the
    /// result does not depend on how the bytes were chunked).
    private mutating func hunt(_ d: Int, _ p: UnsafeRawBufferPointer, _ origin: SegmentOrigin,
                               _ emit: (HTTP2FrameEvent) -> Void, atEnd: Bool = false) {
        if !p.isEmpty {
            dirs[d].held.append(contentsOf: p)
            dirs[d].heldOrigins.append((origin, p.count))
        }
        let maxFS = max(16384, dirs[d].maxFrameSize)
        let r = dirs[d].held.withUnsafeBytes { HTTP2Detect.findFrameBoundary($0, maxFrameSize: maxFS, endIsBoundary: atEnd) }
        switch r {
        case .found(let off):
            if off > 0 { anomalies.add(.h2ResyncSkippedBytes, frame: origin.frame) }
            anomalies.add(.h2Resync, frame: origin.frame)
            dropHeld(d, off)
            dirs[d].mode = .frames
            dirs[d].hdrHave = 0
            replayHeld(d, emit)
        case .needMoreData(let from):
            dropHeld(d, from)
            if dirs[d].held.count > limits.maxHuntBuffer {
                dropHeld(d, dirs[d].held.count - limits.maxHuntBuffer / 2)
            }
        case .none:
            dropHeld(d, dirs[d].held.count)
        }
    }

    private mutating func dropHeld(_ d: Int, _ n: Int) {
        guard n > 0 else { return }
        skippedBytes[d] += n
        dirs[d].held.removeFirst(n)
        var left = n
        while left > 0, !dirs[d].heldOrigins.isEmpty {
            let c = dirs[d].heldOrigins[0].1
            if c <= left { dirs[d].heldOrigins.removeFirst(); left -= c } else { dirs[d].heldOrigins[0].1 -= left; left = 0 }
        }
    }

    // MARK: - Framing (hot path)

    private mutating func frames(_ d: Int, _ p: UnsafeRawBufferPointer, _ origin: SegmentOrigin,
                                 _ emit: (HTTP2FrameEvent) -> Void) {
        var i = 0
        let n = p.count
        while i < n {
            if dirs[d].mode != .frames {
                feed(d, UnsafeRawBufferPointer(rebasing: p[i...]), origin, emit)
                return
            }
            if dirs[d].hdrHave < 9 {
                if dirs[d].hdrHave == 0 && n - i >= 9 {
                    beginFrame(d, UnsafeRawBufferPointer(rebasing: p[i..<(i + 9)]), origin)
                    i += 9
                } else {
                    let take = min(9 - dirs[d].hdrHave, n - i)
                    for k in 0..<take { dirs[d].hdr[dirs[d].hdrHave + k] = p[i + k] }
                    dirs[d].hdrHave += take
                    i += take
                    if dirs[d].hdrHave < 9 { return }
                    let h = dirs[d].hdr
                    h.withUnsafeBytes { beginFrame(d, $0, origin) }
                }
                if dirs[d].mode != .frames { continue }
                if dirs[d].remaining == 0 {
                    completeFrame(d, nil, origin, emit)
                    continue
                }
                if dirs[d].buffering && n - i >= dirs[d].remaining {
                    // Whole payload in this chunk: decode in place, no copy.
                    let len = dirs[d].remaining
                    dirs[d].remaining = 0
                    dirs[d].bodySeen = len
                    let pl = UnsafeRawBufferPointer(rebasing: p[i..<(i + len)])
                    i += len
                    completeFrame(d, pl, origin, emit)
                    continue
                }
            }
            let take = min(dirs[d].remaining, n - i)
            if take > 0 {
                if dirs[d].buffering {
                    dirs[d].body.append(contentsOf: UnsafeRawBufferPointer(rebasing: p[i..<(i + take)]))
                } else if dirs[d].bodySeen == 0 {
                    dirs[d].firstByte = p[i]
                }
                dirs[d].bodySeen += take
                dirs[d].remaining -= take
                i += take
            }
            if dirs[d].remaining == 0 {
                if dirs[d].buffering {
                    var b = dirs[d].body
                    dirs[d].body = []
                    b.withUnsafeBytes { completeFrame(d, $0, origin, emit) }
                    if b.capacity <= 65536 {
                        b.removeAll(keepingCapacity: true)
                        dirs[d].body = b
                    }
                } else {
                    completeFrame(d, nil, origin, emit)
                }
            }
        }
    }

    private mutating func beginFrame(_ d: Int, _ h: UnsafeRawBufferPointer, _ origin: SegmentOrigin) {
        let length = Int(h[0]) << 16 | Int(h[1]) << 8 | Int(h[2])
        let type = h[3]
        dirs[d].length = length
        dirs[d].type = type
        dirs[d].flags = h[4]
        dirs[d].stream = (UInt32(h[5]) << 24 | UInt32(h[6]) << 16 | UInt32(h[7]) << 8 | UInt32(h[8])) & 0x7fff_ffff
        if h[5] & 0x80 != 0 { anomalies.add(.h2ReservedBit, frame: origin.frame) }
        dirs[d].hdrHave = 9
        dirs[d].remaining = length
        dirs[d].bodySeen = 0
        dirs[d].firstByte = nil
        dirs[d].malformed = nil
        dirs[d].lost = false
        let needsPayload = type >= 1 && type <= 9
        dirs[d].buffering = needsPayload
        if length > max(16384, dirs[d].maxFrameSize) {
            dirs[d].malformed = .h2FrameTooLarge
            if !limits.trustOversizeFrames {
                anomalies.add(.h2FrameTooLarge, frame: origin.frame)
                anomalies.add(.h2Unsynchronised, frame: origin.frame)
                dirs[d].mode = .hunting
                dirs[d].hdrHave = 0
                breakHPACK(d, "hpack-desync")
                flowKnown = false
                lenientStreams = true
                return
            }
        }
        if needsPayload && length > limits.maxFrameBuffer {
            dirs[d].buffering = false
            if dirs[d].malformed == nil { dirs[d].malformed = .h2FrameOverBuffer }
        }
        if isHeaderBlockType(type), dirs[d].buffering {
            if Self.heldBlockBytes(&dirs[d]) + length > limits.maxHeaderBlockSize { dirs[d].buffering = false }
        }
    }

    /// Bytes of the header block held for `dir` (read in place: `dirs[d].pending?.fragment` copied the direction).
    private static func heldBlockBytes(_ dir: inout Dir) -> Int { dir.pending?.fragment.count ?? 0 }

    // MARK: - Frame semantics

    private mutating func completeFrame(_ d: Int, _ payload: UnsafeRawBufferPointer?, _ origin: SegmentOrigin,
                                        _ emit: (HTTP2FrameEvent) -> Void) {
        dirs[d].hdrHave = 0
        let type = dirs[d].type, flags = dirs[d].flags, stream = dirs[d].stream, length = dirs[d].length
        let dir: FlowDirection = d == 0 ? .fromInitiator : .fromResponder
        var ev = HTTP2FrameEvent(frame: origin.frame, ts: origin.ts, src: d == 0 ? client : server,
                                 dst: d == 0 ? server : client, direction: dir, type: HTTP2FrameType(rawValue: type),
                                 flags: flags, stream: stream, length: length)
        ev.malformed = dirs[d].malformed
        dirs[d].frames += 1
        let lost = dirs[d].lost
        // A payload we need but do not have (over the buffer limit, or bytes lost in a gap).
        let p: UnsafeRawBufferPointer? = lost ? nil : payload

        if dirs[d].pending != nil && !(type == 9 && stream == dirs[d].pending!.stream) {
            anomalies.add(.h2ContinuationExpected, frame: origin.frame)
            if dirs[d].pending!.problem == nil { dirs[d].pending!.problem = "incomplete-header-block" }
            flushPending(d, decoded: false, emit)
            breakHPACK(d, "hpack-desync")
        }

        if stream != 0 && type != 0 && !isHeaderBlockType(type), let i = streams.index(forKey: stream) {
            streams.values[i].s.frames += 1
        }

        switch type {
        case 0x0: // DATA
            if stream == 0 { setMalformed(&ev, .h2BadStreamID) }
            if flags & HTTP2Flags.padded != 0 {
                if length < 1 { setMalformed(&ev, .h2BadPadding) } else if let pb = dirs[d].firstByte {
                    ev.padLength = Int(pb)
                    if Int(pb) >= length { setMalformed(&ev, .h2BadPadding) }
                }
            }
            if stream != 0 { onData(d, stream, length, flags & HTTP2Flags.endStream != 0, origin) }
        case 0x1, 0x5: // HEADERS, PUSH_PROMISE
            if stream == 0 { setMalformed(&ev, .h2BadStreamID) }
            var promised: UInt32 = 0
            var problem: String?
            var block = 0..<0
            if let p {
                var off = 0, end = p.count
                if flags & HTTP2Flags.padded != 0 {
                    if p.count < 1 || Int(p[0]) >= p.count { setMalformed(&ev, .h2BadPadding) } else {
                        ev.padLength = Int(p[0]); off = 1; end -= Int(p[0])
                    }
                }
                if type == 1 && flags & HTTP2Flags.priority != 0 && ev.malformed == nil {
                    if end - off < 5 { setMalformed(&ev, .h2BadPriorityLength) } else {
                        let v = be32(p, off)
                        ev.priorityExclusive = v & 0x8000_0000 != 0
                        ev.priorityDependency = v & 0x7fff_ffff
                        ev.priorityWeight = Int(p[off + 4]) + 1
                        off += 5
                    }
                }
                if type == 5 && ev.malformed == nil {
                    if end - off < 4 { setMalformed(&ev, .h2BadPadding) } else {
                        promised = be32(p, off) & 0x7fff_ffff
                        ev.promisedStream = promised
                        off += 4
                    }
                }
                if ev.malformed != nil && ev.malformed != .h2FrameTooLarge {
                    problem = "malformed-frame"
                } else {
                    block = off..<end
                }
            } else {
                problem = lost ? "capture-gap" : "header-block-too-large"
                if !lost { anomalies.add(.h2HeaderBlockTooLarge, frame: origin.frame) }
            }
            // The event moves into the block (its last use here).
            var pending = PendingBlock(stream: stream, isPush: type == 5, promised: promised,
                                       endStream: type == 1 && flags & HTTP2Flags.endStream != 0,
                                       first: ev, continuations: [], fragment: [], problem: problem)
            if flags & HTTP2Flags.endHeaders != 0 {
                // The whole block is in this frame (the usual case): decoded where it lies, nothing held.
                finishBlock(d, &pending, p.map { UnsafeRawBufferPointer(rebasing: $0[block]) } ?? UnsafeRawBufferPointer(start: nil, count: 0),
                            decoded: true, emit)
                return
            }
            if let p { pending.fragment.append(contentsOf: UnsafeRawBufferPointer(rebasing: p[block])) }
            dirs[d].pending = pending
            return
        case 0x9: // CONTINUATION
            guard dirs[d].pending != nil, dirs[d].pending!.stream == stream else {
                setMalformed(&ev, .h2UnexpectedContinuation)
                ev.headersUndecodable = dirs[d].hpackBroken ?? "hpack-desync"
                breakHPACK(d, "hpack-desync")
                break
            }
            if dirs[d].pending!.frames >= limits.maxContinuationFrames {
                dirs[d].pending!.problem = dirs[d].pending!.problem ?? "header-block-too-large"
                anomalies.add(.h2HeaderBlockTooLarge, frame: origin.frame)
                flushPending(d, decoded: false, emit)
                breakHPACK(d, "hpack-desync")
                emit(ev)
                return
            }
            if let p, dirs[d].pending!.problem == nil {
                dirs[d].pending!.fragment.append(contentsOf: p)
            } else if dirs[d].pending!.problem == nil {
                dirs[d].pending!.problem = lost ? "capture-gap" : "header-block-too-large"
                if !lost { anomalies.add(.h2HeaderBlockTooLarge, frame: origin.frame) }
                dirs[d].pending!.fragment = []
            }
            dirs[d].pending!.continuations.append(ev)
            if flags & HTTP2Flags.endHeaders != 0 { flushPending(d, decoded: true, emit) }
            return
        case 0x2: // PRIORITY
            if stream == 0 { setMalformed(&ev, .h2BadStreamID) }
            if length != 5 { setMalformed(&ev, .h2BadPriorityLength) } else if let p {
                let v = be32(p, 0)
                ev.priorityExclusive = v & 0x8000_0000 != 0
                ev.priorityDependency = v & 0x7fff_ffff
                ev.priorityWeight = Int(p[4]) + 1
            }
        case 0x3: // RST_STREAM
            if stream == 0 { setMalformed(&ev, .h2BadStreamID) }
            if length != 4 { setMalformed(&ev, .h2BadRstLength) } else if let p {
                let code = HTTP2ErrorCode(rawValue: be32(p, 0))
                ev.errorCode = code
                if stream != 0, streams.index(forKey: stream) != nil {
                    closeStream(stream, .rstStream(code, by: dir), origin)
                }
            }
        case 0x4: // SETTINGS
            if stream != 0 { setMalformed(&ev, .h2BadStreamID) }
            if flags & HTTP2Flags.ack != 0 {
                if length != 0 { setMalformed(&ev, .h2BadSettingsLength) }
                if !dirs[1 - d].unackedSettings.isEmpty {
                    let idx = dirs[1 - d].unackedSettings.removeFirst()
                    if idx >= 0 { settingsRecords[idx].ackTs = origin.ts; settingsRecords[idx].ackFrame = origin.frame }
                }
            } else if length % 6 != 0 {
                setMalformed(&ev, .h2BadSettingsLength)
            } else if let p {
                var list: [HTTP2Setting] = []
                list.reserveCapacity(length / 6)
                var i = 0
                while i + 6 <= p.count {
                    list.append(HTTP2Setting(id: HTTP2SettingID(rawValue: UInt16(p[i]) << 8 | UInt16(p[i + 1])),
                                             value: be32(p, i + 2)))
                    i += 6
                }
                ev.settings = list
                if ev.malformed == nil || ev.malformed == .h2FrameTooLarge { applySettings(from: d, list, origin) }
                if settingsRecords.count < limits.maxRecords {
                    settingsRecords.append(HTTP2SettingsRecord(direction: dir, frame: origin.frame, ts: origin.ts, settings: list))
                    dirs[d].unackedSettings.append(settingsRecords.count - 1)
                } else {
                    dirs[d].unackedSettings.append(-1)
                }
                if dirs[d].unackedSettings.count > 64 { dirs[d].unackedSettings.removeFirst() }
            }
        case 0x6: // PING
            if stream != 0 { setMalformed(&ev, .h2BadStreamID) }
            if length != 8 { setMalformed(&ev, .h2BadPingLength) } else if let p {
                let v = UInt64(be32(p, 0)) << 32 | UInt64(be32(p, 4))
                ev.pingData = v
                if flags & HTTP2Flags.ack != 0 {
                    if let k = dirs[1 - d].unackedPings.firstIndex(where: { $0.0 == v }) {
                        let idx = dirs[1 - d].unackedPings.remove(at: k).1
                        if idx >= 0 { pingRecords[idx].ackTs = origin.ts; pingRecords[idx].ackFrame = origin.frame }
                    }
                } else {
                    var idx = -1
                    if pingRecords.count < limits.maxRecords {
                        pingRecords.append(HTTP2PingRecord(direction: dir, data: v, frame: origin.frame, sent: origin.ts))
                        idx = pingRecords.count - 1
                    }
                    dirs[d].unackedPings.append((v, idx))
                    if dirs[d].unackedPings.count > 64 { dirs[d].unackedPings.removeFirst() }
                }
            }
        case 0x7: // GOAWAY
            if stream != 0 { setMalformed(&ev, .h2BadStreamID) }
            if length < 8 { setMalformed(&ev, .h2BadGoawayLength) } else if let p {
                let last = be32(p, 0) & 0x7fff_ffff
                let code = HTTP2ErrorCode(rawValue: be32(p, 4))
                ev.lastStream = last
                ev.errorCode = code
                let dbg = p.count > 8 ? Array(p[8..<min(p.count, 8 + limits.maxDebugData)]) : []
                if !dbg.isEmpty { ev.debugData = dbg }
                onGoaway(d, last, code, dbg, origin)
            }
        case 0x8: // WINDOW_UPDATE
            if length != 4 { setMalformed(&ev, .h2BadWindowUpdateLength) } else if let p {
                let inc = be32(p, 0) & 0x7fff_ffff
                ev.increment = inc
                if inc == 0 { anomalies.add(.h2ZeroWindowIncrement, frame: origin.frame) }
                onWindowUpdate(sender: 1 - d, stream, Int64(inc), origin)
            }
        default:
            anomalies.add(.h2UnknownFrameType, frame: origin.frame)
        }
        if let m = ev.malformed { anomalies.add(m, frame: origin.frame) }
        emit(ev)
    }

    private func setMalformed(_ ev: inout HTTP2FrameEvent, _ a: Anomaly) {
        if ev.malformed == nil || ev.malformed == .h2FrameTooLarge { ev.malformed = a }
    }

    @inline(__always) private func be32(_ p: UnsafeRawBufferPointer, _ o: Int) -> UInt32 {
        UInt32(p[o]) << 24 | UInt32(p[o + 1]) << 16 | UInt32(p[o + 2]) << 8 | UInt32(p[o + 3])
    }

    // MARK: Header blocks

    /// Emits a header block's held frames; when `decoded` and nothing went wrong, decodes it first.
    private mutating func flushPending(_ d: Int, decoded: Bool, _ emit: (HTTP2FrameEvent) -> Void) {
        guard var pb = dirs[d].pending else { return }
        dirs[d].pending = nil
        let fragment = pb.fragment
        fragment.withUnsafeBytes { finishBlock(d, &pb, $0, decoded: decoded, emit) }
    }

    /// A header block is over (`fragment`: its bytes, used when nothing went wrong): decoded when `decoded`,
    /// applied to its stream, its frames emitted.
    private mutating func finishBlock(_ d: Int, _ pb: inout PendingBlock, _ fragment: UnsafeRawBufferPointer, decoded: Bool,
                                      _ emit: (HTTP2FrameEvent) -> Void) {
        var fields: [HTTP2HeaderField]?
        var reason: String? = pb.problem
        if reason == nil && !decoded { reason = "incomplete-header-block" }
        if reason == nil {
            let r = decodeBlock(d, fragment, frame: pb.first.frame)
            fields = r.0
            reason = r.1
        } else {
            // Bytes of the block were lost or not kept: the table is now unknown.
            breakHPACK(d, "hpack-desync")
        }
        if let fields {
            Self.fill(&pb.first, fields)
        } else {
            pb.first.headersUndecodable = reason
        }
        applyHeaderBlock(d, pb, fields)
        if let m = pb.first.malformed { anomalies.add(m, frame: pb.first.frame) }
        emit(pb.first)
        for e in pb.continuations {
            if let m = e.malformed { anomalies.add(m, frame: e.frame) }
            emit(e)
        }
    }

    /// Decodes a complete header block with this direction's HPACK state.
    ///
    /// In step: decode; a failure leaves the table partly changed, so the direction becomes "hpack-desync".
    /// Unknown state (joined mid-connection): decode against a table holding only what was added since the
    /// capture began, sized at the ceiling. This is never a guess: entries added before the capture are
    /// older than ours, so they sit at higher indices and are evicted first; an index the block uses is
    /// either one of ours (same entry as the real decoder's) or beyond our table, which fails. A success is
    /// therefore exactly what the real receiver decoded; a failure reports "hpack-unknown-state" and, since
    /// the rest of that block may have added entries, the direction becomes "hpack-desync".
    private mutating func decodeBlock(_ d: Int, _ frag: UnsafeRawBufferPointer, frame: Int) -> ([HTTP2HeaderField]?, String?) {
        let unknown = dirs[d].hpackBroken == "hpack-unknown-state"
        if let r = dirs[d].hpackBroken, !unknown { return (nil, r) }
        for u in HPACKScan.leadingTableSizeUpdates(frag) where u > dirs[d].tableSizeAdvertised && !unknown {
            anomalies.add(.h2HPACKTableSizeAboveSetting, frame: frame)
        }
        if dirs[d].hpack == nil {
            dirs[d].hpack = hpackPool.map {
                $0.take(ceiling: limits.maxHeaderTableSize, maxHeaderListSize: limits.maxHeaderListSize, startAt4096: !unknown)
            } ?? NIOHeaderBlockDecoder(ceiling: limits.maxHeaderTableSize, maxHeaderListSize: limits.maxHeaderListSize,
                                       startAt4096: !unknown)
        }
        do {
            return (try dirs[d].hpack!.decode(frag), nil)
        } catch {
            dirs[d].hpackBroken = "hpack-desync"
            dirs[d].hpack = nil
            if unknown { return (nil, "hpack-unknown-state") }
            anomalies.add(.h2HPACKError, frame: frame)
            return (nil, "hpack-error: \(error)")
        }
    }

    static func fill(_ ev: inout HTTP2FrameEvent, _ fields: [HTTP2HeaderField]) {
        ev.headers = fields
        for f in fields {
            // By length first: most names are none of these, and a String compare that fails is a call.
            switch f.name.utf8.count {
            case 5:
                if f.name == ":path" { ev.path = ev.path ?? f.value }
            case 7:
                switch f.name {
                case ":method": ev.method = ev.method ?? f.value
                case ":scheme": ev.scheme = ev.scheme ?? f.value
                case ":status": ev.status = ev.status ?? Int(f.value)
                default: break
                }
            case 10:
                if f.name == ":authority" { ev.authority = ev.authority ?? f.value }
            case 11:
                if f.name == "grpc-status" { ev.grpcStatus = ev.grpcStatus ?? Int(f.value) }
            case 12:
                switch f.name {
                case "grpc-message": ev.grpcMessage = ev.grpcMessage ?? f.value
                case "content-type": ev.contentType = ev.contentType ?? f.value
                default: break
                }
            default: break
            }
        }
    }

    // MARK: Streams

    /// The stream's place in `streams` (created if `create` and allowed), valid until a stream is added or removed.
    private mutating func streamIndex(_ id: UInt32, create: Bool, _ origin: SegmentOrigin) -> Dictionary<UInt32, StreamState>.Index? {
        if let i = streams.index(forKey: id) { return i }
        guard create, id != 0 else { return nil }
        let parity = id & 1 == 1 ? 0 : 1
        if id <= maxStreamID[parity] && !lenientStreams { return nil }
        if streams.count >= limits.maxStreamsTracked {
            streamsDropped += 1
            anomalies.add(.h2StreamsDropped, frame: origin.frame)
            return nil
        }
        maxStreamID[parity] = max(maxStreamID[parity], id)
        streams[id] = StreamState(s: HTTP2StreamSummary(id: id), w0: dirs[0].initialWindow, w1: dirs[1].initialWindow)
        return streams.index(forKey: id)
    }

    // A stream is read and updated in place (`Self.f(&streams.values[i], …)`): reading `streams.values[i].x`
    // copies the whole state out first (its strings retained and released).

    private mutating func applyHeaderBlock(_ d: Int, _ pb: PendingBlock, _ fields: [HTTP2HeaderField]?) {
        let origin = SegmentOrigin(frame: pb.first.frame, ts: pb.first.ts)
        if pb.isPush {
            guard pb.first.malformed == nil || pb.first.malformed == .h2FrameTooLarge, pb.promised != 0 else { return }
            guard let i = streamIndex(pb.promised, create: true, origin) else { return }
            Self.promised(&streams.values[i], pb.first, undecodable: fields == nil)
            return
        }
        let id = pb.stream
        guard id != 0, let i = streamIndex(id, create: true, origin) else { return }
        Self.headerBlock(&streams.values[i], from: d, frames: pb.frames, undecodable: fields == nil, pb.first)
        if pb.endStream { endSide(d, id, origin) }
    }

    private static func promised(_ st: inout StreamState, _ ev: HTTP2FrameEvent, undecodable: Bool) {
        st.s.pushed = true
        st.e0 = true
        st.s.requestStart = ev.ts
        st.s.requestFrame = ev.frame
        st.blocks0 = 1
        if undecodable { st.s.headersUndecodable = true }
        copyRequest(&st, ev)
    }

    private static func headerBlock(_ st: inout StreamState, from d: Int, frames: Int, undecodable: Bool, _ ev: HTTP2FrameEvent) {
        st.s.frames += frames
        if undecodable { st.s.headersUndecodable = true }
        if d == 0 {
            if st.blocks0 == 0 {
                st.s.requestStart = ev.ts
                st.s.requestFrame = ev.frame
                copyRequest(&st, ev)
            }
            st.blocks0 += 1
        } else {
            if let status = ev.status {
                if (status < 100 || status >= 200) && !st.finalResponse {
                    st.finalResponse = true
                    st.s.status = status
                    st.s.responseHeaders = ev.ts
                    st.s.responseFrame = ev.frame
                }
            } else if undecodable && st.s.responseHeaders == nil {
                st.s.responseHeaders = ev.ts
                st.s.responseFrame = ev.frame
            }
            if let g = ev.grpcStatus { st.s.grpcStatus = g }
            if let m = ev.grpcMessage { st.s.grpcMessage = m }
            if let c = ev.contentType, st.s.contentType == nil { st.s.contentType = c }
            st.blocks1 += 1
        }
    }

    private static func copyRequest(_ st: inout StreamState, _ ev: HTTP2FrameEvent) {
        st.s.method = ev.method
        st.s.path = ev.path
        st.s.authority = ev.authority
        st.s.scheme = ev.scheme
        if let c = ev.contentType { st.s.contentType = c }
    }

    private mutating func endSide(_ d: Int, _ id: UInt32, _ origin: SegmentOrigin) {
        guard let i = streams.index(forKey: id) else { return }
        if Self.endSide(&streams.values[i], d, origin.ts) { closeStream(id, .endStream, origin) }
    }

    /// Marks the side ended; true when both are.
    private static func endSide(_ st: inout StreamState, _ d: Int, _ ts: Timestamp) -> Bool {
        if d == 0 {
            st.e0 = true
            st.s.requestEnd = ts
        } else {
            st.e1 = true
        }
        return st.e0 && st.e1
    }

    private mutating func closeStream(_ id: UInt32, _ how: HTTP2StreamEnd, _ origin: SegmentOrigin) {
        guard var st = streams.removeValue(forKey: id) else { return }
        st.s.endedBy = how
        st.s.end = origin.ts
        st.s.endFrame = origin.frame
        for d in 0..<2 where !openStalls.isEmpty {
            let key = UInt64(d) << 32 | UInt64(id)
            if let idx = openStalls.removeValue(forKey: key) {
                stallRecords[idx].duration = origin.ts - stallRecords[idx].start
            }
        }
        if finished.count < limits.maxStreamSummaries { finished.append(st.s) } else { streamsDropped += 1 }
    }

    private mutating func onGoaway(_ d: Int, _ last: UInt32, _ code: HTTP2ErrorCode, _ dbg: [UInt8],
                                   _ origin: SegmentOrigin) {
        // Streams initiated by the GOAWAY's receiver above last_stream were not (and will not be) processed.
        let receiverParity: UInt32 = d == 1 ? 1 : 0
        var cut: [UInt32] = []
        for (id, _) in streams where id > last && id & 1 == receiverParity { cut.append(id) }
        cut.sort()
        for id in cut { closeStream(id, .goaway, origin) }
        if goawayRecords.count < limits.maxRecords {
            goawayRecords.append(HTTP2GoawayRecord(direction: d == 0 ? .fromInitiator : .fromResponder,
                                                   frame: origin.frame, ts: origin.ts, lastStream: last,
                                                   errorCode: code, debugData: dbg, streamsCut: cut))
        }
    }

    // MARK: Flow control

    private mutating func onData(_ d: Int, _ id: UInt32, _ length: Int, _ end: Bool, _ origin: SegmentOrigin) {
        let i = streamIndex(id, create: true, origin)
        let known = i != nil
        if let i { Self.data(&streams.values[i], from: d, length) }
        if flowKnown {
            dirs[d].connWindow -= Int64(length)
            if dirs[d].connWindow < 0 { anomalies.add(.h2FlowControlViolation, frame: origin.frame) }
            if let i {
                let w = Self.addWindow(&streams.values[i], d, -Int64(length))
                if w < 0 { anomalies.add(.h2FlowControlViolation, frame: origin.frame) }
                checkStall(d, id, w, hadMore: !end, origin)
            }
        }
        if end && known { endSide(d, id, origin) }
        if flowKnown && dirs[d].connWindow <= 0 {
            let more = streams.values.contains { d == 0 ? !$0.e0 : !$0.e1 }
            checkStall(d, 0, dirs[d].connWindow, hadMore: more, origin)
        }
    }

    private static func data(_ st: inout StreamState, from d: Int, _ length: Int) {
        st.s.dataBytes[d] += length
        st.s.frames += 1
    }

    /// The stream's window for `d`'s sender moved by `delta`; the new window.
    private static func addWindow(_ st: inout StreamState, _ d: Int, _ delta: Int64) -> Int64 {
        if d == 0 { st.w0 += delta; return st.w0 }
        st.w1 += delta
        return st.w1
    }

    private mutating func onWindowUpdate(sender d: Int, _ id: UInt32, _ inc: Int64, _ origin: SegmentOrigin) {
        guard flowKnown else { return }
        if id == 0 {
            dirs[d].connWindow += inc
            if dirs[d].connWindow > 0x7fff_ffff { anomalies.add(.h2WindowOverflow, frame: origin.frame) }
            checkStall(d, 0, dirs[d].connWindow, hadMore: true, origin)
        } else if let i = streams.index(forKey: id) {
            let w = Self.addWindow(&streams.values[i], d, inc)
            if w > 0x7fff_ffff { anomalies.add(.h2WindowOverflow, frame: origin.frame) }
            checkStall(d, id, w, hadMore: true, origin)
        }
    }

    /// Opens a stall record when `window` ≤ 0 (and the sender had more to send), closes it when positive.
    private mutating func checkStall(_ d: Int, _ id: UInt32, _ window: Int64, hadMore: Bool, _ origin: SegmentOrigin) {
        let key = UInt64(d) << 32 | UInt64(id)
        if window <= 0 {
            guard hadMore, openStalls[key] == nil, stallRecords.count < limits.maxRecords else { return }
            stallRecords.append(HTTP2StallRecord(direction: d == 0 ? .fromInitiator : .fromResponder, stream: id,
                                                 start: origin.ts, startFrame: origin.frame, end: nil, endFrame: nil,
                                                 senderHadMore: hadMore, duration: .zero))
            openStalls[key] = stallRecords.count - 1
        } else if !openStalls.isEmpty, let idx = openStalls.removeValue(forKey: key) {
            stallRecords[idx].end = origin.ts
            stallRecords[idx].endFrame = origin.frame
            stallRecords[idx].duration = origin.ts - stallRecords[idx].start
        }
    }

    private mutating func applySettings(from d: Int, _ list: [HTTP2Setting], _ origin: SegmentOrigin) {
        let s = 1 - d  // the direction whose sender these settings constrain
        for item in list {
            let v = item.value
            switch item.id {
            case .headerTableSize:
                dirs[s].tableSizeAdvertised = Int(v)
            case .enablePush:
                if v > 1 { anomalies.add(.h2BadSettingsValue, frame: origin.frame) }
            case .initialWindowSize:
                if v > 0x7fff_ffff { anomalies.add(.h2BadSettingsValue, frame: origin.frame); continue }
                let delta = Int64(v) - dirs[s].initialWindow
                dirs[s].initialWindow = Int64(v)
                guard delta != 0 else { continue }
                for id in Array(streams.keys) {
                    let w: Int64
                    if s == 0 { streams[id]!.w0 += delta; w = streams[id]!.w0 } else { streams[id]!.w1 += delta; w = streams[id]!.w1 }
                    if flowKnown {
                        let more = s == 0 ? !streams[id]!.e0 : !streams[id]!.e1
                        checkStall(s, id, w, hadMore: more, origin)
                    }
                }
            case .maxFrameSize:
                if v < 16384 || v > 16_777_215 { anomalies.add(.h2BadSettingsValue, frame: origin.frame) } else {
                    dirs[s].maxFrameSize = Int(v)
                }
            default:
                break
            }
        }
    }

    // MARK: - Summary

    /// Per-direction HPACK state: nil when in step, else why not ("hpack-unknown-state", "hpack-desync",
    /// "capture-gap").
    public func hpackState(_ direction: FlowDirection) -> String? { dirs[Int(direction.rawValue)].hpackBroken }

    /// End of capture or connection. Emits frames still held (a header block whose CONTINUATIONs never
    /// came, reported undecodable) through `emit`, then returns the summary. Call once, and with an
    /// `hpackPool` feed nothing after it (its HPACK decoders went back to the pool).
    public mutating func finish(at ts: Timestamp, emit: (HTTP2FrameEvent) -> Void = { _ in }) -> HTTP2ConnectionSummary {
        for d in 0..<2 where dirs[d].mode == .hunting && dirs[d].held.count >= 9 {
            let o = dirs[d].heldOrigins.last?.0 ?? SegmentOrigin(frame: 0, ts: ts)
            hunt(d, UnsafeRawBufferPointer(start: nil, count: 0), o, emit, atEnd: true)
        }
        for d in 0..<2 {
            if dirs[d].pending != nil { flushPending(d, decoded: false, emit) }
            if dirs[d].mode == .frames && dirs[d].hdrHave > 0 {
                anomalies.add(.h2TruncatedAtEnd, frame: 0)
            }
        }
        var sum = HTTP2ConnectionSummary(client: client, server: server, start: start, endTs: ts)
        sum.firstTs = firstTs
        sum.lastTs = lastTs
        var all = finished
        finished = []   // `all` alone holds them: sorted in place, not copied
        for id in streams.keys.sorted() {
            var s = streams[id]!.s
            s.endedBy = .unfinished
            all.append(s)
        }
        all.sort { $0.id < $1.id }
        sum.streams = all
        sum.streamsDropped = streamsDropped
        sum.settings = settingsRecords
        sum.pings = pingRecords
        sum.goaways = goawayRecords
        var stalls = stallRecords
        for (_, idx) in openStalls { stalls[idx].duration = ts - stalls[idx].start }
        sum.stalls = stalls
        sum.anomalies = anomalies
        sum.hpackDesynchronized = [dirs[0].hpackBroken != nil, dirs[1].hpackBroken != nil]
        sum.frames = [dirs[0].frames, dirs[1].frames]
        sum.bytes = [dirs[0].bytes, dirs[1].bytes]
        finishedAt = ts
        if let pool = hpackPool {
            for d in 0..<2 {
                if let h = dirs[d].hpack { pool.give(h) }
                dirs[d].hpack = nil
            }
        }
        return sum
    }
}

/// RFC 4648 §5 base64url without padding (the HTTP2-Settings header).
enum Base64URL {
    static func decode(_ s: String) -> [UInt8]? {
        var out: [UInt8] = []
        var acc: UInt32 = 0, bits = 0
        for c in s.utf8 {
            let v: UInt32
            switch c {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): v = UInt32(c - UInt8(ascii: "A"))
            case UInt8(ascii: "a")...UInt8(ascii: "z"): v = UInt32(c - UInt8(ascii: "a")) + 26
            case UInt8(ascii: "0")...UInt8(ascii: "9"): v = UInt32(c - UInt8(ascii: "0")) + 52
            case UInt8(ascii: "-"), UInt8(ascii: "+"): v = 62
            case UInt8(ascii: "_"), UInt8(ascii: "/"): v = 63
            case UInt8(ascii: "="): continue
            default: return nil
            }
            acc = acc << 6 | v
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: acc >> UInt32(bits)))
            }
        }
        return out
    }
}
