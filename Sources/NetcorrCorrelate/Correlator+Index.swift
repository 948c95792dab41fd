import NetcorrCore

/// Lookups built once per run so that rules cost O(n log n) in the evidence, not O(n²): a capture with
/// thousands of connections and log lines must still be analysed in seconds.
struct EvidenceIndex {
    var tcpByKey: [FlowKey: Int] = [:]
    var tcpResponders: Set<Endpoint> = []
    var h2ByKey: [FlowKey: Int] = [:]
    var framers: [UInt64: FlowKey] = [:]
    var framersByConn: [FlowKey: [UInt64]] = [:]
    var retried: Set<Int> = []
    var txnsByClient: [Endpoint: [Int]] = [:]
    var truncatedClients: Set<IPAddress> = []
    var responsesByClient: [Endpoint: [Int]] = [:]
    var logsByLocal: [Endpoint: [Int]] = [:]
    var logsByHost: [String: [Int]] = [:]
    var logsByRemote: [Endpoint: [Int]] = [:]
    var logsByConnID: [UInt64: [Int]] = [:]
    /// Error or connection lines that name no endpoint (matched to connections by time).
    var anonymousErrorLogs: [Int] = []
    /// Each Framer's frame lines in log order (first line first in `framerOrder`), and the server its connection
    /// was created to: the "Transport creating client conn 0x… to IP:PORT" line just before its first line.
    var framerLines: [UInt64: [LogEvent]] = [:]
    var framerOrder: [UInt64] = []
    var framerRemote: [UInt64: Endpoint] = [:]

    init() {}

    init(_ ev: Evidence) {
        for (i, c) in ev.tcp.enumerated() {
            tcpByKey[FlowKey(c.initiator, c.responder, .tcp)] = i
            tcpResponders.insert(c.responder)
        }
        for (i, s) in ev.h2.enumerated() { h2ByKey[FlowKey(s.client, s.server, .tcp)] = i }
        // Transactions by local endpoint are read only for ports that a DNS error line of the log names
        // (notSentRules): an array per query port of the whole capture was most of this index's memory.
        let named = Set(ev.logs.compactMap { e in e.errorKind.map { $0.rawValue.hasPrefix("dns.") } == true ? e.local : nil })
        for (i, t) in ev.transactions.enumerated() {
            if let r = t.retryOf { retried.insert(r) }
            if named.contains(t.client) { txnsByClient[t.client, default: []].append(i) }
            if t.truncated { truncatedClients.insert(t.client.address) }
        }
        for (i, r) in ev.responses.enumerated() { responsesByClient[r.client, default: []].append(i) }
        var pendingRemote: Endpoint?
        for e in ev.logs {
            if e.kind == .h2ConnNew { pendingRemote = e.remote; continue }
            guard e.kind == .h2Frame, let id = e.connID, e.frame != nil, e.direction != nil else { continue }
            if framerLines[id] == nil {
                framerOrder.append(id)
                if let p = pendingRemote { framerRemote[id] = p; pendingRemote = nil }
            }
            framerLines[id, default: []].append(e)
        }
        for (i, e) in ev.logs.enumerated() {
            if let l = e.local { logsByLocal[l, default: []].append(i) }
            if let h = e.host { logsByHost[h.lowercased(), default: []].append(i) }
            if let r = e.remote { logsByRemote[r, default: []].append(i) }
            if let id = e.connID { logsByConnID[id, default: []].append(i) }
            if e.local == nil && e.remote == nil && (e.errorKind != nil || e.kind != .h2Frame && e.kind.rawValue.hasPrefix("h2.")) {
                anonymousErrorLogs.append(i)
            }
        }
    }

    func tcp(_ ev: Evidence, _ client: Endpoint, _ server: Endpoint) -> TCPConnectionEvent? {
        tcpByKey[FlowKey(client, server, .tcp)].map { ev.tcp[$0] }
    }
}
