import NetcorrCore

/// The tracker's open queries: the transactions in a `Slab`, and `Buckets` from a key (client, server, transport,
/// id) to its oldest open query, the key's other open queries chained behind it in query order (almost always
/// none). A dictionary of transactions by slot beside a dictionary of slot lists by key cost two hashed lookups,
/// copies of the 144-byte transaction and an array per packet.
struct OpenQueries {
    private var slab = Slab<DNSTransaction>()
    struct Link {
        /// The query's number in capture order (the tracker's `nextSlot`).
        var serial: Int
        /// The next open query of the same key (a later one), or -1.
        var next: Int
        /// The entry of the query's question in the tracker's `lastAttempt`, when the query was taken in.
        var question: Slab<DNSTransactionTracker.Questions.Entry>.Ref
    }
    /// By slab number, beside the slab.
    private var links: ContiguousArray<Link> = []
    private var buckets = Buckets()

    /// Where an open query is (a query settled since no longer matches).
    typealias Ref = Slab<DNSTransaction>.Ref
    /// A query moved out, with its `Link.question`.
    typealias Taken = (t: DNSTransaction, question: Slab<DNSTransactionTracker.Questions.Entry>.Ref)

    var count: Int { slab.count }

    /// Reads no transaction: `advance` asks it of every query it passes.
    func isOpen(_ r: Ref) -> Bool { slab.contains(r) }

    private func hash(client: Endpoint, server: Endpoint, transport: Transport, id: UInt16) -> UInt64 {
        FastHash.step(server.words(client.words(FastHash.start(buckets.seed))), UInt64(id) | UInt64(transport.rawValue) << 16)
    }
    /// The bucket of the key's chain (or where it would go); `h` its hash.
    private func bucket(_ h: UInt64, client: Endpoint, server: Endpoint, transport: Transport, id: UInt16) -> Int {
        buckets.find(h) {
            slab.items[$0]!.id == id && slab.items[$0]!.client == client && slab.items[$0]!.server == server
                && slab.items[$0]!.transport == transport
        }
    }
    /// The bucket of the chain entry `i` is in.
    private func bucket(of i: Int) -> Int {
        let client = slab.items[i]!.client, server = slab.items[i]!.server, transport = slab.items[i]!.transport
        let id = slab.items[i]!.id
        return bucket(hash(client: client, server: server, transport: transport, id: id), client: client, server: server,
                      transport: transport, id: id)
    }

    /// Takes `t` in as the newest open query of its key.
    mutating func insert(_ t: consuming DNSTransaction, serial: Int,
                         question: Slab<DNSTransactionTracker.Questions.Entry>.Ref) -> Ref {
        let client = t.client, server = t.server, transport = t.transport, id = t.id
        let h = hash(client: client, server: server, transport: transport, id: id)
        let b = bucket(h, client: client, server: server, transport: transport, id: id)
        let r = slab.add(t), i = Int(r.index)
        let link = Link(serial: serial, next: -1, question: question)
        if i == links.count { links.append(link) } else { links[i] = link }
        if var last = buckets.entry(b) {
            while links[last].next >= 0 { last = links[last].next }
            links[last].next = i
        } else {
            buckets.insert(b, hash: h, entry: i)
        }
        return r
    }

    /// Removes and returns the oldest open query of the key for which `matches` holds. Inlined: the closure
    /// (which reads the response) then costs no copy of what it captures.
    @inline(__always) mutating func removeFirst(client: Endpoint, server: Endpoint, transport: Transport, id: UInt16,
                                                where matches: (borrowing DNSTransaction) -> Bool) -> Taken? {
        let b = bucket(hash(client: client, server: server, transport: transport, id: id), client: client, server: server,
                       transport: transport, id: id)
        guard var i = buckets.entry(b) else { return nil }
        var prev = -1
        while !matches(slab.items[i]!) {
            guard links[i].next >= 0 else { return nil }
            prev = i; i = links[i].next
        }
        return take(i, prev: prev, bucket: b)
    }

    /// Removes and returns the open query `r` refers to.
    mutating func remove(_ r: Ref) -> Taken? {
        guard isOpen(r) else { return nil }
        let i = Int(r.index), b = bucket(of: i)
        var prev = -1, j = buckets.entry(b)!
        while j != i { prev = j; j = links[j].next }
        return take(i, prev: prev, bucket: b)
    }

    /// The oldest open query (lowest serial) for which `matches` holds, found by visiting every one (ICMP errors
    /// are rare).
    func oldest(where matches: (borrowing DNSTransaction) -> Bool) -> Ref? {
        var best: (serial: Int, index: Int)?
        for i in slab.indices where (best.map { links[i].serial < $0.serial } ?? true) && matches(slab.items[i]!) {
            best = (links[i].serial, i)
        }
        return best.map { slab.ref($0.index) }
    }

    /// Unlinks entry `i` (after `prev` in its key's chain, -1 when first; the chain in bucket `b`) and moves its
    /// transaction out.
    private mutating func take(_ i: Int, prev: Int, bucket b: Int) -> Taken {
        let next = links[i].next
        if prev >= 0 {
            links[prev].next = next
        } else if next >= 0 {
            buckets.replace(b, entry: next)
        } else {
            buckets.remove(b)
        }
        return (slab.take(i), links[i].question)
    }
}
