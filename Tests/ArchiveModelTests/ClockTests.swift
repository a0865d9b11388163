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

/// The clock policy of protocol/CLOCKS.md: a past dated ahead is followed, never run away from.
struct ClockPolicyTests {
    static let now: Int64 = 1_780_000_000_000
    static let day: Int64 = 86_400_000

    @Test(arguments: [0, 1, 23, 240])
    func eventsAfterAPastDatedHoursAheadKeepItsMillisecondsAndCountOn(hoursAhead: Int64) {
        var last = HybridTimestamp(milliseconds: Self.now + hoursAhead * 3_600_000, counter: 0)
        let start = last
        for _ in 0..<100_000 {
            let next = HybridTimestamp.next(after: last, wallMilliseconds: Self.now)
            #expect(next > last)
            last = next
        }
        // 100,000 events move the clock two milliseconds at most: the counter carries causality.
        #expect(last.milliseconds - start.milliseconds <= 2)
    }

    @Test func theWallClockTakesOverOnceItPassesThePast() {
        let past = HybridTimestamp(milliseconds: Self.now + Self.day, counter: 9)
        let next = HybridTimestamp.next(after: past, wallMilliseconds: Self.now + Self.day + 5)
        #expect(next == HybridTimestamp(milliseconds: Self.now + Self.day + 5, counter: 0))
    }

    struct SkewCase: CustomStringConvertible, Sendable {
        var milliseconds: Int64
        var text: String
        var warns: Bool
        var description: String { "\(milliseconds) → \(text)" }
    }

    @Test(arguments: [
        SkewCase(milliseconds: 0, text: "in step", warns: false),
        SkewCase(milliseconds: 300, text: "300 ms ahead", warns: false),
        SkewCase(milliseconds: -45_000, text: "45 s behind", warns: false),
        SkewCase(milliseconds: 60_000, text: "1 min ahead", warns: true),
        SkewCase(milliseconds: -(2 * 3_600_000 + 5 * 60_000), text: "2 h 5 min behind", warns: true),
        SkewCase(milliseconds: 25 * 3_600_000, text: "1 day 1 h ahead", warns: true),
        SkewCase(milliseconds: -10 * day, text: "10 days behind", warns: true),
        SkewCase(milliseconds: Int64.min, text: "106751991167 days 7 h behind", warns: true),
    ])
    func skewsAreSaidInTwoUnitsAndWarnPastAMinute(_ testCase: SkewCase) {
        let skew = ClockSkew(milliseconds: testCase.milliseconds)
        #expect(skew.description == testCase.text)
        #expect(skew.deservesWarning == testCase.warns)
    }
}
