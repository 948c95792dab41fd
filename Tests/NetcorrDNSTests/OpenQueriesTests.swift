import Testing
import NetcorrCore
@testable import NetcorrDNS

/// The tracker's own tables against plain arrays: slab numbers reused, keys chained, buckets grown and shifted
/// back on removal.
@Suite struct OpenQueriesTests {
    static let server = Endpoint(IPAddress("10.0.0.10")!, 53)
    static let noQuestion = DNSTransactionTracker.Questions.Ref(index: 0, generation: 0)

    static func query(port: UInt16, id: UInt16, name: String, frame: Int) -> DNSTransaction {
        DNSTransaction(client: Endpoint(IPAddress("10.0.0.2")!, port), server: server, transport: .udp, id: id, qname: name,
                       qtype: .a, queryFrame: frame, queryTS: .init(nanoseconds: Int64(frame)))
    }

    /// Random inserts and removals (by key and name, by reference, oldest by client port) over few keys (long
    /// chains) and many (growth, probe runs), checked against a list in query order.
    @Test(arguments: [(4, 3), (400, 50)])
    func matchesAListModel(ports: Int, ids: Int) {
        var x: UInt64 = 0x2545_f491_4f6c_dd1d
        func next(_ n: Int) -> Int { x ^= x << 13; x ^= x >> 7; x ^= x << 17; return Int(x % UInt64(n)) }
        var open = OpenQueries()
        var model: [(frame: Int, port: UInt16, id: UInt16, name: String, ref: OpenQueries.Ref)] = []
        var stale: [OpenQueries.Ref] = []
        let names = ["a.test", "b.test", "c.test"]
        for frame in 0..<6000 {
            let op = next(10)
            if op < 5 || model.isEmpty {
                let (port, id, name) = (UInt16(next(ports)), UInt16(next(ids)), names[next(names.count)])
                let r = open.insert(Self.query(port: port, id: id, name: name, frame: frame), serial: frame,
                                    question: Self.noQuestion)
                model.append((frame, port, id, name, r))
            } else if op < 8 {
                let (port, id, name) = (UInt16(next(ports)), UInt16(next(ids)), names[next(names.count)])
                let got = open.removeFirst(client: Endpoint(IPAddress("10.0.0.2")!, port), server: Self.server, transport: .udp,
                                           id: id, where: { $0.qname == name })
                let want = model.firstIndex { $0.port == port && $0.id == id && $0.name == name }
                #expect(got?.t.queryFrame == want.map { model[$0].frame })
                if let w = want { stale.append(model.remove(at: w).ref) }
            } else if op < 9 {
                let w = next(model.count)
                #expect(open.remove(model[w].ref)?.t.queryFrame == model[w].frame)
                stale.append(model.remove(at: w).ref)
            } else {
                let port = UInt16(next(ports))
                let r = open.oldest { $0.client.port == port }
                let want = model.first { $0.port == port }
                #expect(r.flatMap { open.remove($0)?.t.queryFrame } == want.map { $0.frame })
                if let r { stale.append(r); model.removeAll { $0.frame == want?.frame } }
            }
        }
        #expect(open.count == model.count)
        #expect(model.allSatisfy { open.isOpen($0.ref) })
        // A number reused holds another query: a reference to the one before matches nothing.
        #expect(!stale.contains { open.isOpen($0) } && stale.allSatisfy { open.remove($0) == nil })
        for m in model { #expect(open.remove(m.ref)?.t.queryFrame == m.frame) }
        #expect(open.count == 0)
    }

    /// A query's question entry, gone and its number taken by another question: the hint no longer matches and
    /// the question is looked up by its key.
    @Test func questionHintOutlivedFallsBackToTheKey() {
        var q = DNSTransactionTracker.Questions()
        let t1 = Self.query(port: 1, id: 1, name: "one.test", frame: 1), t2 = Self.query(port: 2, id: 2, name: "two.test", frame: 2)
        let r1 = q.entry(.init(t1))
        #expect(q.find(t1, hint: r1) == Int(r1.index))
        q.remove(Int(r1.index))
        let r2 = q.entry(.init(t2))
        #expect(r2.index == r1.index && q.count == 1)
        #expect(q.find(t1, hint: r1) == nil)
        #expect(q.find(t2, hint: r1) == Int(r2.index))
        // The same question asked again has the entry it has, not a new one.
        #expect(q.entry(.init(Self.query(port: 3, id: 3, name: "TWO.test", frame: 3))).index == r2.index && q.count == 1)
    }
}

extension TrackerTests {
    /// One client port and id for many open queries (the key's chain): each answer goes to the oldest open query
    /// of its question, whatever order they come in, and the rest settle in query order.
    @Test func sameKeyManyQueriesAnsweredOutOfOrder() throws {
        var s = Script(timeout: 5)
        for i in 0..<6 { s.query(i + 1, at: Double(i) * 0.01, id: 9, port: 40000, name: "n\(i % 3).test") }
        s.response(10, at: 0.1, id: 9, port: 40000, name: "n2.test")
        s.response(11, at: 0.1, id: 9, port: 40000, name: "n0.test")
        s.response(12, at: 0.1, id: 9, port: 40000, name: "n2.test")
        s.response(13, at: 0.1, id: 9, port: 40000, name: "n2.test")   // none left open
        s.finish(at: 1)
        #expect(s.out.map(\.queryFrame) == [3, 1, 6, 2, 4, 5])
        #expect(s.out.map { $0.responseFrame ?? 0 } == [10, 11, 12, 0, 0, 0])
        #expect(s.tracker.unmatchedResponseCount == 1 && s.tracker.openQueries == 0)
    }
}
