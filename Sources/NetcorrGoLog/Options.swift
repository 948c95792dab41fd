import NetcorrCore
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The zone Go's log package printed its "2006/01/02 15:04:05" prefix in (the program's local zone).
public enum GoLogTimeZone: Hashable, Sendable {
    case utc
    /// Seconds east of UTC.
    case fixed(Int)
    /// An IANA name ("Europe/Berlin"); DST is honoured (offset looked up once per local hour).
    case named(String)
    /// The zone of the machine running netcorr.
    case machine

    /// "UTC", "Z", "+05:30", "-0800", "local", or an IANA name. Nil for an unknown name.
    public init?(argument s: String) {
        if s == "UTC" || s == "utc" || s == "Z" || s == "GMT" { self = .utc; return }
        if s == "local" || s == "machine" { self = .machine; return }
        let b = Array(s.utf8)
        if let f = b.withUnsafeBufferPointer({ p -> Int? in
            guard let (off, end) = parseZone(p, 0), end == p.count else { return nil }
            return off
        }) { self = .fixed(f); return }
        guard TimeZone(identifier: s) != nil else { return nil }
        self = .named(s)
    }
}

public struct GoLogOptions: Sendable {
    public var timeZone: GoLogTimeZone
    /// Longest line kept; the rest of a longer line is skipped and the line counted as oversized.
    public var maxLineBytes: Int
    /// Emit events of kind `unknown` too (default: count them only).
    public var includeUnknown: Bool
    /// Treat CRI prefixes as `netcorr run` stamps (ts_source "run"). Nil: decide from the file's first line
    /// ("# netcorr run …" header that `netcorr run` writes).
    public var stampedByRun: Bool?
    /// Lines without a time are held until the first stamped line at most this many lines.
    public var maxHeldLines: Int

    public init(timeZone: GoLogTimeZone = .machine, maxLineBytes: Int = 64 * 1024, includeUnknown: Bool = false,
                stampedByRun: Bool? = nil, maxHeldLines: Int = 10_000) {
        self.timeZone = timeZone; self.maxLineBytes = max(256, maxLineBytes); self.includeUnknown = includeUnknown
        self.stampedByRun = stampedByRun; self.maxHeldLines = max(0, maxHeldLines)
    }
}

public enum GoLogError: Error, Hashable, Sendable, CustomStringConvertible {
    case cannotOpen(path: String, errno: Int32)
    case readFailed(path: String, errno: Int32)
    public var description: String {
        switch self {
        case .cannotOpen(let p, let e): "cannot open \(p): \(errnoText(e))"
        case .readFailed(let p, let e): "cannot read \(p): \(errnoText(e))"
        }
    }
}

func errnoText(_ e: Int32) -> String {
    switch e {
    case 2: "no such file or directory"
    case 13: "permission denied"
    case 21: "is a directory"
    default: "errno \(e)"
    }
}

public struct GoLogStats: Hashable, Sendable {
    public var bytes: Int = 0
    public var lines: Int = 0
    /// Events handed out (recognised lines; plus unknown ones when `includeUnknown`).
    public var events: Int = 0
    public var unknownLines: Int = 0
    public var emptyLines: Int = 0
    /// Lines longer than `maxLineBytes` (only the first `maxLineBytes` were looked at).
    public var oversizedLines: Int = 0
    /// Lines that were not valid UTF-8 (or held NUL bytes): parsed anyway, text decoded leniently.
    public var invalidUTF8Lines: Int = 0
    /// CRI "P" fragments joined into a following line.
    public var partialFragments: Int = 0
    public var timestamped: Int = 0
    public var interpolated: Int = 0
    public var untimed: Int = 0
    public var kinds: [LogEventKind: Int] = [:]
    public var errorKinds: [GoErrorKind: Int] = [:]
    public init() {}
}

/// Offset of a zone for a local wall-clock time, looked up once per local hour.
struct ZoneCache: Sendable {
    let zone: GoLogTimeZone
    private var hourKey: Int64 = .min
    private var cached: Int = 0
    private let tz: TimeZone?

    init(_ zone: GoLogTimeZone) {
        self.zone = zone
        switch zone {
        case .utc, .fixed: tz = nil
        case .named(let n): tz = TimeZone(identifier: n)
        case .machine: tz = TimeZone.current
        }
    }

    /// Seconds east of UTC in effect at the local time `local` (seconds since epoch as if it were UTC).
    mutating func offset(forLocalSeconds local: Int64) -> Int {
        switch zone {
        case .utc: return 0
        case .fixed(let o): return o
        default:
            let key = local / 3600
            if key == hourKey { return cached }
            guard let tz else { return 0 }
            // Two steps: guess with the offset at `local` read as UTC, then re-check at the corrected instant.
            let guess = tz.secondsFromGMT(for: Date(timeIntervalSince1970: Double(local)))
            let off = tz.secondsFromGMT(for: Date(timeIntervalSince1970: Double(local - Int64(guess))))
            hourKey = key; cached = off
            return off
        }
    }
}
