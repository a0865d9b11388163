import ArchiveModel
import EventJournal
import Foundation
import GRDB
import TestSupport
import Testing

/// The journal alone, on a real SQLite file: invariants 1 to 4.
struct EventJournalTests {
    let directory: TemporaryDirectory
    let database: DatabaseQueue
    let journal = EventJournal()

    init() throws {
        directory = try TemporaryDirectory("journal")
        database = try DatabaseQueue(path: directory.file("journal.sqlite"))
        var migrator = DatabaseMigrator()
        EventJournal.registerMigrations(in: &migrator)
        try migrator.migrate(database)
    }

    /// A chain of `count` notes by origin `origin`, each holding `clock` of the others.
    func chain(_ origin: Int, _ count: Int, clock: [Int: Int] = [:], startHLC: Int64 = 100) throws -> [Event] {
        var events: [Event] = []
        var prev = SHA256Digest.zero
        for seq in 1...count {
            var vector = VectorClock()
            for (other, held) in clock { vector[EventFactory.origin(other)] = held }
            vector[EventFactory.origin(origin)] = seq - 1
            let event = try Event.seal(
                Event.Draft(
                    origin: EventFactory.origin(origin), seq: seq,
                    hlc: HybridTimestamp(milliseconds: startHLC + Int64(seq), counter: 0), clock: vector,
                    article: EventFactory.article, kind: .update,
                    changes: [.set(.note, .text("note \(origin).\(seq)"))],
                    prev: prev))
            prev = event.hash
            events.append(event)
        }
        return events
    }

    func append(_ events: [Event]) throws -> [EventJournal.AppendOutcome] {
        try database.write { db in try events.map { try journal.append($0, db) } }
    }

    func expectRefusal(_ code: EventJournalError.Code, _ events: [Event]) throws {
        let before = try database.read { db in try journal.count(db) }
        #expect {
            _ = try append(events)
        } throws: { error in
            (error as? EventJournalError)?.code == code
        }
        #expect(try database.read { db in try journal.count(db) } == before, "a refused append wrote something")
    }

    @Test func appendsAChainAndKnowsIt() throws {
        let events = try chain(1, 3)
        let outcomes = try append(events)
        #expect(outcomes.allSatisfy { if case .appended = $0 { true } else { false } })
        let knowledge = try database.read { db in try journal.knowledge(db) }
        #expect(knowledge[EventFactory.origin(1)] == 3)
        #expect(try database.read { db in try journal.latestHLC(db) } == events[2].hlc)
    }

    @Test func reapplyingHeldEventsChangesNothing() throws {
        let events = try chain(1, 3)
        _ = try append(events)
        let again = try append(events)
        #expect(again == [.alreadyHeld, .alreadyHeld, .alreadyHeld])
        #expect(try database.read { db in try journal.count(db) } == 3)
    }

    @Test func refusesAGapInSequence() throws {
        let events = try chain(1, 3)
        _ = try append([events[0]])
        try expectRefusal(.gap, [events[2]])
    }

    @Test func refusesABrokenHashChain() throws {
        let good = try chain(1, 2)
        _ = try append([good[0]])
        let other = try chain(1, 2, startHLC: 500)  // a different first event, so seq 2's prev differs
        try expectRefusal(.brokenChain, [other[1]])
    }

    @Test func refusesAFork() throws {
        let mine = try chain(1, 2)
        _ = try append(mine)
        let fork = try chain(1, 2, startHLC: 900)
        try expectRefusal(.fork, [fork[1]])
        try expectRefusal(.fork, [fork[0]])
    }

    @Test func refusesAnEventWhoseCausalPastIsMissing() throws {
        _ = try append(try chain(2, 1))
        try expectRefusal(.missingCausalPast, try chain(1, 1, clock: [2: 2], startHLC: 1000))
    }

    @Test func refusesAClockNotAfterItsCausalPast() throws {
        _ = try append(try chain(2, 2, startHLC: 5000))
        try expectRefusal(.clockNotAfterPast, try chain(1, 1, clock: [2: 2], startHLC: 100))
    }

    @Test func anEventDatedPastTheHorizonIsRefusedUnlessItRollsOnFromItsPast() throws {
        let horizon = HybridTimestamp.horizonMilliseconds
        // Up to the horizon, any date is accepted, however far ahead of every clock.
        let atHorizon = try chain(2, 1, startHLC: horizon - 1)
        _ = try append(atHorizon)
        // Past it, one millisecond after the causal past (a counter rolling on) is accepted...
        _ = try append(try chain(3, 1, clock: [2: 1], startHLC: horizon))
        // ...but not a jump towards the end of the clock's range.
        try expectRefusal(.clockAhead, try chain(4, 1, clock: [2: 1], startHLC: horizon + 5))
        try expectRefusal(.clockAhead, try chain(5, 1, startHLC: HybridTimestamp.maxMilliseconds - 10))
    }

    @Test func theWallClockCountsAsTheHorizonPastIt() {
        let horizon = HybridTimestamp.horizonMilliseconds
        let next = HybridTimestamp.next(
            after: HybridTimestamp(milliseconds: 1_000, counter: 0), wallMilliseconds: horizon * 2)
        #expect(next == HybridTimestamp(milliseconds: horizon, counter: 0))
        let full = HybridTimestamp(milliseconds: horizon, counter: HybridTimestamp.maxCounter)
        #expect(
            HybridTimestamp.next(after: full, wallMilliseconds: horizon * 2)
                == HybridTimestamp(milliseconds: horizon + 1, counter: 0))
    }

    @Test func aFailedBatchLeavesNothingBehind() throws {
        let events = try chain(1, 4)
        let batch = [events[0], events[1], events[3]]
        #expect(throws: EventJournalError.self) { _ = try append(batch) }
        #expect(try database.read { db in try journal.count(db) } == 0)
    }

    @Test(arguments: [
        "UPDATE journal SET kind = 'delete'", "DELETE FROM journal", "UPDATE journal SET payload = x'00' WHERE seq = 1",
    ])
    func triggersRefuseUpdateAndDeleteFromAnyCaller(sql: String) throws {
        _ = try append(try chain(1, 2))
        #expect(throws: DatabaseError.self) { try database.write { db in try db.execute(sql: sql) } }
        #expect(try database.read { db in try journal.count(db) } == 2)
        #expect(try database.read { db in try journal.verify(db) }.allSatisfy(\.ok))
    }

    @Test func triggersRefuseARawInsertOffTheChain() throws {
        _ = try append(try chain(1, 1))
        #expect(throws: DatabaseError.self) {
            try database.write { db in
                try db.execute(
                    sql: """
                        INSERT INTO journal (origin, seq, hlc, article, kind, prev, hash, payload)
                        VALUES (?, 3, 0, 'x', 'update', zeroblob(32), zeroblob(32), x'7b7d')
                        """, arguments: [EventFactory.origin(1).hex])
            }
        }
    }

    @Test func verifyFindsATamperedRow() throws {
        _ = try append(try chain(1, 3))
        try database.write { db in
            try db.execute(sql: "DROP TRIGGER journal_refuses_update")
            try db.execute(sql: "UPDATE journal SET payload = replace(payload, 'note 1.2', 'note 9.9') WHERE seq = 2")
        }
        let checks = try database.read { db in try journal.verify(db) }
        let failed = checks.filter { !$0.ok }.map(\.name)
        #expect(failed.contains("append-only guards"))
        #expect(failed.contains("event rows"))
    }

    @Test func theGuardsAreProvedToRefuseAndAGuardThatNoLongerRefusesIsFound() throws {
        _ = try append(try chain(1, 3))
        #expect(try database.write { db in try journal.guardProblems(db) } == [])
        // A guard under its own name that lets everything through: present, but no guard.
        try database.write { db in
            try db.execute(sql: "DROP TRIGGER journal_refuses_update")
            try db.execute(sql: "CREATE TRIGGER journal_refuses_update BEFORE UPDATE ON journal BEGIN SELECT 1; END")
        }
        let problems = try database.write { db in try journal.guardProblems(db) }
        #expect(problems == ["an UPDATE of the journal was not refused"])
        // The probes were rolled back: the journal is as it was.
        let checks = try database.read { db in try journal.verify(db) }
        let failed = checks.filter { !$0.ok }.map(\.name)
        #expect(failed.isEmpty, "\(failed)")
    }

    @Test func missingEventsComeInJournalOrderWithinLimits() throws {
        _ = try append(try chain(1, 5))
        _ = try append(try chain(2, 3, clock: [1: 5], startHLC: 1000))
        var vector = VectorClock()
        vector[EventFactory.origin(1)] = 2
        let page = try database.read { db in try journal.events(missingFrom: vector, limit: 4, maxBytes: 1 << 20, db) }
        #expect(page.map(\.event.origin) == [1, 1, 1, 2].map(EventFactory.origin))
        #expect(page.map(\.event.seq) == [3, 4, 5, 1])
        let small = try database.read { db in try journal.events(missingFrom: vector, limit: 100, maxBytes: 1, db) }
        #expect(small.count == 1)
        var all = VectorClock()
        all[EventFactory.origin(1)] = 5
        all[EventFactory.origin(2)] = 3
        #expect(
            try database.read { db in try journal.events(missingFrom: all, limit: 10, maxBytes: 1 << 20, db) }.isEmpty)
    }
}
