import ArgumentParser
import NetcorrCapture
import NetcorrCore
import NetcorrCorrelate
import NetcorrGoLog
import NetcorrPipeline
import NetcorrReport

/// Options that decide how packets are judged, shared by replay and capture.
struct DecodeOptions: ParsableArguments {
    @Option(name: .customLong("dns-timeout"), help: "Seconds after which a DNS query without a response is unanswered (default: inferred from the retries' spacing, else Go's 5).")
    var dnsTimeoutOption: Double?

    var dnsTimeoutGiven: Bool { dnsTimeoutOption != nil }
    var dnsTimeout: Double { dnsTimeoutOption ?? 5 }

    @Option(name: .customLong("dns-port"), help: "A port whose UDP and TCP traffic is DNS (repeatable; default 53).")
    var dnsPorts: [UInt16] = []

    func pipelineOptions() -> PipelineOptions {
        var o = PipelineOptions()
        o.dns.timeout = .seconds(dnsTimeout)
        o.dns.retryWindow = .seconds(max(12, dnsTimeout * 2 + 2))
        if !dnsPorts.isEmpty { o.dnsPorts = Set(dnsPorts) }
        return o
    }

    func correlatorOptions() -> CorrelatorOptions {
        var o = CorrelatorOptions()
        if dnsTimeoutGiven { o.dnsTimeout = .seconds(dnsTimeout) }
        return o
    }
}

struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Decode a .pcap or .pcapng file and report what failed.",
        discussion: """
        Trailing words are a BPF filter, as with tcpdump (`netcorr replay dump.pcap udp port 53`); packets keep \
        their numbers in the file. Exit status: 0 nothing failed, 1 failures found, 2 unusable input.
        """
    )

    @Argument(help: "The capture file (.pcap or .pcapng).")
    var file: String

    @Argument(parsing: .remaining, help: "A BPF filter expression.")
    var filter: [String] = []

    @Flag(help: "Print every decoded event as one JSON object per line (NDJSON) instead of the report.")
    var events = false

    @Flag(help: ArgumentHelp("Keep every healthy DNS lookup as evidence instead of counting it (slower, more memory; the findings are the same).", visibility: .hidden))
    var keepHealthyDNS = false

    @OptionGroup var decode: DecodeOptions
    @OptionGroup var logs: LogOptions
    @OptionGroup var report: ReportOptions

    mutating func run() throws {
        returnLargeBlocksToTheSystem()
        let reader: PcapFileReader
        do {
            reader = try PcapFileReader(path: file, filter: filter.isEmpty ? nil : filter.joined(separator: " "))
        } catch {
            Output.error(error.message)
            throw ExitCode(2)
        }
        var logReaders = try logs.openReaders()
        var pipelineOptions = decode.pipelineOptions()
        pipelineOptions.dnsRecords = events   // only the NDJSON events print every record
        var pipeline = Pipeline(linkType: reader.linkType, options: pipelineOptions)
        var writer = events ? EventWriter(timestampDigits: reader.timestampDigits, out: Output.write) : nil
        writer?.redactor = WireRedactor(enabled: !report.showSecrets)
        // The report folds healthy DNS lookups (counted, not kept); the events and the HTML page show every query.
        var limits = EvidenceLimits()
        limits.foldHealthyDNS = !events && report.html == nil && !keepHealthyDNS
        if let t = decode.dnsTimeoutOption { limits.healthyRTT = min(limits.healthyRTT, .seconds(t)) }
        // Without a log or a timeline, healthy connections past the first ones are only counted.
        limits.countHealthy = logReaders.isEmpty && report.html == nil
        limits.dnsContext = pipelineOptions.dns.retryWindow + pipelineOptions.dns.retryWindow + .seconds(1)
        var sink = ReplaySink(writer: writer, evidence: Evidence(limits: limits))
        // Folding needs the log first: the queries a DNS error line names are kept whatever they show.
        let logFirst = limits.foldHealthyDNS
        // The sink is passed in, not captured: a var captured by a nested function is boxed, and the packet loop
        // would pay an exclusivity check on every access to it.
        func readLogs(_ sink: inout ReplaySink) {
            logs.read(&logReaders, redact: !report.showSecrets) { e in
                sink.writer?.log(e)
                sink.evidence.log(e)
            }
        }
        if logFirst { readLogs(&sink) }
        Self.decode(reader, &pipeline, &sink)
        pipeline.finish(sink: &sink)
        sink.evidence.finishDNS()
        if let err = reader.readError {
            Output.error("\(file): reading stopped after packet \(reader.frame): \(err)")
            if reader.frame == 0 { throw ExitCode(2) }
        }
        if !logFirst { readLogs(&sink) }
        var correlator = Correlator(evidence: sink.evidence, options: decode.correlatorOptions())
        let analysis = correlator.run()
        if let path = report.html {
            let page = HTMLReport.render(analysis: analysis, evidence: sink.evidence, captureName: file, digits: reader.timestampDigits,
                                         redact: !report.showSecrets, dnsTimeout: decode.dnsTimeoutOption.map { .seconds($0) })
            if let err = HTMLReport.write(page, to: path) { Output.error("--html \(path): \(err)"); throw ExitCode(2) }
        }
        if events {
            for f in analysis.findings { sink.writer?.finding(f) }
            sink.writer?.flush()
        } else if report.format == .json {
            Output.print(FindingsJSON.render(analysis, stats: ReportText.stats(pipeline, evidence: sink.evidence), digits: reader.timestampDigits))
        } else {
            Output.print(render(pipeline: pipeline, sink: sink, reader: reader))
            Output.print("\n" + FindingsText(colour: report.colour, captureStart: pipeline.stats.firstTS).render(analysis))
        }
        if !analysis.findings.isEmpty { throw ExitCode(1) }
    }

    /// The decode loop. The pipeline and the sink come in inout: as vars that `run`'s closures capture, each
    /// packet's access to them was checked for exclusivity at run time.
    static func decode(_ reader: PcapFileReader, _ pipeline: inout Pipeline, _ sink: inout ReplaySink) {
        reader.forEach { span, info in
            pipeline.packet(span, frame: info.frame, ts: info.ts, wireLength: info.wireLength, sink: &sink)
        }
    }

    func render(pipeline: Pipeline, sink: ReplaySink, reader: PcapFileReader) -> String {
        ReportText.summary(name: file, linkType: reader.linkType, pipeline: pipeline, sink: sink)
    }
}

/// Collects what the report needs and, with --events, writes every event.
struct ReplaySink: EventSink {
    var writer: EventWriter?
    var dns = DNSSummary()
    var evidence: Evidence

    var wantsDNSMessages: Bool { true }
    mutating func dns(_ e: DNSMessageEvent) { writer?.dns(e); evidence.dns(e) }
    mutating func dnsTransaction(_ t: DNSTransaction) {
        dns.add(t)
        writer?.dnsTransaction(t)
        evidence.dnsTransaction(t)
    }
    mutating func icmp(_ e: ICMPErrorEvent) { writer?.icmp(e); evidence.icmp(e) }
    mutating func neighbor(_ e: NeighborEvent) { writer?.neighbor(e); evidence.neighbor(e) }
    mutating func tcp(_ e: TCPConnectionEvent) { writer?.tcp(e); evidence.tcp(e) }
    mutating func h2(_ e: HTTP2FrameEvent) { writer?.h2(e); evidence.h2(e) }
    mutating func h2Connection(_ s: HTTP2ConnectionSummary) { writer?.h2Connection(s); evidence.h2Connection(s) }
    mutating func tls(_ e: TLSEvent) { writer?.tls(e); evidence.tls(e) }
}
