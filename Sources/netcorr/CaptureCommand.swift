import ArgumentParser
import Foundation
import NetcorrCapture
import NetcorrCore
import NetcorrCorrelate
import NetcorrGoLog
import NetcorrPipeline
import NetcorrReport

/// Set by SIGINT / SIGTERM; the capture loop polls it.
nonisolated(unsafe) var captureStopSignal: Int32 = 0

/// `netcorr capture -i IFACE [-w FILE] [--log FILE] [FILTER…] [-- COMMAND ARGS…]`
///
/// Live: packets are decoded as they arrive; about once a second the correlator runs on a copy of what is known
/// (the pipeline copied and ended "now", the logs so far) and every finding that is certain by then is printed
/// once. At the end (Ctrl-C, SIGTERM, --duration, -c, the command's exit) the full report is printed, computed
/// exactly as `netcorr replay` computes it from the saved file and log.
///
/// Saving (-w): packets are spooled as they come with `pcap_dump` (FILE.spool, classic pcap, nanoseconds), so
/// memory stays flat; at the end the spool is converted to pcapng with the log lines added as packet comments
/// (they are known only then) and removed. A name ending in .pcap is written directly (no comments).
struct CaptureCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "capture",
        abstract: "Capture live, correlate as packets and log lines arrive, report what failed.",
        discussion: """
        Trailing words before `--` are a BPF filter (default: \(CaptureCommand.defaultFilter([]))). After `--`, a \
        command is run as `netcorr run` runs it (GODEBUG netdns=go+2,http2debug=2 merged, output passed through and \
        stamped) and its log is read live; the capture stops when it exits. Findings are printed as soon as they are \
        certain (stdout; stderr with --format json), the full report at the end. Needs CAP_NET_RAW (root). \
        Exit status: 0 nothing failed, 1 failures found, 2 unusable input.
        """
    )

    @Option(name: [.customShort("i"), .customLong("interface")], help: "Interface to capture on (`any`: all, Linux cooked v2).")
    var interface: String?

    @Flag(name: [.customShort("D"), .customLong("list-interfaces")], help: "List the interfaces and exit.")
    var listInterfaces = false

    @Option(name: [.customShort("w"), .customLong("write")], help: "Save every captured packet: pcapng with the log lines as packet comments (pcap when FILE ends .pcap); a command's stamped log goes to FILE.log.")
    var write: String?

    @Option(name: [.customShort("c"), .customLong("count")], help: "Stop after this many packets.")
    var count: Int?

    @Option(name: .customLong("duration"), help: "Stop after this many seconds.")
    var duration: Double?

    @Option(name: [.customShort("s"), .customLong("snaplen")], help: "Bytes kept of each packet.")
    var snaplen = 262_144

    @Option(name: [.customShort("B"), .customLong("buffer-size")], help: "Kernel capture buffer in KiB (in immediate mode each slot holds min(snaplen, MTU) bytes).")
    var bufferKiB = 32768

    @Flag(name: .customLong("promisc"), help: "Put the interface into promiscuous mode (off by default).")
    var promisc = false

    @Flag(name: .customLong("no-immediate"), help: "Let the kernel batch packets (≤ 100 ms late; TPACKET_V3: far fewer drops on busy or high-MTU interfaces such as lo).")
    var noImmediate = false

    @Flag(name: [.customShort("v"), .customLong("verbose")], help: "Print a line per DNS transaction and HTTP/2 stream as it ends.")
    var verbose = false

    @Option(name: .customLong("linger"), help: "Seconds to keep capturing after the command exited (its last packets).")
    var linger = 0.5

    @Option(name: .customLong("live-interval"), help: "Seconds between live correlation runs.")
    var liveInterval = 1.0

    @OptionGroup var decode: DecodeOptions
    @OptionGroup var logs: LogOptions
    @OptionGroup var report: ReportOptions

    @Argument(parsing: .remaining, help: "A BPF filter expression, then optionally -- and a command to run (the capture stops when it exits).")
    var words: [String] = []

    /// The command: the words after the first `--` of the command line (ArgumentParser drops the `--` itself).
    var command: [String] {
        let argv = CommandLine.arguments
        guard let i = argv.firstIndex(of: "--") else { return [] }
        let tail = Array(argv[(i + 1)...])
        return words.count >= tail.count && Array(words.suffix(tail.count)) == tail ? tail : []
    }
    /// The filter words (before `--`).
    var filter: [String] { Array(words.dropLast(command.count)) }

    static func defaultFilter(_ dnsPorts: [UInt16]) -> String {
        let ports = Array(Set([53] + dnsPorts)).sorted()
        let dns = ports.map { "udp port \($0)" }.joined(separator: " or ")
        // IP fragments too: a large DNS answer over UDP may come in pieces that carry no port.
        return "\(dns) or tcp or icmp or icmp6 or arp or (ip and ip[6:2] & 0x3fff != 0) or (ip6 and ip6[6] == 44)"
    }

    func validate() throws {
        if listInterfaces { return }
        if CommandLine.arguments.last == "--" { throw ValidationError("give the command to run after --") }
        if interface == nil { throw ValidationError("give the interface with -i (netcorr capture -D lists them; -i any for all)") }
        if let c = count, c <= 0 { throw ValidationError("-c wants a positive number of packets") }
        if let d = duration, !(d > 0) { throw ValidationError("--duration wants a positive number of seconds") }
        if snaplen < 64 || snaplen > 262_144 { throw ValidationError("--snaplen must be between 64 and 262144") }
        if bufferKiB < 64 { throw ValidationError("--buffer-size is in KiB and must be at least 64") }
        if !(linger >= 0) { throw ValidationError("--linger must not be negative") }
        if !(liveInterval >= 0.1) { throw ValidationError("--live-interval must be at least 0.1 s") }
    }

    func run() throws {
        returnLargeBlocksToTheSystem()
        if listInterfaces {
            do {
                for (i, d) in try LiveCapture.interfaces().enumerated() {
                    var line = "\(i + 1).\(d.name)"
                    if let desc = d.description { line += " (\(desc))" }
                    if !d.flags.isEmpty { line += " [\(d.flags.joined(separator: ", "))]" }
                    if !d.addresses.isEmpty { line += " " + d.addresses.joined(separator: " ") }
                    Output.print(line + "\n")
                }
            } catch {
                Output.error(error.message)
                throw ExitCode(2)
            }
            return
        }
        let session = try CaptureSession(command: self)
        let status = try session.run()
        if status != 0 { throw ExitCode(status) }
    }
}

/// One live capture from start to report. A class: the packet loop mutates the pipeline and the sink in
/// place (a struct's copy-in/copy-out around the read closure would copy the decode state every batch).
final class CaptureSession {
    let cmd: CaptureCommand
    let cap: LiveCapture
    let iface: String
    var pipeline: Pipeline
    var sink: LiveSink
    var followers: [LogFollower] = []
    /// Events of each log, in file order (as replay reads them), redacted unless --show-secrets.
    var logEvents: [[LogEvent]] = []
    var logEventCount = 0
    let redactor: Redactor
    let spool: String?
    let pcapngOut: String?
    var childLog: String?
    var childLogIsTemp = false
    var child: ChildRun?
    let start: Timestamp
    let preview = PreviewState()
    let previewQueue = DispatchQueue(label: "netcorr.capture.preview")
    let liveOut: (String) -> Void
    var lastPreview: Timestamp
    var previewEvery: Duration
    var lastStats = LiveCaptureStats()
    let gologOptions: GoLogOptions

    init(command c: CaptureCommand) throws {
        cmd = c
        iface = c.interface!
        var o = LiveCaptureOptions()
        o.snaplen = c.snaplen
        o.bufferSize = c.bufferKiB * 1024
        o.promiscuous = c.promisc
        o.immediate = !c.noImmediate
        do { cap = try LiveCapture(interface: iface, options: o) } catch {
            Output.error(error.message)
            throw ExitCode(2)
        }
        if let w = cap.warning { Output.error(w) }
        let expr = c.filter.isEmpty ? CaptureCommand.defaultFilter(c.decode.dnsPorts) : c.filter.joined(separator: " ")
        do { try cap.setFilter(expr) } catch {
            Output.error(error.message)
            throw ExitCode(2)
        }
        gologOptions = try c.logs.goLogOptions()
        var sp: String?, out: String?
        if let w = c.write {
            if w.hasSuffix(".pcap") {
                sp = nil; out = nil
                do { try cap.dump(to: w) } catch { Output.error(error.message); throw ExitCode(2) }
            } else {
                sp = w + ".spool"; out = w
                do { try cap.dump(to: sp!) } catch { Output.error(error.message); throw ExitCode(2) }
            }
        }
        spool = sp
        pcapngOut = out
        redactor = Redactor(enabled: !c.report.showSecrets)
        pipeline = Pipeline(linkType: cap.linkType, options: c.decode.pipelineOptions())
        sink = LiveSink(inner: ReplaySink(writer: nil, evidence: Evidence()), verbose: c.verbose)
        let json = c.report.format == .json
        liveOut = json ? { Output.stderr($0 + "\n") } : { Output.print($0 + "\n") }
        start = GoLogRun.now()
        lastPreview = start
        previewEvery = .seconds(c.liveInterval)
        preview.every = previewEvery
        for f in c.logs.files {
            followers.append(LogFollower(path: f, options: gologOptions))
            logEvents.append([])
        }
    }

    func run() throws -> Int32 {
        for f in followers where !FileManager.default.fileExists(atPath: f.path) {
            Output.error("\(f.path) does not exist yet: waiting for it")
        }
        if !cmd.command.isEmpty { try startChild() }
        signal(SIGINT) { _ in captureStopSignal = 1 }
        signal(SIGTERM) { _ in captureStopSignal = 1 }
        signal(SIGPIPE, SIG_IGN)
        Output.error("capturing on \(iface), link type \(cap.linkType), snaplen \(cap.snaplen)"
                     + (cmd.write.map { ", saving to \($0)" } ?? ""))

        var stopReason = ""
        var childExitedAt: Timestamp?
        let deadline = cmd.duration.map { start + Duration.seconds($0) }
        loop: while true {
            if captureStopSignal != 0 { stopReason = "interrupted"; break }
            let left = cmd.count.map { $0 - cap.frame } ?? Int.max
            if left <= 0 { stopReason = "\(cap.frame) packets captured"; break }
            cap.wait(timeoutMs: 100)
            if readPackets(limit: min(left, 8192)) < 0 {
                Output.error("\(iface): reading stopped: \(cap.readError ?? "unknown error")")
                stopReason = "read error"
                break
            }
            pollLogs()
            let now = GoLogRun.now()
            if let d = deadline, now >= d { stopReason = "--duration reached"; break }
            if let ch = child {
                if childExitedAt == nil, !ch.process.isRunning { childExitedAt = now }
                if let t = childExitedAt, now - t >= .seconds(cmd.linger) {
                    stopReason = "\(cmd.command[0]) exited with status \(ch.status)"
                    break loop
                }
            }
            printPreviewLines()
            if now - lastPreview >= previewEvery { livePreview(now: now) }
        }
        finishPreview()
        // The end: the command, the packets still in the ring, the log lines not read yet.
        if let ch = child { ch.stop() }
        let left = cmd.count.map { $0 - cap.frame } ?? Int.max
        if left > 0 { while readPackets(limit: min(left, 8192)) > 0 {} }
        let capStats = cap.stats() ?? lastStats
        cap.closeDump()
        for i in followers.indices {
            add(followers[i].finish(), log: i)
            if let e = followers[i].error { Output.error("\(followers[i].path): \(e)") }
        }
        Output.error("stopped (\(stopReason)): \(cap.frame) packets"
                     + (capStats.dropped > 0 ? ", \(capStats.droppedByKernel) dropped by the kernel, \(capStats.droppedByInterface) by the interface" : ", none dropped"))

        pipeline.finish(sink: &sink)
        var final = sink.inner
        for list in logEvents { for e in list { final.evidence.log(e) } }
        var correlator = Correlator(evidence: final.evidence, options: cmd.decode.correlatorOptions())
        var analysis = correlator.run()
        if capStats.dropped > 0 {
            for i in analysis.findings.indices { analysis.findings[i].toSettle.append(dropNote(capStats)) }
        }

        var status: Int32 = analysis.findings.isEmpty ? 0 : 1
        if let out = pcapngOut, let sp = spool {
            if !saveBundle(spool: sp, to: out, analysis: analysis) { status = 2 }
        } else if let w = cmd.write {
            Output.error("saved \(cap.frame) packets to \(w)" + (childLog.map { ", the command's log to \($0)" } ?? ""))
        }
        if childLogIsTemp, let l = childLog { unlink(l) }

        if let path = cmd.report.html {
            let page = HTMLReport.render(analysis: analysis, evidence: final.evidence, captureName: "capture on \(iface)",
                                         digits: cap.nanoseconds ? 9 : 6, redact: !cmd.report.showSecrets,
                                         dnsTimeout: cmd.decode.dnsTimeoutOption.map { .seconds($0) })
            if let err = HTMLReport.write(page, to: path) { Output.error("--html \(path): \(err)"); status = 2 }
        }
        var stats = ReportText.stats(pipeline)
        stats += [("dropped_kernel", capStats.droppedByKernel), ("dropped_interface", capStats.droppedByInterface)]
        if let ch = child { stats.append(("command_exit_status", Int(ch.status))) }
        let name = "capture on \(iface)"
        if cmd.report.format == .json {
            Output.print(FindingsJSON.render(analysis, stats: stats, digits: cap.nanoseconds ? 9 : 6))
        } else {
            var text = ReportText.summary(name: name, linkType: cap.linkType, pipeline: pipeline, sink: final)
            if capStats.dropped > 0 {
                text += "\n  ⚠ \(capStats.dropped) packets dropped (\(capStats.droppedByKernel) by the kernel, \(capStats.droppedByInterface) by the interface): findings may miss evidence\n"
            }
            if let ch = child { text += "\ncommand: \(cmd.command.joined(separator: " ")) exited with status \(ch.status)\n" }
            Output.print(text)
            Output.print("\n" + FindingsText(colour: cmd.report.colour, captureStart: pipeline.stats.firstTS).render(analysis))
        }
        return status
    }

    func dropNote(_ s: LiveCaptureStats) -> String {
        "The capture dropped \(s.dropped) packets (\(s.droppedByKernel) by the kernel, \(s.droppedByInterface) by the interface) "
            + "while this was computed: evidence may be missing. Capture again with a larger -B, a narrower filter or a smaller -s."
    }

    // MARK: packets and logs

    func readPackets(limit: Int) -> Int {
        let n = cap.readAvailable(limit: limit) { span, info in
            self.pipeline.packet(span, frame: info.frame, ts: info.ts, wireLength: info.wireLength, sink: &self.sink)
        }
        if cmd.verbose { flushVerbose() }
        return n
    }

    func pollLogs() {
        for i in followers.indices { add(followers[i].poll(), log: i) }
    }

    func add(_ events: [LogEvent], log i: Int) {
        for e in events {
            guard logEventCount < 500_000 else { return }
            logEventCount += 1
            logEvents[i].append(redactor.enabled ? redactor.redact(e) : e)
        }
    }

    // MARK: live findings

    func rel(_ t: Timestamp?) -> String {
        guard let t else { return "      ?" }
        let v = "+" + Duration.fixed((t - start).seconds, 3) + "s"
        return String(repeating: " ", count: max(0, 9 - v.count)) + v
    }

    /// Snapshots everything (value copies: cheap until the loop mutates its own) and hands it to the preview
    /// thread, so the packet loop never waits for the correlator. One preview at a time.
    func livePreview(now: Timestamp) {
        lastPreview = now
        if let st = cap.stats() { lastStats = st }
        guard preview.begin() else { return }
        let input = PreviewInput(pipeline: pipeline, sink: sink.inner, logs: logEvents, now: now, drops: lastStats.dropped)
        let me = UncheckedBox(self)
        previewQueue.async { me.value.runPreview(input) }
    }

    /// On the preview thread: ends the copy "now", runs the correlator, queues the lines of what is certain and new.
    func runPreview(_ input: PreviewInput) {
        let t0 = GoLogRun.now()
        let now = input.now
        var p = input.pipeline
        var s = input.sink
        // Queries older than the pipeline's timeout are unanswered now; younger ones end with the capture.
        p.advance(to: now + cmd.decode.pipelineOptions().dns.lateGrace, sink: &s)
        p.finish(sink: &s)
        for list in input.logs { for e in list { s.evidence.log(e) } }
        if s.evidence.captureEnd == nil || s.evidence.captureEnd! < now { s.evidence.captureEnd = now }
        var c = Correlator(evidence: s.evidence, options: cmd.decode.correlatorOptions())
        let a = c.run()
        let dnsTimeout = cmd.decode.dnsTimeoutOption.map { Duration.seconds($0) } ?? a.inferredDNSTimeout ?? .seconds(5)
        var lines: [String] = []
        preview.lock.lock()
        for f in a.findings {
            let isDNS = f.cause.rawValue.hasPrefix("dns.")
            let last = f.end ?? f.start ?? now
            guard now - last >= (isDNS ? dnsTimeout : .seconds(1)) else { continue }
            let key = findingKey(f)
            guard !preview.printed.contains(key) else { continue }
            preview.printed.insert(key)
            var line = "\(rel(f.start)) finding [\(f.layer.rawValue)] \(f.cause): \(f.summary)"
            if input.drops > 0 { line += " (computed while \(input.drops) packets were dropped: evidence may be missing)" }
            lines.append(line)
        }
        if cmd.verbose {
            for t in s.evidence.transactions where t.outcome == .unanswered && !t.endedByCapture && now - t.queryTS >= dnsTimeout {
                guard t.queryFrame > 0, !preview.printedDNS.contains(t.queryFrame) else { continue }
                preview.printedDNS.insert(t.queryFrame)
                lines.append("\(rel(t.queryTS)) dns  \(t.qtype) \(t.qname) \(t.client) → \(t.server)/\(t.transport): no response within \(dnsTimeout.humanDescription)")
            }
        }
        // A slow correlation (a big capture) runs less often.
        let took = GoLogRun.now() - t0
        preview.every = max(.seconds(cmd.liveInterval), Duration(nanoseconds: took.nanoseconds * 3))
        preview.lines += lines
        preview.running = false
        preview.lock.unlock()
    }

    /// Prints what the preview thread found (on the loop's thread).
    func printPreviewLines() {
        preview.lock.lock()
        let lines = preview.lines
        preview.lines.removeAll()
        previewEvery = preview.every
        preview.lock.unlock()
        for l in lines { liveOut(l) }
    }

    /// Waits for a preview in flight (the end), then prints its lines.
    func finishPreview() {
        while true {
            preview.lock.lock()
            let r = preview.running
            preview.lock.unlock()
            if !r { break }
            usleep(10_000)
        }
        printPreviewLines()
    }

    func findingKey(_ f: Finding) -> String {
        let isDNS = f.cause.rawValue.hasPrefix("dns.")
        let client = isDNS ? "" : (f.flow.client?.description ?? "")
        return "\(f.cause)|\(client)|\(f.flow.server?.description ?? "")|\(f.flow.host ?? "")|\(f.flow.stream.map(String.init) ?? "")|\(f.start?.nanoseconds ?? 0)"
    }

    func flushVerbose() {
        guard !sink.lines.isEmpty else { return }
        for (ts, text, frame) in sink.lines {
            if let fr = frame {
                preview.lock.lock()
                let seen = !preview.printedDNS.insert(fr).inserted
                preview.lock.unlock()
                if seen { continue }
            }
            liveOut("\(rel(ts)) \(text)")
        }
        sink.lines.removeAll(keepingCapacity: true)
    }

    // MARK: the command

    func startChild() throws {
        let path: String
        if let w = cmd.write {
            path = w + ".log"
        } else {
            var tmpl = Array("/tmp/netcorr-capture-XXXXXX.log".utf8CString)
            let fd = tmpl.withUnsafeMutableBufferPointer { mkstemps($0.baseAddress!, 4) }
            guard fd >= 0 else { Output.error("cannot create a temporary log file"); throw ExitCode(2) }
            close(fd)
            path = String(decoding: tmpl.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            childLogIsTemp = true
        }
        childLog = path
        do {
            child = try ChildRun(command: cmd.command, logPath: path, showSecrets: cmd.report.showSecrets,
                                 stdoutToStderr: cmd.report.format == .json)
        } catch {
            Output.error(error.message)
            throw ExitCode(2)
        }
        followers.append(LogFollower(path: path, options: gologOptions))
        logEvents.append([])
    }

    // MARK: the bundle

    /// Converts the spool to pcapng with the log lines as packet comments; removes the spool.
    func saveBundle(spool: String, to out: String, analysis: Analysis) -> Bool {
        let comments = logComments(analysis: analysis, spool: spool)
        do {
            let n = try PcapngWriter.convert(spool: spool, to: out, interfaceName: iface, comments: comments.byFrame)
            unlink(spool)
            Output.error("saved \(n) packets to \(out) (\(comments.lines) log lines as packet comments)"
                         + (childLog.map { childLogIsTemp ? "" : ", the command's log to \($0)" } ?? ""))
            return true
        } catch {
            Output.error("\(error.message) (the packets are still in \(spool), a pcap file)")
            return false
        }
    }

    /// Every line of every log (unrecognised ones too): lines a finding cites go on that finding's packet
    /// nearest in time, the others on the packet nearest in time (log time + the clock offset).
    func logComments(analysis a: Analysis, spool: String) -> (byFrame: [Int: [String]], lines: Int) {
        var byFrame: [Int: [String]] = [:]
        // Cited lines → their finding's nearest packet.
        var cited: [LogRef: (frames: [Int], causes: [String])] = [:]
        for f in a.findings {
            let pk = f.timeline.compactMap { e in e.frame.flatMap { fr in e.ts.map { (fr, $0) } } }
            for e in f.timeline {
                guard let ref = e.log else { continue }
                var frame: Int?
                if let ts = e.ts {
                    frame = pk.min { abs(($0.1 - ts).nanoseconds) < abs(($1.1 - ts).nanoseconds) }?.0
                } else {
                    frame = f.packets.first
                }
                guard let fr = frame else { continue }
                var c = cited[ref] ?? ([], [])
                if !c.frames.contains(fr) { c.frames.append(fr) }
                if !c.causes.contains(f.cause.rawValue) { c.causes.append(f.cause.rawValue) }
                cited[ref] = c
            }
        }
        let offset = a.clock.estimate?.offset ?? .zero
        var loose: [(ts: Timestamp, text: String)] = []
        var untimed: [String] = []
        var total = 0, bytes = 0
        let maxBytes = 64 << 20
        var files = cmd.logs.files
        if let l = childLog, !childLogIsTemp { files.append(l) } else if let l = childLog { files.append(l) }
        var opts = gologOptions
        opts.includeUnknown = true
        for path in files {
            guard var r = try? GoLogReader(path: path, options: opts) else { continue }
            let base = path.split(separator: "/").last.map(String.init) ?? path
            while let e = r.next() {
                guard bytes < maxBytes else { break }
                let msg = redactor.enabled ? redactor.redact(line: e.message) : e.message
                let ref = LogRef(file: e.file, line: e.line)
                total += 1
                if let c = cited[ref] {
                    let text = "log \(base):\(e.line) [\(c.causes.joined(separator: ", "))]: \(msg)"
                    bytes += text.utf8.count * c.frames.count
                    for fr in c.frames { byFrame[fr, default: []].append(text) }
                } else {
                    let text = "log \(base):\(e.line): \(msg)"
                    bytes += text.utf8.count
                    if let ts = e.ts { loose.append((ts + offset, text)) } else { untimed.append(text) }
                }
            }
        }
        loose.sort { $0.ts < $1.ts }
        var i = 0
        var prev: (frame: Int, ts: Timestamp)?
        try? PcapngWriter.timestamps(of: spool) { frame, ts in
            if frame == 1, !untimed.isEmpty { byFrame[1, default: []].append(contentsOf: untimed) }
            while i < loose.count, loose[i].ts <= ts {
                let target: Int
                if let p = prev, (loose[i].ts - p.ts) < (ts - loose[i].ts) { target = p.frame } else { target = frame }
                byFrame[target, default: []].append(loose[i].text)
                i += 1
            }
            prev = (frame, ts)
        }
        if let p = prev { while i < loose.count { byFrame[p.frame, default: []].append(loose[i].text); i += 1 } }
        return (byFrame, total)
    }
}

/// What the preview thread works on: copies taken on the loop's thread.
struct PreviewInput: @unchecked Sendable {
    var pipeline: Pipeline
    var sink: ReplaySink
    var logs: [[LogEvent]]
    var now: Timestamp
    var drops: Int
}

/// Shared between the loop and the preview thread, under `lock`.
final class PreviewState: @unchecked Sendable {
    let lock = NSLock()
    var running = false
    var printed: Set<String> = []
    var printedDNS: Set<Int> = []
    var lines: [String] = []
    var every: Duration = .seconds(1)

    /// Marks a preview as started; false when one is still running.
    func begin() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        if running { return false }
        running = true
        return true
    }
}

struct UncheckedBox<T>: @unchecked Sendable { let value: T; init(_ v: T) { value = v } }

/// Forwards every event to the replay sink and, with -v, makes one line per DNS transaction and HTTP/2 stream.
struct LiveSink: EventSink {
    var inner: ReplaySink
    let verbose: Bool
    /// (time, text, DNS query frame) waiting to be printed.
    var lines: [(Timestamp, String, Int?)] = []
    struct StreamKey: Hashable { var client: Endpoint; var server: Endpoint; var id: UInt32 }
    struct StreamState { var start: Timestamp; var method: String?; var path: String?; var status: Int?; var grpc: Int? }
    var streams: [StreamKey: StreamState] = [:]

    var wantsDNSMessages: Bool { true }
    mutating func dns(_ e: DNSMessageEvent) { inner.dns(e) }
    mutating func dnsTransaction(_ t: DNSTransaction) {
        inner.dnsTransaction(t)
        guard verbose else { return }
        var text = "dns  \(t.qtype) \(t.qname) \(t.client) → \(t.server)/\(t.transport)"
        switch t.outcome {
        case .answered:
            text += ": \(t.rcode.map { "\($0)" } ?? "?"), \(t.answers) answer\(t.answers == 1 ? "" : "s")"
            if let r = t.rtt { text += " in \(r.humanDescription)" }
            if t.late { text += " (late)" }
            if t.truncated { text += " (truncated)" }
        case .icmpError: text += ": \(t.icmp?.name ?? "ICMP error")"
        case .unanswered: text += ": no response" + (t.endedByCapture ? " (capture ended)" : "")
        }
        lines.append((t.queryTS, text, t.queryFrame))
    }
    mutating func icmp(_ e: ICMPErrorEvent) { inner.icmp(e) }
    mutating func neighbor(_ e: NeighborEvent) { inner.neighbor(e) }
    mutating func tcp(_ e: TCPConnectionEvent) { inner.tcp(e) }
    mutating func h2Connection(_ s: HTTP2ConnectionSummary) { inner.h2Connection(s) }
    mutating func tls(_ e: TLSEvent) { inner.tls(e) }
    mutating func h2(_ e: HTTP2FrameEvent) {
        inner.h2(e)
        guard verbose, e.stream != 0 else { return }
        let fromClient = e.direction == .fromInitiator
        let key = StreamKey(client: fromClient ? e.src : e.dst, server: fromClient ? e.dst : e.src, id: e.stream)
        if e.type == .headers && fromClient && streams[key] == nil {
            guard streams.count < 10_000 else { return }
            streams[key] = StreamState(start: e.ts, method: e.method, path: e.path)
        }
        guard var s = streams[key] else { return }
        if !fromClient && e.type == .headers {
            if let st = e.status { s.status = st }
            if let g = e.grpcStatus { s.grpc = g }
        }
        var end: String?
        if e.type == .rstStream { end = "reset by the \(fromClient ? "client" : "server") (\(e.errorCode.map { "\($0)" } ?? "?"))" }
        else if !fromClient && e.endStream { end = s.status.map { "\($0)" } ?? "ended without :status" }
        streams[key] = s
        guard let outcome = end else { return }
        streams[key] = nil
        var text = "h2   \(key.client) → \(key.server) stream \(e.stream) \(s.method ?? "?") \(s.path ?? "?") → \(outcome)"
        if let g = s.grpc { text += ", grpc-status \(g)" }
        text += " in \((e.ts - s.start).humanDescription)"
        lines.append((s.start, text, nil))
    }
}

/// The command run under the capture, as `netcorr run` runs it: GODEBUG merged, stdout and stderr passed
/// through and stamped into the log file (CRI, first line the `# netcorr run` header).
final class ChildRun: @unchecked Sendable {
    struct Failure: Error { var message: String }
    let process = Process()
    let group = DispatchGroup()
    let file: FileHandle

    init(command: [String], logPath: String, showSecrets: Bool, stdoutToStderr: Bool) throws(Failure) {
        var env = ProcessInfo.processInfo.environment
        let godebug = GoLogRun.mergeGODEBUG(env["GODEBUG"])
        env["GODEBUG"] = godebug
        guard FileManager.default.createFile(atPath: logPath, contents: nil),
              let h = FileHandle(forWritingAtPath: logPath) else {
            throw Failure(message: "cannot write \(logPath)")
        }
        file = h
        h.write(Data("\(goLogRunHeader) GODEBUG=\(godebug) command=\(command.joined(separator: " "))\n".utf8))
        let sink = StampSink(file: h, redactor: Redactor(enabled: !showSecrets))
        let o: Pipe, e: Pipe
        do { (o, e) = try process.startPiped(command, environment: env) } catch {
            throw Failure(message: "cannot start \(command[0]): \(error)")
        }
        let outPass = stdoutToStderr ? FileHandle.standardError : FileHandle.standardOutput
        sink.pump(o, stream: "stdout", passTo: outPass, group: group)
        sink.pump(e, stream: "stderr", passTo: FileHandle.standardError, group: group)
    }

    /// The exit status (128+signal when killed); valid once it exited.
    var status: Int32 {
        if process.isRunning { return -1 }
        return process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
    }

    /// Ends the command if it still runs (SIGTERM, then SIGKILL after 2 s) and waits for its output.
    func stop() {
        if process.isRunning {
            process.terminate()
            let until = Date().addingTimeInterval(2)
            while process.isRunning && Date() < until { usleep(20_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        process.waitUntilExit()
        _ = group.wait(timeout: .now() + 5)
        try? file.synchronize()
    }
}
