/// How two vector clocks (or two events) relate in the happened-before order.
public enum Causality: Sendable, Equatable {
    case before, equal, after, concurrent
}

/// A map from origin to a sequence number: an event's causal past (the highest seq of each origin
/// its writer held) or a replica's knowledge (the gap-free prefix `1...n` it holds of each origin).
///
/// Missing entries are zero; zero entries are never stored, so equal clocks compare equal.
public struct VectorClock: Hashable, Sendable, CustomStringConvertible {
    public private(set) var entries: [OriginID: Int]

    public init(_ entries: [OriginID: Int] = [:]) {
        self.entries = entries.filter { $0.value > 0 }
    }

    public subscript(origin: OriginID) -> Int {
        get { entries[origin] ?? 0 }
        set { entries[origin] = newValue > 0 ? newValue : nil }
    }

    /// True when event `(origin, seq)` is covered: it happened before anything with this clock.
    public func covers(origin: OriginID, seq: Int) -> Bool { self[origin] >= seq }

    /// The entry-wise maximum of the two clocks.
    public func merged(with other: VectorClock) -> VectorClock {
        var result = self
        for (origin, seq) in other.entries where seq > result[origin] { result[origin] = seq }
        return result
    }

    /// Compares entry by entry: `before` when every entry is `<=` and one is `<`.
    public func compare(to other: VectorClock) -> Causality {
        var less = false
        var greater = false
        for origin in Set(entries.keys).union(other.entries.keys) {
            let mine = self[origin]
            let theirs = other[origin]
            if mine < theirs { less = true }
            if mine > theirs { greater = true }
        }
        switch (less, greater) {
        case (false, false): return .equal
        case (true, false): return .before
        case (false, true): return .after
        case (true, true): return .concurrent
        }
    }

    /// Origins sorted by id: the canonical order of a clock's entries.
    public var sortedEntries: [(origin: OriginID, seq: Int)] {
        entries.sorted { $0.key < $1.key }.map { (origin: $0.key, seq: $0.value) }
    }

    /// The sum of all entries: how many events a knowledge vector stands for.
    public var total: Int { entries.values.reduce(0, +) }

    public var description: String {
        "{" + sortedEntries.map { "\($0.origin.short):\($0.seq)" }.joined(separator: ", ") + "}"
    }
}
