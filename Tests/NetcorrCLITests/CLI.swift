import Foundation
import Testing

/// Runs the built `netcorr` binary (built next to the test bundle; NETCORR_BIN overrides).
enum CLI {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static var binary: String {
        if let b = ProcessInfo.processInfo.environment["NETCORR_BIN"] { return b }
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("netcorr").path
        if FileManager.default.isExecutableFile(atPath: beside) { return beside }
        return repo.appendingPathComponent(".build/debug/netcorr").path
    }

    struct Result { var status: Int32; var stdout: String; var stderr: String }

    static func run(_ args: [String], binary: String = CLI.binary) throws -> Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = args
        let out = Pipe()
        // stderr to a file, stdout read to the end before waiting: a full pipe cannot block the child.
        let errPath = FileManager.default.temporaryDirectory.appendingPathComponent("netcorr-stderr-\(UUID().uuidString)").path
        FileManager.default.createFile(atPath: errPath, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: errPath) }
        let errHandle = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        p.standardOutput = out
        p.standardError = errHandle
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        try errHandle.close()
        let e = FileManager.default.contents(atPath: errPath) ?? Data()
        return Result(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self),
                      stderr: String(decoding: e, as: UTF8.self))
    }

    static func capture(_ scenario: String, _ file: String = "capture.pcap") -> String {
        repo.appendingPathComponent("captures/\(scenario)/\(file)").path
    }

    /// NDJSON lines as dictionaries.
    static func events(_ stdout: String) throws -> [[String: Any]] {
        try stdout.split(separator: "\n").map {
            try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
    }

    static func which(_ tool: String) -> String? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/usr/sbin").split(separator: ":") {
            let p = "\(dir)/\(tool)"
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return nil
    }
}
