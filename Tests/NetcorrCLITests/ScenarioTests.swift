import Foundation
import Testing

/// Every lab scenario (captures/NAME: a real capture, the real program's log, expected.json) is classified
/// right: with the raw log, with the CRI-stamped log, with the log stripped of every timestamp, and without a
/// log where the wire alone shows the failure.
@Suite struct ScenarioTests {
    struct Expected: Decodable {
        struct F: Decodable { var cause: String; var layer: String }
        var scenario: String
        var findings: [F]
        var absent_layers: [String]
        /// false when only the program's log can show the failure (nothing of it is in clear on the wire).
        var wire_shows_it: Bool?
    }

    static let scenarios: [String] = {
        let dir = CLI.repo.appendingPathComponent("captures")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return names.filter { FileManager.default.fileExists(atPath: dir.appendingPathComponent("\($0)/expected.json").path) }.sorted()
    }()

    enum LogVariant: String, CaseIterable { case raw, cri, stripped, none }

    func expected(_ s: String) throws -> Expected {
        try JSONDecoder().decode(Expected.self, from: Data(contentsOf: URL(fileURLWithPath: CLI.capture(s, "expected.json"))))
    }

    /// The raw log with Go's log-package prefix removed from every line.
    func stripped(_ s: String) throws -> String {
        let text = try String(contentsOfFile: CLI.capture(s, "client.log"), encoding: .utf8)
        let re = try NSRegularExpression(pattern: #"^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d(\.\d+)? "#, options: [.anchorsMatchLines])
        let out = re.stringByReplacingMatches(in: text, range: NSRange(text.startIndex..., in: text), withTemplate: "")
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("netcorr-\(s)-stripped-\(getpid()).log").path
        try out.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func findings(_ s: String, _ v: LogVariant) throws -> (status: Int32, found: [(cause: String, layer: String)], clock: [String: Any]) {
        var args = ["replay", CLI.capture(s), "--format", "json"]
        var cleanup: String?
        switch v {
        case .raw: args += ["--log", CLI.capture(s, "client.log")]
        case .cri: args += ["--log", CLI.capture(s, "client.cri.log")]
        case .stripped: let p = try stripped(s); cleanup = p; args += ["--log", p]
        case .none: break
        }
        defer { if let c = cleanup { try? FileManager.default.removeItem(atPath: c) } }
        let r = try CLI.run(args)
        let json = try #require(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], "\(s) \(v): \(r.stderr)")
        let list = try #require(json["findings"] as? [[String: Any]])
        return (r.status, list.map { ($0["cause"] as! String, $0["layer"] as! String) }, json["clock"] as? [String: Any] ?? [:])
    }

    @Test(arguments: scenarios)
    func classifiedRight(_ s: String) throws {
        let exp = try expected(s)
        for v in LogVariant.allCases {
            if v == .none && exp.wire_shows_it == false { continue }
            let (status, found, clock) = try findings(s, v)
            // The lab's log and capture share the host's clock: an estimated offset must be near zero.
            if (v == .raw || v == .cri), clock["method"] as? String == "pairs", let off = clock["offset"] as? Double {
                #expect(abs(off) < 0.05, "\(s) (\(v) log): clock offset \(off) s on one host's clock")
            }
            for f in exp.findings {
                #expect(found.contains { $0.cause == f.cause && $0.layer == f.layer },
                        "\(s) (\(v) log): expected \(f.cause)/\(f.layer), found \(found)")
            }
            for l in exp.absent_layers {
                #expect(!found.contains { $0.layer == l }, "\(s) (\(v) log): no \(l) finding expected, found \(found)")
            }
            if exp.findings.isEmpty {
                #expect(found.isEmpty, "\(s) (\(v) log): a successful run must yield no finding, found \(found)")
                #expect(status == 0)
            } else {
                #expect(status == 1)
            }
        }
    }
}
