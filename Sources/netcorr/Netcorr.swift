import ArgumentParser

@main
struct Netcorr: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "netcorr",
        abstract: "Is it the network or the service? Packets and a Go program's own logs, joined.",
        version: "0.1.0",
        subcommands: [ReplayCommand.self, RunCommand.self, CaptureCommand.self],
        defaultSubcommand: nil
    )
}
