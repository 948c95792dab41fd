import NetcorrCore

/// HTTP/2 inside TLS: the frames are encrypted, but http2debug=2 prints each one the program wrote or read.
/// Go flushes its frames in batches, each batch one TLS record: a record's plaintext length is the sum of its
/// frames' sizes (9-byte header + payload; the client preface first), and its ciphertext adds a fixed overhead
/// (TLS 1.3 AEAD: 16-byte tag + 1 content-type byte; TLS 1.2 GCM: 8-byte explicit nonce + 16-byte tag). Matching
/// logged frames to application-data records by direction, order and size gives frame-level timing on encrypted
/// connections: packet numbers for logged frames, and pairs for the clock.
extension Correlator {
    struct TLSFrameMatch {
        /// Log line → the packet (TLS record) that carried the frame.
        var recordOf: [LogRef: (frame: Int, ts: Timestamp)] = [:]
        var pairs: [(log: Timestamp, wire: Timestamp)] = []
    }

    func tlsFrameMatches() -> TLSFrameMatch {
        var out = TLSFrameMatch()
        guard !evidence.tls.isEmpty else { return out }
        var used: Set<Int> = []
        for id in ix.framerOrder {
            guard let r = ix.framerRemote[id] else { continue }
            let ls = ix.framerLines[id, default: []].prefix(4096)
            // The TLS connections to that server, in order; the first not yet used.
            guard let ti = evidence.tls.indices.first(where: { evidence.tls[$0].server == r && !used.contains($0) }) else { continue }
            used.insert(ti)
            let t = evidence.tls[ti]
            let server = ls.first?.role == .server
            for d in [FlowDirection.fromInitiator, .fromResponder] {
                let frames = ls.filter { ($0.direction == .wrote) != server ? d == .fromInitiator : d == .fromResponder }
                let records = t.stats[Int(d.rawValue)].applicationData
                let preface = d == .fromInitiator && !server ? 24 : 0
                for overhead in [17, 24, 16] {
                    let m = matchRecords(frames, records, overhead: overhead, preface: preface)
                    if m.count >= min(2, frames.count) && !m.isEmpty {
                        for (e, rec) in m {
                            out.recordOf[LogRef(file: e.file, line: e.line)] = (rec.frame, rec.ts)
                            if let ts = e.ts { out.pairs.append((ts, rec.ts)) }
                        }
                        break
                    }
                }
            }
        }
        return out
    }

    /// Walks the records in order; a record whose plaintext length equals the sizes of the next logged frames
    /// (one or more) carries them; other records (the encrypted handshake, session tickets) are skipped.
    func matchRecords(_ frames: [LogEvent], _ records: [TLSRecordSize], overhead: Int, preface: Int) -> [(LogEvent, TLSRecordSize)] {
        var out: [(LogEvent, TLSRecordSize)] = []
        var i = 0
        var extra = preface
        for rec in records {
            guard i < frames.count else { break }
            let want = rec.length - overhead
            var sum = extra, j = i
            while j < frames.count && sum < want {
                sum += 9 + (frames[j].frame?.length ?? 0)
                j += 1
                if j - i > 64 { break }
            }
            if sum == want && j > i {
                for k in i..<j { out.append((frames[k], rec)) }
                i = j
                extra = 0
            }
        }
        return out
    }
}
