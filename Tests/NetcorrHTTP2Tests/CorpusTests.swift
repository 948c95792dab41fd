import Testing
import NetcorrCore
@testable import NetcorrHTTP2

/// One TCP connection from the public corpus: its payload segments and tshark's frame rows.
struct CorpusConnection: CustomStringConvertible, Sendable {
    var name: String
    var syn: Bool
    var clientPort: UInt16
    var serverPort: UInt16
    var segments: String
    var expected: String
    var description: String { name }

    struct Segment { var dir: FlowDirection; var frame: Int; var ts: Timestamp; var bytes: [UInt8] }

    var parsedSegments: [Segment] {
        segments.split(separator: "\n").map { line in
            let f = line.split(separator: " ")
            return Segment(dir: f[0] == "c" ? .fromInitiator : .fromResponder, frame: Int(f[1])!,
                           ts: Timestamp(nanoseconds: Int64(f[2])!), bytes: hexBytes(f[3]))
        }
    }

    /// Rows of the corpus TSV (without its header line), keyed by column name.
    var expectedRows: [[String: String]] {
        let cols = ["frame.number", "tcp.stream", "src", "dst", "tcp.srcport", "tcp.dstport", "http2.type",
                    "http2.flags", "http2.streamid", "http2.length", "http2.headers.status", "http2.headers.method",
                    "http2.headers.path", "http2.rst_stream.error", "http2.goaway.error",
                    "http2.goaway.last_stream_id", "http2.window_update.window_size_increment"]
        return expected.split(separator: "\n").map { line in
            let f = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            var r: [String: String] = [:]
            for (i, c) in cols.enumerated() where i < f.count { r[c] = f[i] }
            return r
        }
    }

    var client: Endpoint { Endpoint(.v4(0x0a00_0001), clientPort) }
    var server: Endpoint { Endpoint(.v4(0x0a00_0002), serverPort) }
}

func hexBytes(_ s: Substring) -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(s.utf8.count / 2)
    var hi: UInt8? = nil
    for c in s.utf8 {
        let v: UInt8
        switch c {
        case 48...57: v = c - 48
        case 97...102: v = c - 87
        case 65...70: v = c - 55
        default: continue
        }
        if let h = hi { out.append(h << 4 | v); hi = nil } else { hi = v }
    }
    return out
}

func hexBytes(_ s: String) -> [UInt8] { hexBytes(s[...]) }

/// Runs a connection through a decoder, chunking every segment with `chunker` (sizes of successive pieces).
func decode(_ c: CorpusConnection, limits: HTTP2Limits = .init(),
            chunker: (Int) -> [Int] = { [$0] }) -> ([HTTP2FrameEvent], HTTP2ConnectionSummary) {
    var dec = HTTP2ConnectionDecoder(client: c.client, server: c.server, limits: limits,
                                     start: c.syn ? .auto : .midstream)
    var events: [HTTP2FrameEvent] = []
    for s in c.parsedSegments {
        let origin = SegmentOrigin(frame: s.frame, ts: s.ts)
        var off = 0
        for n in chunker(s.bytes.count) {
            let piece = Array(s.bytes[off..<min(s.bytes.count, off + n)])
            off += n
            dec.receive(piece, direction: s.dir, origin: origin) { events.append($0) }
        }
    }
    let last = c.parsedSegments.last?.ts ?? Timestamp(nanoseconds: 0)
    let sum = dec.finish(at: last) { events.append($0) }
    return (events, sum)
}

func num(_ s: String?) -> Int? {
    guard var v = s?.trimmingSpaces, !v.isEmpty else { return nil }
    if let comma = v.firstIndex(of: ",") { v = String(v[..<comma]) }
    if v.hasPrefix("0x") { return Int(v.dropFirst(2), radix: 16) }
    return Int(v)
}

extension String {
    var trimmingSpaces: String { String(self.drop { $0 == " " }.reversed().drop { $0 == " " }.reversed()) }
}

/// The comparison `check --kind h2` makes, per direction in order. Returns the differences.
func compareWithTshark(_ c: CorpusConnection, _ events: [HTTP2FrameEvent]) -> [String] {
    var diffs: [String] = []
    for dir in [FlowDirection.fromInitiator, .fromResponder] {
        let port = dir == .fromInitiator ? c.clientPort : c.serverPort
        let want = c.expectedRows.filter { $0["http2.type"] != "" && num($0["tcp.srcport"]) == Int(port) }
        let got = events.filter { $0.direction == dir }
        for (i, r) in want.enumerated() {
            guard i < got.count else {
                diffs.append("\(dir) frame \(r["frame.number"]!): tshark has type \(r["http2.type"]!), we have no more")
                break
            }
            let e = got[i]
            var bad: [String] = []
            func chk(_ n: String, _ a: Int?, _ b: Int?) { if a != b { bad.append("\(n) tshark=\(a.map(String.init) ?? "nil") ours=\(b.map(String.init) ?? "nil")") } }
            chk("type", num(r["http2.type"]), Int(e.type.rawValue))
            chk("flags", num(r["http2.flags"]), Int(e.flags))
            chk("stream", num(r["http2.streamid"]), Int(e.stream))
            chk("length", num(r["http2.length"]), e.length)
            if let s = r["http2.headers.status"], !s.isEmpty { chk("status", num(s), e.status) }
            if let m = r["http2.headers.method"], !m.isEmpty, String(m.split(separator: ",").first ?? "") != e.method {
                bad.append("method tshark=\(m) ours=\(e.method ?? "nil")")
            }
            if let p = r["http2.headers.path"], !p.isEmpty, String(p.split(separator: ",").first ?? "") != e.path {
                bad.append("path tshark=\(p) ours=\(e.path ?? "nil")")
            }
            for col in ["http2.rst_stream.error", "http2.goaway.error"] {
                if let v = r[col], !v.isEmpty { chk("error_code", num(v), e.errorCode.map { Int($0.rawValue) }) }
            }
            if let v = r["http2.goaway.last_stream_id"], !v.isEmpty { chk("last_stream", num(v), e.lastStream.map { Int($0) }) }
            if let v = r["http2.window_update.window_size_increment"], !v.isEmpty {
                chk("increment", num(v), e.increment.map { Int($0) })
            }
            if !bad.isEmpty { diffs.append("\(dir) frame \(r["frame.number"]!) (#\(i + 1)): " + bad.joined(separator: "; ")) }
        }
        if got.count > want.count { diffs.append("\(dir): \(got.count - want.count) more frames than tshark") }
    }
    return diffs
}

/// Frame identity for drip-feed comparisons: everything but nothing time-dependent is lost.
func signature(_ e: HTTP2FrameEvent) -> String {
    "\(e.frame) \(e.direction) \(e.type.rawValue) \(e.flags) \(e.stream) \(e.length) \(e.headers.map { "\($0.count)" } ?? "-") "
        + "\(e.method ?? "") \(e.path ?? "") \(e.status ?? -1) \(e.errorCode?.rawValue ?? 99) \(e.increment ?? 0) "
        + "\(e.headersUndecodable ?? "") \(e.malformed?.rawValue ?? "") \(e.settings?.count ?? -1) \(e.pingData ?? 0)"
}

/// A small deterministic PRNG for reproducible random chunking.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}

@Suite("HTTP/2 decoder against tshark on the public corpus")
struct CorpusTests {
    @Test("every frame equals tshark's decoding", arguments: CorpusFixtures.all)
    func framesEqualTshark(_ c: CorpusConnection) {
        let (events, _) = decode(c)
        let diffs = compareWithTshark(c, events)
        #expect(diffs.isEmpty, "\(c.name): \(diffs.prefix(8).joined(separator: "\n"))")
    }

    @Test("one byte at a time gives the same frames", arguments: CorpusFixtures.all)
    func byteAtATime(_ c: CorpusConnection) {
        let whole = decode(c).0.map(signature)
        let bytes = decode(c, chunker: { Array(repeating: 1, count: $0) }).0.map(signature)
        #expect(whole == bytes)
    }

    @Test("random chunks give the same frames", arguments: CorpusFixtures.all)
    func randomChunks(_ c: CorpusConnection) {
        let whole = decode(c).0.map(signature)
        for seed in 1...3 {
            var rng = SplitMix(state: UInt64(seed))
            let pieces = decode(c, chunker: { n in
                var out: [Int] = []
                var left = n
                while left > 0 { let k = Int.random(in: 1...max(1, min(left, 40)), using: &rng); out.append(k); left -= k }
                return out
            }).0.map(signature)
            #expect(whole == pieces, "seed \(seed)")
        }
    }

    @Test("every strict prefix of each direction decodes without trapping", arguments: CorpusFixtures.all)
    func prefixes(_ c: CorpusConnection) {
        // Concatenate each direction and feed growing prefixes in steps (every byte for small streams).
        let segs = c.parsedSegments
        for dir in [FlowDirection.fromInitiator, .fromResponder] {
            let all = segs.filter { $0.dir == dir }.flatMap(\.bytes)
            let step = max(1, all.count / 300)
            var cut = 0
            while cut < all.count {
                var dec = HTTP2ConnectionDecoder(client: c.client, server: c.server, start: c.syn ? .auto : .midstream)
                var n = 0
                dec.receive(Array(all[0..<cut]), direction: dir, origin: SegmentOrigin(frame: 1, ts: Timestamp(nanoseconds: 0))) { _ in n += 1 }
                _ = dec.finish(at: Timestamp(nanoseconds: 1))
                cut += step
            }
        }
    }
}
