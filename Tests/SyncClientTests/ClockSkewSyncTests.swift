import ArchiveModel
import Replica
import SyncBookkeeping
import SyncClient
import TestSupport
import Testing

/// A wrong clock anywhere never stops a sync; sync measures and reports it (protocol/CLOCKS.md).
struct ClockSkewSyncTests {
    typealias Pair = SyncPair

    @Test func aReplicaWhoseClockRanDaysAheadPushesAndPullsAtOnceWhenItIsFixed() throws {
        let pair = try Pair()
        pair.laptopClock.set(Pair.now + 10 * Pair.day)
        let ahead = try pair.capture(3, on: pair.laptop, label: "ahead")
        try pair.capture(2, on: pair.hub, label: "hub")
        pair.laptopClock.set(Pair.now)

        let report = try pair.session().run()
        #expect(try pair.converged())
        #expect(report.pushedEvents == 3 && report.pulledEvents == 2)
        #expect(report.clockSkew.map { abs($0) < 1_000 } == true)

        // Written after its own events dated ahead, the next event is dated after them.
        let next = try pair.laptop.capture(
            url: "https://news.example.org/after.html", title: "after", body: "<p>after</p>\n", capturedAt: 1)
        #expect(try #require(ahead.last).hlc < next.hlc)
        #expect(next.hlc.milliseconds == Pair.now + 10 * Pair.day)
        _ = try pair.session().run()
        #expect(try pair.converged())
    }

    @Test func aReplicaWithASlowClockPullsAPageHoldingAnEventDatedADayAhead() throws {
        let pair = try Pair()
        try pair.capture(40, on: pair.hub, label: "hub")
        pair.hubClock.set(Pair.now + 23 * Pair.hour)
        let ahead = try pair.capture(1, on: pair.hub, label: "ahead")
        try pair.capture(4, on: pair.hub, label: "after")
        pair.laptopClock.set(Pair.now - 2 * Pair.hour)

        let report = try pair.session().run()
        #expect(try pair.converged())
        #expect(report.pulledEvents == 45)
        let lead = try #require(ahead.first).hlc.milliseconds - (Pair.now - 2 * Pair.hour)
        #expect(report.eventsAhead >= lead)
        #expect(report.clockSkew.map { abs($0 - 25 * Pair.hour) < 1_000 } == true)

        let warnings = ClockWarnings.sentences(
            peer: "hub", clockSkew: report.clockSkew, eventsAhead: report.eventsAhead)
        #expect(warnings.count == 2)
        #expect(warnings.first?.contains("this machine's clock is 1 day 1 h behind the clock of hub") == true)
        #expect(warnings.last?.contains("dated up to 1 day 1 h ahead") == true)
    }

    @Test func theSkewMeasuredBySyncIsKeptForStatus() throws {
        let pair = try Pair()
        pair.hubClock.set(Pair.now + 3 * Pair.hour)
        try pair.capture(1, on: pair.hub, label: "hub")
        let report = try pair.session().run()
        let skew = try #require(report.clockSkew)
        #expect(abs(skew - 3 * Pair.hour) < 1_000)

        try pair.laptop.record(
            SyncRecord(
                peer: "hub", startedAt: Pair.now, finishedAt: Pair.now, sentEvents: 0, sentBytes: 0,
                receivedEvents: report.pulledEvents, receivedBytes: report.bytesReceived, result: "ok",
                clockSkew: report.clockSkew, eventsAhead: report.eventsAhead))
        let record = try #require(try pair.laptop.syncRecords().first)
        #expect(record.clockSkew == skew && record.eventsAhead == report.eventsAhead)
        #expect(record.eventsAhead > 3 * Pair.hour - 1_000)
        let warnings = ClockWarnings.sentences(
            peer: record.peer, clockSkew: record.clockSkew, eventsAhead: record.eventsAhead)
        #expect(warnings.first?.contains("3 h behind the clock of hub") == true)
    }

    @Test func clocksInStepGiveNoWarning() throws {
        let pair = try Pair()
        try pair.capture(2, on: pair.hub, label: "hub")
        let report = try pair.session().run()
        #expect(
            ClockWarnings.sentences(peer: "hub", clockSkew: report.clockSkew, eventsAhead: report.eventsAhead)
                .isEmpty)
        #expect(report.eventsAhead == 0)
    }

    @Test func theLocalWriterNeverRefusesForItsClockAndStatusSaysItsEventsAreAhead() throws {
        let pair = try Pair()
        pair.laptopClock.set(Pair.now + 10 * Pair.day)
        try pair.capture(1, on: pair.laptop, label: "ahead")
        pair.laptopClock.set(Pair.now)
        let after = try #require(try pair.capture(1, on: pair.laptop, label: "after").first)
        #expect(after.hlc.milliseconds == Pair.now + 10 * Pair.day)
        let journal = pair.laptop.journal
        let latest = try pair.laptop.read { db in try journal.latestHLC(db) }
        let warning = ClockWarnings.journalAhead(latestHLC: latest, now: Pair.now)
        #expect(warning?.hasPrefix("the latest event held is dated 10 days ahead of this machine's clock") == true)
        #expect(ClockWarnings.journalAhead(latestHLC: latest, now: Pair.now + 10 * Pair.day) == nil)
    }
}
