import ArgumentParser
import NetcorrCore
import NetcorrGoLog

/// The Go program's logs, shared by replay and capture.
struct LogOptions: ParsableArguments {
    @Option(name: .customLong("log"), help: "A log of the Go program (GODEBUG=netdns=go+2,http2debug=2 output, any timestamp prefix or none); repeatable.")
    var files: [String] = []

    @Option(name: .customLong("log-tz"), help: "Time zone of Go log-package timestamps: 'local' (the machine's, default), 'UTC', '+02:00', or a zone name.")
    var timeZone: String?

    func openReaders() throws -> [GoLogReader] {
        let options = try goLogOptions()
        var readers: [GoLogReader] = []
        for f in files {
            do { readers.append(try GoLogReader(path: f, options: options)) } catch {
                Output.error("\(error)")
                throw ExitCode(2)
            }
        }
        return readers
    }

    /// Streams every recognised event of every log, redacted unless asked not to.
    func read(_ readers: inout [GoLogReader], redact: Bool, _ body: (LogEvent) -> Void) {
        let redactor = Redactor(enabled: redact)
        for i in readers.indices {
            while let e = readers[i].next() { body(redact ? redactor.redact(e) : e) }
            if let err = readers[i].error { Output.error("\(readers[i].path): \(err)") }
        }
    }
}

enum ReportFormat: String, ExpressibleByArgument, CaseIterable { case text, json }

struct ReportOptions: ParsableArguments {
    @Option(help: "Report format: text (default) or json.")
    var format: ReportFormat = .text

    @Flag(name: .customLong("show-secrets"), help: "Print credential-bearing header values and DATA payloads as they are.")
    var showSecrets = false

    @Flag(name: .customLong("no-color"), help: "No colour, even on a terminal.")
    var noColor = false

    @Option(help: "Also write the report as one self-contained HTML page (findings and a timeline) to this file.")
    var html: String?

    var colour: Bool { !noColor && Output.stdoutIsTerminal }
}
