import ArgumentParser
import Foundation
import NetcorrCore
import NetcorrGoLog

/// `netcorr run [--log-out FILE] [--show-secrets] -- COMMAND [ARGS...]`
///
/// Starts COMMAND with netdns=go+2,http2debug=2 merged into GODEBUG, passes its stdout and stderr through
/// unchanged, stamps each line with the wall clock as it arrives (CRI: "TIME stdout|stderr F LINE") into
/// FILE (first line "# netcorr run …", so the reader reports ts_source "run"), and exits with the child's
/// status (128+signal when killed). Header values and DATA payloads are redacted in FILE unless
/// --show-secrets.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a Go program with GODEBUG=netdns=go+2,http2debug=2 and keep its time-stamped log."
    )

    @Option(name: .customLong("log-out"), help: "Write the stamped log (CRI format) here.")
    var logOut: String?

    @Flag(name: .customLong("show-secrets"), help: "Do not redact header values and DATA payloads in the log file.")
    var showSecrets = false

    @Argument(parsing: .postTerminator, help: "The command to run, after --.")
    var command: [String] = []

    func validate() throws {
        if command.isEmpty { throw ValidationError("give the command to run after --") }
    }

    func run() throws {
        var env = ProcessInfo.processInfo.environment
        let godebug = GoLogRun.mergeGODEBUG(env["GODEBUG"])
        env["GODEBUG"] = godebug

        var out: FileHandle?
        if let logOut {
            guard FileManager.default.createFile(atPath: logOut, contents: nil),
                  let h = FileHandle(forWritingAtPath: logOut) else {
                FileHandle.standardError.write(Data("netcorr run: cannot write \(logOut)\n".utf8))
                throw ExitCode(2)
            }
            out = h
            let header = "\(goLogRunHeader) GODEBUG=\(godebug) command=\(command.joined(separator: " "))\n"
            h.write(Data(header.utf8))
        }
        let sink = StampSink(file: out, redactor: Redactor(enabled: !showSecrets))

        let p = Process()
        let o: Pipe, e: Pipe
        do { (o, e) = try p.startPiped(command, environment: env) } catch {
            FileHandle.standardError.write(Data("netcorr run: cannot start \(command[0]): \(error)\n".utf8))
            throw ExitCode(127)
        }
        let group = DispatchGroup()
        sink.pump(o, stream: "stdout", passTo: FileHandle.standardOutput, group: group)
        sink.pump(e, stream: "stderr", passTo: FileHandle.standardError, group: group)
        p.waitUntilExit()
        group.wait()
        try? out?.close()
        let status = p.terminationReason == .uncaughtSignal ? 128 + p.terminationStatus : p.terminationStatus
        throw ExitCode(status)
    }
}

/// Serialises stamped lines from the two reading threads into the log file.
extension Process {
    /// Starts `command` through /usr/bin/env with `environment`, stdin inherited, stdout and stderr into pipes
    /// (for `StampSink.pump`): the one launch of `run` and `capture -- CMD`.
    func startPiped(_ command: [String], environment: [String: String]) throws -> (out: Pipe, err: Pipe) {
        executableURL = URL(fileURLWithPath: "/usr/bin/env")
        arguments = command
        self.environment = environment
        let o = Pipe(), e = Pipe()
        standardOutput = o
        standardError = e
        standardInput = FileHandle.standardInput
        try run()
        return (o, e)
    }
}

final class StampSink: @unchecked Sendable {
    private let file: FileHandle?
    private let redactor: Redactor
    private let lock = NSLock()
    /// Longest line kept whole in the file; longer ones are cut (the reader caps at 64 KiB anyway).
    private let maxLine = 1 << 20

    init(file: FileHandle?, redactor: Redactor) { self.file = file; self.redactor = redactor }

    /// On its own thread: copies the child's `pipe` to `pass` unchanged and stamps each line into the log, until
    /// the child closes it; then leaves `group`.
    func pump(_ pipe: Pipe, stream: String, passTo pass: FileHandle, group: DispatchGroup) {
        group.enter()
        Thread.detachNewThread {
            let reader = pipe.fileHandleForReading
            var pending: [UInt8] = []
            while true {
                let d = reader.availableData
                if d.isEmpty { break }
                pass.write(d)
                self.lines(from: d, pending: &pending, stream: stream)
            }
            if !pending.isEmpty { self.stamp(pending, stream: stream) }
            group.leave()
        }
    }

    func lines(from d: Data, pending: inout [UInt8], stream: String) {
        guard file != nil else { return }
        var start = d.startIndex
        while let nl = d[start...].firstIndex(of: 10) {
            if pending.isEmpty {
                stamp(Array(d[start..<nl]), stream: stream)
            } else {
                pending.append(contentsOf: d[start..<nl])
                stamp(pending, stream: stream)
                pending.removeAll(keepingCapacity: true)
            }
            start = nl + 1
        }
        if start < d.endIndex, pending.count < maxLine { pending.append(contentsOf: d[start...].prefix(maxLine - pending.count)) }
    }

    func stamp(_ line: [UInt8], stream: String) {
        guard let file else { return }
        var l = line
        if l.last == 13 { l.removeLast() }
        if l.count > maxLine { l = Array(l.prefix(maxLine)) }
        if redactor.enabled, let s = String(validating: l, as: UTF8.self) { l = Array(redactor.redact(line: s).utf8) }
        let bytes = GoLogRun.criLine(GoLogRun.now(), stream: stream, line: l)
        lock.lock()
        file.write(Data(bytes))
        lock.unlock()
    }
}
