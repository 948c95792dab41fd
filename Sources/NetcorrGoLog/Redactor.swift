import NetcorrCore

/// Hides secrets that http2debug=2 prints verbatim. Everything that prints log content goes through it.
///
/// - Header values of credential-bearing headers become `<redacted N bytes>` (the name is kept):
///   authorization, proxy-authorization, cookie, set-cookie, x-api-key, api-key, x-auth-token, x-csrf-token,
///   and any name containing "token", "secret", "password", "passwd", "key", "auth", "session", "credential"
///   whose value looks like a credential (at least 6 bytes and not a plain number, e.g. "keep-alive: 5"
///   stays).
/// - DATA payloads `data="…"` become `data=<N bytes>` (N: the payload bytes Go printed, unquoted).
/// - In a `LogEvent`: `headerValue`, `frame.data` and `message` are redacted.
/// `enabled = false` (`--show-secrets`) returns everything unchanged.
public struct Redactor: Sendable {
    public var enabled: Bool
    public init(enabled: Bool = true) { self.enabled = enabled }
    public static let off = Redactor(enabled: false)

    static let alwaysSecret: Set<String> = [
        "authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key", "api-key", "x-auth-token",
        "x-csrf-token", "x-xsrf-token", "x-amz-security-token", "x-goog-api-key",
    ]
    static let secretWords = ["token", "secret", "password", "passwd", "key", "auth", "session", "credential"]

    /// Whether a header's value is to be hidden.
    public static func isSecret(headerName: String, value: String) -> Bool {
        if headerName.hasPrefix(":") { return false }   // :authority, :path …
        let n = headerName.lowercased()
        if alwaysSecret.contains(n) { return true }
        guard secretWords.contains(where: { n.contains($0) }) else { return false }
        let v = value.utf8
        if v.count < 6 { return false }
        if v.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) { return false }
        return true
    }

    public func redact(headerName: String, value: String) -> String {
        guard enabled, Redactor.isSecret(headerName: headerName, value: value) else { return value }
        return "<redacted \(value.utf8.count) bytes>"
    }

    public func redact(data: [UInt8]) -> String { "<\(data.count) bytes>" }

    /// A log line's text: `"name" = "value"` header pairs (Transport/server encoding header, decoded hpack
    /// field) and `data="…"`. Other text is left alone.
    public func redact(line: String) -> String {
        guard enabled else { return line }
        let b = Array(line.utf8)
        return b.withUnsafeBufferPointer { p -> String in
            var out: [UInt8] = []
            var i = 0, copied = 0
            var changed = false
            while i < p.count {
                // data="…"
                if p[i] == 0x64, p.hasPrefix(R.data, at: i), i == 0 || p[i - 1] == sp,
                   let (d, end) = goUnquote(p, at: i + 5) {
                    out.append(contentsOf: p.sub(copied, i + 5))
                    out.append(contentsOf: Array(redact(data: d).utf8))
                    copied = end; i = end; changed = true
                    continue
                }
                // "name" = "value"
                if p[i] == quote, let (name, afterName) = goUnquote(p, at: i), p.hasPrefix(R.eq, at: afterName),
                   let (value, afterValue) = goUnquote(p, at: afterName + 3) {
                    let n = lenientString(name), v = lenientString(value)
                    if Redactor.isSecret(headerName: n, value: v) {
                        out.append(contentsOf: p.sub(copied, afterName + 3))
                        out.append(contentsOf: Array("<redacted \(value.count) bytes>".utf8))
                        copied = afterValue; changed = true
                    }
                    i = afterValue
                    continue
                }
                i += 1
            }
            guard changed else { return line }
            out.append(contentsOf: p.from(copied))
            return String(decoding: out, as: UTF8.self)
        }
    }

    public func redact(_ e: LogEvent) -> LogEvent {
        guard enabled else { return e }
        var e = e
        if let n = e.headerName, let v = e.headerValue { e.headerValue = redact(headerName: n, value: v) }
        if e.frame?.data != nil { e.frame?.data = nil }
        e.message = redact(line: e.message)
        if let t = e.errorText { e.errorText = redact(line: t) }
        return e
    }
}

enum R {
    static let data: StaticString = "data=", eq: StaticString = " = "
}
