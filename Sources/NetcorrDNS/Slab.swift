import NetcorrCore

/// Elements by number, numbers of removed ones reused: the tracker's tables keep their entries here and find them
/// through `Buckets`, so an entry is moved in once and out once and read in place, and memory follows the entries
/// alive, not all there ever were.
struct Slab<Element> {
    /// nil where free. Read a field as `items[i]!.field`: that reads the field alone, where a subscript giving
    /// the element (even a `_read` one) copied all of it, retains included, to unwrap it.
    private(set) var items: ContiguousArray<Element?> = []
    /// Per number, how many elements it has held before: a `Ref` to a removed element no longer matches, whatever
    /// took its number since.
    private var generations: ContiguousArray<UInt32> = []
    private var free: [Int32] = []
    private(set) var count = 0

    /// An element and which one (its number's generation when it was added).
    struct Ref { var index: Int32; var generation: UInt32 }

    func contains(_ r: Ref) -> Bool { generations[Int(r.index)] == r.generation }
    /// The element now at `i` (which must be there).
    func ref(_ i: Int) -> Ref { Ref(index: Int32(i), generation: generations[i]) }

    /// Keeps `e` and says where.
    mutating func add(_ e: consuming Element) -> Ref {
        count += 1
        guard let f = free.popLast() else {
            items.append(consume e)
            generations.append(0)
            return Ref(index: Int32(items.count - 1), generation: 0)
        }
        items[Int(f)] = consume e
        return Ref(index: f, generation: generations[Int(f)])
    }

    /// Moves element `i` out; its number is free for the next `add`.
    mutating func take(_ i: Int) -> Element {
        count -= 1
        generations[i] &+= 1
        free.append(Int32(i))
        return items[i].take()!
    }

    /// Element `i`, written in place (it must be there).
    subscript(i: Int) -> Element {
        get { items[i]! }
        _modify { yield &items[i]! }
    }

    /// The numbers in use.
    var indices: [Int] { items.indices.filter { items[$0] != nil } }
}

/// Open-addressing buckets holding the numbers of entries kept elsewhere (a `Slab`), found by a keyed 64-bit
/// hash: its high 32 bits sit beside the number and are compared before the key (the bucket a hash belongs in is
/// their low bits). Linear probing, at most half full, deletion by shifting back (no tombstones). The hashes
/// come from `FastHash.step` seeded per table (`seed`): a capture's author cannot make keys share a probe chain.
struct Buckets {
    private var words = ContiguousArray<UInt64>(repeating: 0, count: 64)
    private var used = 0
    let seed = Int.random(in: .min ... .max)

    @inline(__always) private var mask: Int { words.count - 1 }
    @inline(__always) private func home(_ w: UInt64) -> Int { Int(truncatingIfNeeded: w >> 32) & mask }

    /// The bucket of the entry hashed to `h` for which `isKey` holds, or the empty bucket where it would go.
    @inline(__always) func find(_ h: UInt64, _ isKey: (Int) -> Bool) -> Int {
        let tag = h >> 32
        var b = home(h)
        while true {
            let w = words[b]
            if w == 0 || (w >> 32 == tag && isKey(Int(truncatingIfNeeded: w & 0xffff_ffff) - 1)) { return b }
            b = (b + 1) & mask
        }
    }

    /// The entry in bucket `b`, nil when it is empty.
    @inline(__always) func entry(_ b: Int) -> Int? {
        let w = words[b]
        return w == 0 ? nil : Int(truncatingIfNeeded: w & 0xffff_ffff) - 1
    }

    /// Puts entry `i` (hashed to `h`) in the empty bucket `b` that `find` gave. Bucket numbers found before are
    /// stale after it.
    mutating func insert(_ b: Int, hash h: UInt64, entry i: Int) {
        used += 1
        words[b] = h & ~0xffff_ffff | UInt64(i + 1)
        if used * 2 > words.count { grow() }
    }

    /// Entry `i` in bucket `b` instead of the one there (of the same hash).
    mutating func replace(_ b: Int, entry i: Int) { words[b] = words[b] & ~0xffff_ffff | UInt64(i + 1) }

    /// Empties bucket `b`, moving back the later buckets of its run that may sit in it.
    mutating func remove(_ b: Int) {
        used -= 1
        var hole = b, j = b
        while true {
            j = (j + 1) & mask
            let w = words[j]
            if w == 0 { break }
            // The entry at j may fill the hole when its home is not cyclically within (hole, j].
            if (j &- home(w)) & mask >= (j &- hole) & mask {
                words[hole] = w
                hole = j
            }
        }
        words[hole] = 0
    }

    private mutating func grow() {
        let old = words
        words = ContiguousArray(repeating: 0, count: old.count * 2)
        for w in old where w != 0 {
            var b = home(w)
            while words[b] != 0 { b = (b + 1) & mask }
            words[b] = w
        }
    }
}
