import Foundation
import NetcorrCore
@testable import NetcorrGoLog
import Testing

/// LogFollower: a log followed while it grows gives the events GoLogReader gives for the whole file; rotation
/// and truncation are survived.
@Suite struct LogFollowerTests {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func temp() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("netcorr-follow-\(UUID().uuidString).log").path
    }

    func append(_ path: String, _ bytes: ArraySlice<UInt8>) {
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0o644)
        defer { close(fd) }
        bytes.withUnsafeBytes { _ = write(fd, $0.baseAddress, $0.count) }
    }

    @Test(arguments: ["dns-no-response-blackhole/client.cri.log", "dns-no-response-blackhole/client.log",
                      "h2-ok-h2c/client.cri.log", "tcp-refused/client.log"])
    func growingFileEqualsReader(_ name: String) throws {
        let src = Self.repo.appendingPathComponent("captures/\(name)").path
        let data = Array(try #require(FileManager.default.contents(atPath: src)))
        let path = temp()
        defer { unlink(path) }
        var f = LogFollower(path: path, options: GoLogOptions(timeZone: .utc))
        #expect(f.poll().isEmpty)   // not there yet
        var got: [LogEvent] = []
        // Chunks that split lines anywhere.
        var i = 0, step = 1
        while i < data.count {
            let j = min(data.count, i + step)
            append(path, data[i..<j])
            got += f.poll()
            i = j
            step = step * 3 % 97 + 1
        }
        got += f.finish()
        var r = try GoLogReader(path: path, options: GoLogOptions(timeZone: .utc))
        let want = Array(AnyIterator { r.next() })
        #expect(got.count == want.count)
        #expect(got == want)
    }

    @Test func rotationAndTruncation() throws {
        let path = temp()
        defer { unlink(path); unlink(path + ".1") }
        var f = LogFollower(path: path)
        append(path, ArraySlice("2026-11-27T11:00:00.000000000Z stderr F go package net: hostLookupOrder(a.test) = files,dns\n".utf8))
        var got = f.poll()
        // rotated: a line still written to the old file after the rename, then the new file
        rename(path, path + ".1")
        append(path + ".1", ArraySlice("2026-11-27T11:00:01.000000000Z stderr F go package net: hostLookupOrder(b.test) = files,dns\n".utf8))
        append(path, ArraySlice("2026-11-27T11:00:02.000000000Z stderr F go package net: hostLookupOrder(c.test) = files,dns\n".utf8))
        got += f.poll()
        got += f.poll()
        // truncated in place (copytruncate), then a new line
        truncate(path, 0)
        got += f.poll()
        append(path, ArraySlice("2026-11-27T11:00:03.000000000Z stderr F go package net: hostLookupOrder(d.test) = files,dns\n".utf8))
        got += f.poll()
        got += f.finish()
        #expect(got.map { $0.host ?? "" } == ["a.test", "b.test", "c.test", "d.test"])
        #expect(f.rotations == 2)
        #expect(got.map(\.line) == [1, 2, 3, 4])
    }

    @Test func unterminatedLastLineAndHeldLines() {
        let path = temp()
        defer { unlink(path) }
        var f = LogFollower(path: path)
        append(path, ArraySlice("go package net: hostLookupOrder(a.test) = files,dns\n".utf8))
        #expect(f.poll().isEmpty)   // held: no time known yet
        append(path, ArraySlice("go package net: hostLookupOrder(b.test) = files,dns".utf8))
        #expect(f.poll().isEmpty)
        let end = f.finish()
        #expect(end.map { $0.host ?? "" } == ["a.test", "b.test"])
    }
}
