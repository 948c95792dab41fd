import NetcorrCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Helpers for `netcorr run`: GODEBUG merging and CRI stamping (read back by `GoLogReader` as ts_source "run").
public enum GoLogRun {
    /// The GODEBUG settings `netcorr run` adds.
    public static let debugSettings: [(String, String)] = [("netdns", "go+2"), ("http2debug", "2")]

    /// `existing` with netdns=go+2 and http2debug=2 added; a key the user already set wins.
    public static func mergeGODEBUG(_ existing: String?) -> String {
        var parts = (existing ?? "").split(separator: ",", omittingEmptySubsequences: true).map(String.init)
        let keys = Set(parts.map { $0.split(separator: "=", maxSplits: 1).first.map(String.init) ?? $0 })
        for (k, v) in debugSettings where !keys.contains(k) { parts.append("\(k)=\(v)") }
        return parts.joined(separator: ",")
    }

    /// Now, from the wall clock.
    public static func now() -> Timestamp {
        var t = timespec()
        clock_gettime(CLOCK_REALTIME, &t)
        return Timestamp(seconds: Int64(t.tv_sec), nanoseconds: Int64(t.tv_nsec))
    }

    /// "2026-11-27T11:20:00.123456789Z" (always nine digits).
    public static func rfc3339Nano(_ ts: Timestamp) -> String {
        var secs = ts.nanoseconds / 1_000_000_000
        var nanos = ts.nanoseconds % 1_000_000_000
        if nanos < 0 { nanos += 1_000_000_000; secs -= 1 }
        var days = secs / 86400
        var rem = secs % 86400
        if rem < 0 { rem += 86400; days -= 1 }
        // civil_from_days (Howard Hinnant)
        let z = days + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        func pad(_ v: Int64, _ n: Int) -> String {
            let s = String(v)
            return s.count >= n ? s : String(repeating: "0", count: n - s.count) + s
        }
        return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))T\(pad(rem / 3600, 2)):\(pad(rem / 60 % 60, 2)):\(pad(rem % 60, 2)).\(pad(nanos, 9))Z"
    }

    /// One CRI log line (with its newline): "TIME stdout|stderr F LINE\n".
    public static func criLine(_ ts: Timestamp, stream: String, line: [UInt8]) -> [UInt8] {
        var out = Array("\(rfc3339Nano(ts)) \(stream) F ".utf8)
        out.append(contentsOf: line)
        out.append(10)
        return out
    }
}
