import Testing
import NetcorrCore
@testable import NetcorrTLS

struct TLSConnection: CustomStringConvertible, Sendable {
    var name: String
    var clientPort: UInt16
    var serverPort: UInt16
    var sni: String
    var alpn: String
    var versions: String
    var selected: String
    var segments: String
    var records: String
    var description: String { name }

    struct Segment { var dir: FlowDirection; var frame: Int; var ts: Timestamp; var bytes: [UInt8] }
    var parsed: [Segment] {
        segments.split(separator: "\n").map { l in
            let f = l.split(separator: " ")
            return Segment(dir: f[0] == "c" ? .fromInitiator : .fromResponder, frame: Int(f[1])!,
                           ts: Timestamp(nanoseconds: Int64(f[2])!), bytes: hex(f[3]))
        }
    }
    /// tshark's record lengths per direction, in order.
    func recordLengths(_ d: FlowDirection) -> [Int] {
        records.split(separator: "\n").compactMap { l in
            let f = l.split(separator: " ")
            return (f[0] == "c") == (d == .fromInitiator) ? Int(f[1]) : nil
        }
    }
}

func hex(_ s: Substring) -> [UInt8] {
    var out: [UInt8] = [], hi: UInt8? = nil
    for c in s.utf8 {
        let v: UInt8 = c <= 57 ? c - 48 : (c | 0x20) - 87
        if let h = hi { out.append(h << 4 | v); hi = nil } else { hi = v }
    }
    return out
}

func observe(_ c: TLSConnection, chunk: (Int) -> [Int] = { [$0] }) -> (TLSEvent, [TLSRecordEvent]) {
    var o = TLSStreamObserver(client: Endpoint(.v4(1), c.clientPort), server: Endpoint(.v4(2), c.serverPort))
    var recs: [TLSRecordEvent] = []
    for s in c.parsed {
        var off = 0
        for n in chunk(s.bytes.count) {
            o.receive(Array(s.bytes[off..<min(off + n, s.bytes.count)]), direction: s.dir,
                      origin: SegmentOrigin(frame: s.frame, ts: s.ts)) { recs.append($0) }
            off += n
        }
    }
    return (o.finish(at: c.parsed.last!.ts), recs)
}

@Suite("TLS observer on Go crypto/tls captures from the lab")
struct TLSObserverTests {
    @Test("hello fields and record lengths equal tshark's", arguments: TLSFixtures.all)
    func helloAndRecords(_ c: TLSConnection) {
        let (ev, recs) = observe(c)
        #expect(ev.sni == c.sni)
        #expect(ev.alpnOffered.joined(separator: ",") == c.alpn)
        #expect(ev.clientSupportedVersions.map { "0x" + hex4($0.rawValue) }.joined(separator: ",") == c.versions)
        #expect(ev.selectedVersion.map { "0x" + hex4($0.rawValue) } == c.selected)
        #expect(ev.selectedVersion == .tls13)
        #expect(ev.alpnSelected == nil && ev.alpnSelectedEncrypted, "TLS 1.3: ALPN choice is encrypted")
        #expect(ev.clientLegacyVersion == .tls12)
        #expect(ev.cipherSuite == 0x1301)
        #expect(ev.anomalies.total == 0)
        for d in [FlowDirection.fromInitiator, .fromResponder] {
            #expect(recs.filter { $0.direction == d }.map(\.length) == c.recordLengths(d), "\(d)")
            let st = ev.stats[Int(d.rawValue)]
            #expect(st.applicationData.map(\.length) == recs.filter { $0.direction == d && $0.contentType == .applicationData }.map(\.length))
            #expect(st.applicationDataRecords > 0)
        }
        #expect(recs.first?.handshakeType == 1)
        #expect(recs.first { $0.direction == .fromResponder }?.handshakeType == 2)
    }

    @Test("byte-at-a-time and odd chunks give the same records", arguments: TLSFixtures.all)
    func dripFeed(_ c: TLSConnection) {
        let (whole, r1) = observe(c)
        for k in [1, 2, 3, 7, 13] {
            let (ev, r2) = observe(c, chunk: { n in Array(repeating: k, count: (n + k - 1) / k) })
            #expect(r2.map { "\($0.frame) \($0.direction) \($0.contentType.rawValue) \($0.length)" }
                    == r1.map { "\($0.frame) \($0.direction) \($0.contentType.rawValue) \($0.length)" })
            #expect(ev.sni == whole.sni && ev.alpnOffered == whole.alpnOffered && ev.selectedVersion == whole.selectedVersion)
        }
    }

    @Test("every prefix of the ClientHello is safe, the complete one parses")
    func prefixes() {
        let c = TLSFixtures.all[0]
        let hello = c.parsed.first { $0.dir == .fromInitiator }!.bytes
        #expect(TLSDetect.looksLikeClientHello(hello) == .yes)
        #expect(TLSDetect.looksLikeClientHello(Array(hello.prefix(3))) == .needMoreData)
        #expect(TLSDetect.looksLikeClientHello(Array("GET / HTTP/1.1\r\n".utf8)) == .no)
        for n in 0..<hello.count {
            var o = TLSStreamObserver(client: Endpoint(.v4(1), 1), server: Endpoint(.v4(2), 2))
            o.receive(Array(hello.prefix(n)), direction: .fromInitiator, origin: SegmentOrigin(frame: 1, ts: .init(nanoseconds: 0))) { _ in }
            #expect(o.summary.sni == nil)
        }
        let info = ClientHelloInfo(handshakeMessage: Array(hello.dropFirst(5)))
        #expect(info?.sni == "app.lab.test")
        #expect(info?.alpn == ["h2"])
    }

    @Test("plaintext alert, TLS 1.2 ServerHello with ALPN, garbage stops the direction")
    func syntheticHellos() {
        // ServerHello (TLS 1.2, no supported_versions) selecting ALPN "h2", then a fatal handshake_failure alert.
        var sh: [UInt8] = [0x03, 0x03] + [UInt8](repeating: 7, count: 32) + [0] + [0xc0, 0x2f, 0]
        let alpnExt: [UInt8] = [0x00, 0x10, 0x00, 0x05, 0x00, 0x03, 0x02, 0x68, 0x32]
        sh += [0x00, UInt8(alpnExt.count)] + alpnExt
        let msg: [UInt8] = [2, 0, 0, UInt8(sh.count)] + sh
        let rec: [UInt8] = [22, 3, 3, 0, UInt8(msg.count)] + msg
        let alert: [UInt8] = [21, 3, 3, 0, 2, 2, 40]
        var o = TLSStreamObserver(client: Endpoint(.v4(1), 1), server: Endpoint(.v4(2), 2))
        o.receive(rec + alert, direction: .fromResponder, origin: SegmentOrigin(frame: 5, ts: .init(nanoseconds: 9))) { _ in }
        #expect(o.summary.selectedVersion == .tls12)
        #expect(o.summary.alpnSelected == "h2")
        #expect(!o.summary.alpnSelectedEncrypted)
        #expect(o.summary.alerts.first?.name == "handshake_failure")
        #expect(o.summary.alerts.first?.encrypted == false)
        o.receive([0x47, 0x45, 0x54, 0x20, 0x2f, 0x20], direction: .fromInitiator, origin: SegmentOrigin(frame: 6, ts: .init(nanoseconds: 10))) { _ in }
        #expect(o.summary.anomalies.counts[.tlsBadRecordHeader] == 1)
    }

    @Test("a gap inside a record body keeps the direction in step")
    func gapInsideRecord() {
        var o = TLSStreamObserver(client: Endpoint(.v4(1), 1), server: Endpoint(.v4(2), 2))
        var recs: [TLSRecordEvent] = []
        let origin = SegmentOrigin(frame: 1, ts: .init(nanoseconds: 0))
        o.receive([23, 3, 3, 0x01, 0x00] + [UInt8](repeating: 0, count: 100), direction: .fromInitiator, origin: origin) { recs.append($0) }
        o.gap(direction: .fromInitiator, count: 100, origin: origin)
        o.receive([UInt8](repeating: 0, count: 56) + [23, 3, 3, 0, 4, 1, 2, 3, 4], direction: .fromInitiator, origin: origin) { recs.append($0) }
        #expect(recs.map(\.length) == [256, 4])
    }
}

func hex4(_ v: UInt16) -> String {
    let h = String(v, radix: 16)
    return String(repeating: "0", count: max(0, 4 - h.count)) + h
}
