import Foundation
import Testing

/// `netcorr replay … --html FILE` on real lab captures: the page is self-contained, and rendered by headless
/// Chromium (Debian's chromium package; scripts/setup --all installs it) its DOM shows the findings with their
/// layer, a lane per flow and the log's ticks, with no console error. A screenshot per scenario is kept in
/// .build/test-artifacts/html/.
@Suite(.serialized) struct HTMLReportTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var scenario: String
        /// Lane kinds that must be drawn (at least one lane each).
        var lanes: [String]
        var testDescription: String { scenario }
    }

    static let cases: [Case] = [
        Case(scenario: "dns-no-response-blackhole", lanes: ["dns", "log"]),
        Case(scenario: "h2-goaway", lanes: ["dns", "tcp", "h2s", "log"]),
        Case(scenario: "tcp-refused", lanes: ["dns", "tcp", "log"]),
        Case(scenario: "h2-flow-control-stall", lanes: ["dns", "tcp", "h2s", "log"]),
        Case(scenario: "dns-ok", lanes: ["dns", "tcp", "h2s", "log"]),
    ]

    static let chromium: String? = CLI.which("chromium") ?? CLI.which("chromium-browser")
    static let artifacts = CLI.repo.appendingPathComponent(".build/test-artifacts/html")

    struct Expected: Decodable {
        struct F: Decodable { var cause: String; var layer: String }
        var findings: [F]
    }

    func tmp(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("netcorr-html-\(getpid())-\(name)").path
    }

    /// Runs replay with --html and returns the page.
    func render(_ s: String, log: String? = nil) throws -> (path: String, html: String) {
        let out = tmp("\(s).html")
        let r = try CLI.run(["replay", CLI.capture(s), "--log", log ?? CLI.capture(s, "client.log"), "--html", out])
        #expect(r.status == 0 || r.status == 1, "\(s): \(r.stderr)")
        let html = try String(contentsOfFile: out, encoding: .utf8)
        return (out, html)
    }

    func matches(_ pattern: String, _ text: String) throws -> [[String]] {
        let re = try NSRegularExpression(pattern: pattern)
        return re.matches(in: text, range: NSRange(text.startIndex..., in: text)).map { m in
            (0..<m.numberOfRanges).map { i in Range(m.range(at: i), in: text).map { String(text[$0]) } ?? "" }
        }
    }

    @Test(arguments: cases)
    func selfContainedAndSmall(_ c: Case) throws {
        let (path, html) = try render(c.scenario)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(html.utf8.count < 400_000, "\(c.scenario): \(html.utf8.count) bytes")
        // Nothing is fetched: no external src/href, stylesheet, import or request API, and a CSP that forbids it.
        for bad in [#"(?i)(src|href)\s*=\s*["']?\s*(https?:|//)"#, #"(?i)<link\b"#, #"(?i)@import"#, #"(?i)url\(\s*["']?\s*(https?:|//)"#,
                    #"\bfetch\("#, "XMLHttpRequest", "WebSocket", "EventSource", "sendBeacon"] {
            #expect(try matches(bad, html).isEmpty, "\(c.scenario): the page must not load anything (\(bad))")
        }
        #expect(html.contains("Content-Security-Policy\" content=\"default-src 'none'"))
        // Three script elements: the error catcher, the data, the renderer.
        #expect(try matches("<script[ >]", html).count == 3)
    }

    /// A log line that tries to close the data's script element stays text.
    @Test func logLineCannotBreakOutOfTheScript() throws {
        let log = tmp("inject.log")
        let lines = try String(contentsOfFile: CLI.capture("tcp-refused", "client.log"), encoding: .utf8)
            + "2026/11/27 11:33:11.823915 GET http://x/</script><script>document.body.dataset.pwned=1</script><!--: dial tcp 10.77.0.80:8080: connect: connection refused\n"
        try lines.write(toFile: log, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: log) }
        let (path, html) = try render("tcp-refused", log: log)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(!html.contains("</script><script>document.body.dataset.pwned"))
        #expect(html.contains(#"<\/script><script>document.body.dataset.pwned=1<\/script><\u0021--"#))
        #expect(try matches("</script>", html).count == 3)
        if let chromium = Self.chromium {
            let dom = try dumpDOM(chromium, path, name: "inject")
            #expect(dom.errors.isEmpty, "\(dom.errors)")
            #expect(!dom.html.contains("data-pwned"), "the log line ran as script")
            #expect(try matches(#"data-rendered="[1-9]"#, dom.html).count == 1)
        }
    }

    struct DOM { var html: String; var errors: [String] }

    /// The DOM after the page's script ran, and the console errors.
    func dumpDOM(_ chromium: String, _ page: String, name: String, fragment: String = "") throws -> DOM {
        let profile = tmp("profile-\(name)")
        defer { try? FileManager.default.removeItem(atPath: profile) }
        let r = try CLI.run(["--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=\(profile)", "--enable-logging=stderr", "--v=0",
                             "--dump-dom", "file://\(page)\(fragment)"], binary: chromium)
        let console = r.stderr.split(separator: "\n").filter { $0.contains(":CONSOLE") }.map(String.init)
        var errors = console
        if let m = try matches(#"<pre id="errors">([^<]*)</pre>"#, r.stdout).first, !m[1].isEmpty { errors.append(m[1]) }
        return DOM(html: r.stdout, errors: errors)
    }

    @Test(.enabled(if: chromium != nil, "chromium is not installed (scripts/setup --all installs it): the page was not rendered"),
          arguments: cases)
    func rendersInChromium(_ c: Case) throws {
        let chromium = try #require(Self.chromium)
        let exp = try JSONDecoder().decode(Expected.self, from: Data(contentsOf: URL(fileURLWithPath: CLI.capture(c.scenario, "expected.json"))))
        let (path, _) = try render(c.scenario)
        defer { try? FileManager.default.removeItem(atPath: path) }
        // The first finding chosen (as a click does): its detail shown, its evidence highlighted.
        let fragment = exp.findings.isEmpty ? "" : "#f=0"
        let dom = try dumpDOM(chromium, path, name: c.scenario, fragment: fragment)
        #expect(dom.errors.isEmpty, "\(c.scenario): \(dom.errors)")
        let html = dom.html
        #expect(try matches(#"<body data-rendered="[1-9][0-9]*""#, html).count == 1, "\(c.scenario): the timeline was not drawn")

        // Findings: one list item per finding, with its cause and layer class.
        let found = try matches(#"<li class="finding layer-(network|service|local)[^"]*" data-cause="([^"]+)" data-layer="([a-z]+)""#, html)
            .map { (layer: $0[1], cause: $0[2], dataLayer: $0[3]) }
        for f in exp.findings {
            #expect(found.contains { $0.cause == f.cause && $0.layer == f.layer && $0.dataLayer == f.layer },
                    "\(c.scenario): expected finding \(f.cause)/\(f.layer) on the page, found \(found)")
        }
        if exp.findings.isEmpty {
            #expect(found.isEmpty)
            #expect(html.contains("No failures found."))
        } else {
            #expect(html.contains("finding layer-\(exp.findings[0].layer) selected") || found.count > 1)
            #expect(try matches(#"<div id="detail" class="layer-[a-z]+"><h3>"#, html).count == 1, "\(c.scenario): the chosen finding's detail")
            #expect(try matches(#"<g class="m k-[a-z0-9]+ hl""#, html).count > 0, "\(c.scenario): the chosen finding's evidence is highlighted")
        }

        // Lanes: one per flow, and the log's ticks.
        let lanes = try matches(#"<g class="lane k-([a-z0-9]+)[^"]*" data-kind="([a-z0-9]+)""#, html).map { $0[2] }
        for k in c.lanes {
            #expect(lanes.contains(k), "\(c.scenario): no \(k) lane (lanes: \(lanes))")
        }
        #expect(try matches(#"<g class="m k-log"#, html).count > 0, "\(c.scenario): no log tick")
        #expect(try matches(#"<g class="m k-dnsq"#, html).count > 0, "\(c.scenario): no DNS query drawn")
        if c.lanes.contains("h2s") { #expect(try matches(#"<g class="m k-h2req"#, html).count > 0, "\(c.scenario): no HTTP/2 request span") }
        if c.lanes.contains("tcp") { #expect(try matches(#"<g class="m k-(syn|conn)"#, html).count > 0, "\(c.scenario): no TCP handshake") }

        // A screenshot per scenario, kept as a test artifact.
        try FileManager.default.createDirectory(at: Self.artifacts, withIntermediateDirectories: true)
        let png = Self.artifacts.appendingPathComponent("\(c.scenario).png").path
        try? FileManager.default.removeItem(atPath: png)
        let profile = tmp("profile-shot-\(c.scenario)")
        defer { try? FileManager.default.removeItem(atPath: profile) }
        let shot = try CLI.run(["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--user-data-dir=\(profile)",
                                "--window-size=1400,900", "--screenshot=\(png)", "file://\(path)\(fragment)"], binary: chromium)
        let size = (try? FileManager.default.attributesOfItem(atPath: png)[.size] as? Int) ?? 0
        #expect(size > 10_000, "\(c.scenario): no screenshot (\(shot.stderr.suffix(400)))")
        // Keep the page next to it.
        try? FileManager.default.removeItem(atPath: Self.artifacts.appendingPathComponent("\(c.scenario).html").path)
        try? FileManager.default.copyItem(atPath: path, toPath: Self.artifacts.appendingPathComponent("\(c.scenario).html").path)
    }
}
