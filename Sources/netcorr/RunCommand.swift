import ArgumentParser

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a Go program with netdns=go+2,http2debug=2 and keep its stamped log."
    )
    @Argument(parsing: .postTerminator) var command: [String] = []
    func run() throws { throw ExitCode(2) }
}
