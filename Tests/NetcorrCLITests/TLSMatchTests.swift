import Foundation
import Testing

/// HTTP/2 inside TLS: netcorr cannot decrypt, but ties the frames the program logged (http2debug=2) to the TLS
/// records that carried them by direction, order and size. The lab saved the session keys (keylog.txt), so
/// tshark can decrypt and say which packet really carried the frame: the oracle.
@Suite struct TLSMatchTests {
    @Test(arguments: ["h2-5xx-tls"])
    func loggedHeadersTiedToTheRecordTsharkDecrypts(_ s: String) throws {
        guard let tshark = CLI.which("tshark") else { return }
        let keys = CLI.capture(s, "keylog.txt")
        guard FileManager.default.fileExists(atPath: keys) else { return }
        let t = try CLI.run(["-r", CLI.capture(s), "-n", "-o", "tls.keylog_file:\(keys)", "-Y", "http2.headers.status >= 500",
                             "-T", "fields", "-e", "frame.number"], binary: tshark)
        let want = try #require(Int(t.stdout.split(separator: "\n").first ?? ""), "tshark found no 5xx: \(t.stderr)")
        let r = try CLI.run(["replay", CLI.capture(s), "--log", CLI.capture(s, "client.log"), "--format", "json"])
        let json = try #require(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let findings = try #require(json["findings"] as? [[String: Any]])
        let f = try #require(findings.first { $0["cause"] as? String == "h2.status-5xx" })
        let packets = (f["evidence"] as? [String: Any])?["packets"] as? [Int] ?? []
        #expect(packets.contains(want), "netcorr cites \(packets), tshark decrypts the 5xx HEADERS in #\(want)")
        let clock = try #require(json["clock"] as? [String: Any])
        #expect(clock["method"] as? String == "pairs")
    }
}
