import NetcorrCore

extension DNSTransactionTracker {
    /// The last attempt of each question followed: entries in a `Slab` found through `Buckets` by the key's hash,
    /// read and written in place. A query keeps the `Ref` of its question's entry, so its answer finds the entry
    /// without hashing or comparing the name while the entry lasts. (A dictionary looked a question up two or
    /// three times per packet.)
    struct Questions {
        struct Entry { var key: QuestionKey; var hash: UInt64; var last: LastAttempt }
        typealias Ref = Slab<Entry>.Ref
        private var slab = Slab<Entry>()
        private var buckets = Buckets()

        var count: Int { slab.count }

        private func bucket(_ k: QuestionKey, _ h: UInt64) -> Int { buckets.find(h) { slab.items[$0]!.key == k } }

        /// The entry of `t`'s question, nil when it is not followed; `hint` the entry it had when it was asked
        /// (the same while it lasts: a question has one entry at a time).
        func find(_ t: DNSTransaction, hint: Ref) -> Int? {
            if slab.contains(hint) { return Int(hint.index) }
            let k = QuestionKey(t)
            return buckets.entry(bucket(k, k.hash(seed: buckets.seed)))
        }

        /// The entry of `k`'s question, added as `LastAttempt.none` when it is not followed.
        mutating func entry(_ k: consuming QuestionKey) -> Ref {
            let h = k.hash(seed: buckets.seed), b = bucket(k, h)
            if let i = buckets.entry(b) { return slab.ref(i) }
            let r = slab.add(Entry(key: k, hash: h, last: .none))
            buckets.insert(b, hash: h, entry: Int(r.index))
            return r
        }

        subscript(i: Int) -> LastAttempt {
            get { slab.items[i]!.last }
            _modify { yield &slab[i].last }
        }

        mutating func remove(_ i: Int) {
            buckets.remove(buckets.find(slab.items[i]!.hash) { $0 == i })
            _ = slab.take(i)
        }

        mutating func removeAll(where stale: (LastAttempt) -> Bool) {
            for i in slab.indices where stale(slab.items[i]!.last) { remove(i) }
        }
    }
}
