import ArchiveModel
import EventJournal
import Foundation
import GRDB
import TestSupport
import Testing

/// The journal's error in the shape of every error, and its refusals caught by code.
struct EventJournalErrorTests {
    struct Cause: Error {}

    @Test func aJournalErrorCarriesItsCodeMessageEventAndCause() {
        let dot = Dot(origin: EventFactory.origin(1), seq: 4)
        let error = EventJournalError(.gap, "event 4 leaves a gap", event: dot, underlying: Cause())
        let any: any ArchiveSyncError = error
        #expect(any.code.rawValue == "gap")
        #expect(any.message == "event 4 leaves a gap")
        #expect(any.context == "event \(dot.origin.hex):4")
        #expect(any.underlying is Cause)
        #expect(any.description == "event 4 leaves a gap")
        #expect(EventJournalError(.corruptRow, "bad row").context == nil)
    }

    @Test func aRefusedAppendIsCaughtByItsCode() throws {
        let directory = try TemporaryDirectory("journal-error")
        let database = try DatabaseQueue(path: directory.file("journal.sqlite"))
        var migrator = DatabaseMigrator()
        EventJournal.registerMigrations(in: &migrator)
        try migrator.migrate(database)
        let journal = EventJournal()
        var prev = SHA256Digest.zero
        var events: [Event] = []
        for seq in 1...2 {
            var clock = VectorClock()
            clock[EventFactory.origin(1)] = seq - 1
            let event = try Event.seal(
                Event.Draft(
                    origin: EventFactory.origin(1), seq: seq,
                    hlc: HybridTimestamp(milliseconds: 100 + Int64(seq), counter: 0),
                    clock: clock, article: EventFactory.article, kind: .update,
                    changes: [.set(.note, .text("note \(seq)"))], prev: prev))
            prev = event.hash
            events.append(event)
        }
        var caught: EventJournalError.Code?
        do {
            _ = try database.write { db in try journal.append(events[1], db) }
        } catch EventJournalError.Code.fork {
            caught = .fork
        } catch EventJournalError.Code.gap {
            caught = .gap
        }
        #expect(caught == .gap)
    }
}
