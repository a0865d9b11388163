/// A hybrid logical clock reading: wall time in milliseconds plus a counter for events written
/// within the same millisecond (or while the wall clock lags behind a timestamp already seen).
///
/// Ordered by `(milliseconds, counter)`. Stored in SQLite packed into one Int64
/// (`milliseconds << 16 | counter`) so that integer order is clock order; written in events as
/// the JSON array `[milliseconds, counter]` (see protocol/CANONICAL.md).
public struct HybridTimestamp: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let milliseconds: Int64
    public let counter: Int

    public static let zero = HybridTimestamp(milliseconds: 0, counter: 0)
    public static let maxCounter = 0xFFFF
    /// Wall times past this (about the year 6429) cannot be packed.
    public static let maxMilliseconds: Int64 = (1 << 47) - 1

    public init(milliseconds: Int64, counter: Int) {
        self.milliseconds = milliseconds
        self.counter = counter
    }

    /// True when both parts are inside the packable range.
    public var isValid: Bool {
        (0...Self.maxMilliseconds).contains(milliseconds) && (0...Self.maxCounter).contains(counter)
    }

    public var packed: Int64 { milliseconds << 16 | Int64(counter) }

    public init(packed: Int64) {
        self.init(milliseconds: packed >> 16, counter: Int(packed & 0xFFFF))
    }

    /// 1 January 3000: no clock is that far ahead by accident. An event may be dated past it only
    /// by rolling its counter one millisecond past the latest date of its causal past
    /// (protocol/CLOCKS.md), so that no event, however dated, can leave later writers without
    /// dates to write with.
    public static let horizonMilliseconds: Int64 = 32_503_680_000_000

    /// The clock's next reading after `last`, given the wall clock now: wall time when it is ahead
    /// (a wall clock past the horizon counts as the horizon), otherwise `last` with the counter
    /// bumped (rolling into the next millisecond when full).
    public static func next(after last: HybridTimestamp, wallMilliseconds: Int64) -> HybridTimestamp {
        let wall = min(wallMilliseconds, horizonMilliseconds)
        if wall > last.milliseconds {
            return HybridTimestamp(milliseconds: wall, counter: 0)
        }
        if last.counter < maxCounter {
            return HybridTimestamp(milliseconds: last.milliseconds, counter: last.counter + 1)
        }
        return HybridTimestamp(milliseconds: last.milliseconds + 1, counter: 0)
    }

    public static func < (lhs: HybridTimestamp, rhs: HybridTimestamp) -> Bool {
        (lhs.milliseconds, lhs.counter) < (rhs.milliseconds, rhs.counter)
    }

    public var description: String { "\(milliseconds).\(counter)" }
}
