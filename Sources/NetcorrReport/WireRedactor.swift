import NetcorrCore

/// Redaction of what the wire shows in clear (h2c headers): credential-bearing header values keep their name
/// and length only, and query parameters that look like credentials in a path are hidden. `--show-secrets`
/// turns it off.
public struct WireRedactor: Sendable {
    public var enabled = true
    public init(enabled: Bool = true) { self.enabled = enabled }

    static let secretHeaders: Set<String> = [
        "authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key", "api-key", "x-auth-token",
        "x-csrf-token", "x-amz-security-token",
    ]
    static let secretWords = ["token", "secret", "password", "passwd", "apikey", "api_key", "api-key", "session", "signature"]

    public static func isSecret(_ name: String) -> Bool {
        let n = name.lowercased()
        if n.hasPrefix(":") { return false }
        return secretHeaders.contains(n) || secretWords.contains { n.contains($0) }
    }

    public func header(_ name: String, _ value: String) -> String {
        guard enabled, Self.isSecret(name) else { return value }
        return "<redacted \(value.utf8.count) bytes>"
    }

    /// "/x?token=abc&a=1" → "/x?token=<redacted 3 bytes>&a=1".
    public func path(_ p: String) -> String {
        guard enabled, let q = p.firstIndex(of: "?") else { return p }
        let params = p[p.index(after: q)...].split(separator: "&", omittingEmptySubsequences: false).map { kv -> String in
            guard let eq = kv.firstIndex(of: "=") else { return String(kv) }
            let k = kv[..<eq], v = kv[kv.index(after: eq)...]
            return Self.isSecret(String(k)) ? "\(k)=<redacted \(v.utf8.count) bytes>" : String(kv)
        }
        return String(p[...q]) + params.joined(separator: "&")
    }
}
