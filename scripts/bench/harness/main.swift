// Stage timings that the CLI cannot show on its own (linked against the release build's objects by
// scripts/bench/run):
//   harness pipeline FILE   the decode loop and the report's collectors (what `netcorr replay` does before the
//                           correlator runs): packets, DNS transactions, TCP, HTTP/2
//   harness golog FILE      GoLogReader over a log: lines and events
import NetcorrCapture
import NetcorrCore
import NetcorrCorrelate
import NetcorrGoLog
import NetcorrPipeline
import NetcorrReport

struct Sink: EventSink {
    var dns = DNSSummary()
    var evidence: Evidence = {
        var l = EvidenceLimits()
        l.foldHealthyDNS = true   // as `netcorr replay` without --events or --html
        l.dnsContext = .seconds(25)   // as replay sets it: two retry windows and a second
        l.countHealthy = true   // as replay without a log or --html
        return Evidence(limits: l)
    }()
    var wantsDNSMessages: Bool { true }
    mutating func dns(_ e: DNSMessageEvent) { evidence.dns(e) }
    mutating func dnsTransaction(_ t: DNSTransaction) { dns.add(t); evidence.dnsTransaction(t) }
    mutating func icmp(_ e: ICMPErrorEvent) { evidence.icmp(e) }
    mutating func neighbor(_ e: NeighborEvent) { evidence.neighbor(e) }
    mutating func tcp(_ e: TCPConnectionEvent) { evidence.tcp(e) }
    mutating func h2(_ e: HTTP2FrameEvent) { evidence.h2(e) }
    mutating func h2Connection(_ s: HTTP2ConnectionSummary) { evidence.h2Connection(s) }
    mutating func tls(_ e: TLSEvent) { evidence.tls(e) }
}

let args = CommandLine.arguments
switch args.count == 3 ? args[1] : "" {
case "pipeline":
    let reader = try PcapFileReader(path: args[2])
    var o = PipelineOptions()
    o.dnsRecords = false   // as `netcorr replay` without --events
    var p = Pipeline(linkType: reader.linkType, options: o)
    var sink = Sink()
    while reader.next({ span, info in p.packet(span, frame: info.frame, ts: info.ts, wireLength: info.wireLength, sink: &sink) }) {}
    p.finish(sink: &sink)
    let s = p.stats
    print("packets \(s.packets) dns \(s.dnsMessages) transactions \(sink.dns.total) tcp \(s.tcpConnections) h2frames \(sink.evidence.h2Frames.values.reduce(0) { $0 + $1.count }) anomalies \(s.anomalies.total)")
case "golog":
    var r = try GoLogReader(path: args[2])
    var events = 0
    while let _ = r.next() { events += 1 }   // (as replay reads: `!= nil` built and destroyed a tuple of optionals)
    print("events \(events) \(r.stats)")
case "dnscheck":
    // The report's DNS decoding (records: false) against the full one: everything but `records` must agree.
    struct Collect: EventSink {
        var messages: [DNSMessage] = []
        mutating func dns(_ e: DNSMessageEvent) { var m = e.message; m.records = []; messages.append(m) }
    }
    var out: [[DNSMessage]] = []
    for full in [true, false] {
        let reader = try PcapFileReader(path: args[2])
        var o = PipelineOptions()
        o.dnsRecords = full
        var p = Pipeline(linkType: reader.linkType, options: o)
        var c = Collect()
        while reader.next({ span, info in p.packet(span, frame: info.frame, ts: info.ts, wireLength: info.wireLength, sink: &c) }) {}
        p.finish(sink: &c)
        out.append(c.messages)
    }
    print(out[0] == out[1] ? "same \(out[0].count)" : "DIFFERENT \(args[2])")
default:
    print("usage: harness pipeline|golog|dnscheck FILE")
}
