import ArchiveModel
import TestSupport
import Testing

struct VectorClockTests {
    struct Case: CustomStringConvertible, Sendable {
        var a: [Int: Int]
        var b: [Int: Int]
        var expected: Causality
        var description: String { "\(a) vs \(b) → \(expected)" }
    }

    static func clock(_ entries: [Int: Int]) -> VectorClock {
        var clock = VectorClock()
        for (origin, seq) in entries { clock[EventFactory.origin(origin)] = seq }
        return clock
    }

    @Test(arguments: [
        Case(a: [:], b: [:], expected: .equal),
        Case(a: [1: 2], b: [1: 2], expected: .equal),
        Case(a: [1: 1], b: [1: 2], expected: .before),
        Case(a: [1: 3], b: [1: 2], expected: .after),
        Case(a: [1: 1], b: [2: 1], expected: .concurrent),
        Case(a: [1: 2, 2: 1], b: [1: 2, 2: 3], expected: .before),
        Case(a: [1: 3, 2: 1], b: [1: 2, 2: 3], expected: .concurrent),
        Case(a: [:], b: [3: 1], expected: .before),
        Case(a: [1: 0], b: [:], expected: .equal),
    ])
    func compares(_ testCase: Case) {
        #expect(Self.clock(testCase.a).compare(to: Self.clock(testCase.b)) == testCase.expected)
    }

    @Test func mergeTakesTheMaximumOfEachEntry() {
        let merged = Self.clock([1: 3, 2: 1]).merged(with: Self.clock([2: 4, 3: 1]))
        #expect(merged == Self.clock([1: 3, 2: 4, 3: 1]))
        #expect(merged.total == 8)
    }

    @Test func zeroEntriesAreNotStored() {
        var clock = Self.clock([1: 2])
        clock[EventFactory.origin(1)] = 0
        #expect(clock.entries.isEmpty)
        #expect(clock == VectorClock())
    }
}

struct HybridTimestampTests {
    struct Case: CustomStringConvertible, Sendable {
        var last: (Int64, Int)
        var wall: Int64
        var expected: (Int64, Int)
        var description: String { "last \(last), wall \(wall) → \(expected)" }
    }

    @Test(arguments: [
        Case(last: (0, 0), wall: 1_000, expected: (1_000, 0)),
        Case(last: (1_000, 0), wall: 2_000, expected: (2_000, 0)),
        Case(last: (1_000, 0), wall: 1_000, expected: (1_000, 1)),
        Case(last: (1_000, 5), wall: 999, expected: (1_000, 6)),
        Case(last: (5_000, 2), wall: 1_000, expected: (5_000, 3)),
        Case(last: (1_000, 0xFFFF), wall: 1_000, expected: (1_001, 0)),
    ])
    func nextIsAlwaysLaterThanLastAndFollowsTheWallClock(_ testCase: Case) {
        let last = HybridTimestamp(milliseconds: testCase.last.0, counter: testCase.last.1)
        let next = HybridTimestamp.next(after: last, wallMilliseconds: testCase.wall)
        #expect(next.milliseconds == testCase.expected.0)
        #expect(next.counter == testCase.expected.1)
        #expect(next > last)
    }

    @Test(arguments: [(0, 0), (1_731_686_344_000, 0), (1_731_686_344_000, 65535), (HybridTimestamp.maxMilliseconds, 7)])
    func packingKeepsOrderAndValue(ms: Int64, counter: Int) {
        let value = HybridTimestamp(milliseconds: ms, counter: counter)
        #expect(HybridTimestamp(packed: value.packed) == value)
        let later = HybridTimestamp.next(after: value, wallMilliseconds: 0)
        #expect(later.packed > value.packed)
    }
}
