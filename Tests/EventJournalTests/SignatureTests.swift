import ArchiveModel
import EventJournal
import Foundation
import GRDB
import TestSupport
import Testing

/// Invariant 5 of the journal: every event of a signed origin carries its origin key's signature
/// of its hash; forged events are refused with `bad-signature` and nothing of them is written.
struct SignatureTests {
    let directory: TemporaryDirectory
    let database: DatabaseQueue
    let journal = EventJournal()
    let alice = SigningKey.fixed(1)
    let mallory = SigningKey.fixed(2)

    init() throws {
        directory = try TemporaryDirectory("signatures")
        database = try DatabaseQueue(path: directory.file("journal.sqlite"))
        var migrator = DatabaseMigrator()
        EventJournal.registerMigrations(in: &migrator)
        try migrator.migrate(database)
    }

    /// A draft of the next note of `origin` after `previous`.
    func draft(_ origin: OriginID, seq: Int, prev: SHA256Digest, note: String) -> Event.Draft {
        var clock = VectorClock()
        clock[origin] = seq - 1
        return Event.Draft(
            origin: origin, seq: seq, hlc: HybridTimestamp(milliseconds: 1_000 + Int64(seq), counter: 0), clock: clock,
            article: EventFactory.article, kind: .update, changes: [.set(.note, .text(note))], prev: prev)
    }

    /// `count` notes signed by `key`, its origin's chain from seq 1.
    func chain(_ key: SigningKey, _ count: Int) throws -> [Event] {
        var events: [Event] = []
        for seq in 1...count {
            events.append(
                try Event.seal(
                    draft(key.origin, seq: seq, prev: events.last?.hash ?? .zero, note: "note \(seq)"), signedBy: key))
        }
        return events
    }

    func append(_ events: [Event], unsigned: EventJournal.UnsignedEvents = .accept) throws {
        try database.write { db in for event in events { _ = try journal.append(event, db, unsigned: unsigned) } }
    }

    func held() throws -> Int { try database.read { db in try journal.count(db) } }

    /// Appends `events` in one transaction and expects `code`, with nothing of them written.
    func expectRefusal(
        _ code: EventJournalError.Code, _ events: [Event], unsigned: EventJournal.UnsignedEvents = .accept,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let before = try held()
        #expect(sourceLocation: sourceLocation) {
            try append(events, unsigned: unsigned)
        } throws: { error in
            (error as? EventJournalError)?.code == code
        }
        #expect(try held() == before, "a refused batch wrote something", sourceLocation: sourceLocation)
    }

    @Test func aSignedChainIsTakenAndItsKeyKept() throws {
        let events = try chain(alice, 3)
        #expect(events[0].key == alice.publicKey && events[1].key == nil)
        try append(events)
        #expect(try held() == 3)
        #expect(try database.read { db in try journal.key(of: alice.origin, db) } == alice.publicKey)
        let (checks, origins) = try database.read { db in try journal.verifyWithSignatures(db) }
        #expect(checks.allSatisfy { $0.ok }, "\(checks.filter { !$0.ok })")
        #expect(origins.map(\.verified) == [3])
        // The signature is stored and read back with the event.
        let stored = try database.read { db in try journal.event(Dot(origin: alice.origin, seq: 2), db) }
        #expect(stored?.event.signature == events[1].signature)
    }

    @Test func anEventUnderAnotherOriginWithAGoodChainButSignedByTheWrongKeyIsRefused() throws {
        let events = try chain(alice, 2)
        try append([events[0]])
        // Mallory chains a note onto Alice's origin correctly, and signs it with her own key.
        let unsigned = try Event.seal(draft(alice.origin, seq: 2, prev: events[0].hash, note: "forged"))
        let forged = unsigned.withSignature(mallory.sign(event: unsigned.hash))
        try expectRefusal(.badSignature, [forged])
        // After a good event in the same batch: nothing of the batch is written.
        let third = try Event.seal(draft(alice.origin, seq: 3, prev: events[1].hash, note: "forged 3"))
        try expectRefusal(.badSignature, [events[1], third.withSignature(mallory.sign(event: third.hash))])
        #expect(try held() == 1)
    }

    @Test func aMissingSignatureIsRefused() throws {
        let events = try chain(alice, 2)
        try append([events[0]])
        try expectRefusal(.badSignature, [events[1].withSignature(nil)])
        // The first event too: it carries its key, so its origin signs.
        let fresh = try chain(mallory, 1)
        try expectRefusal(.badSignature, [fresh[0].withSignature(nil)])
    }

    @Test func aSignatureOverOtherBytesIsRefused() throws {
        let events = try chain(alice, 2)
        try append([events[0]])
        // Alice's own key, but over the payload rather than the event message (hash behind its prefix).
        try expectRefusal(.badSignature, [events[1].withSignature(alice.sign(events[1].payload))])
        try expectRefusal(.badSignature, [events[1].withSignature(alice.sign(events[1].hash.bytes))])
    }

    @Test func aReplayedSignatureMovedToAnotherEventIsRefused() throws {
        let events = try chain(alice, 3)
        try append(Array(events.prefix(2)))
        // Event 3 carrying event 2's (valid, Alice's) signature.
        try expectRefusal(.badSignature, [events[2].withSignature(events[1].signature)])
        // An event already held, sent again with another event's signature: refused, not taken.
        try expectRefusal(.badSignature, [events[1].withSignature(events[0].signature)])
        // Sent again as it is: nothing happens.
        try append([events[1]])
        #expect(try held() == 2)
    }

    @Test func aFirstEventWhoseKeyDoesNotNameItsOriginIsRefused() throws {
        // Alice's origin, Mallory's key and signature: sealing refuses it...
        var claimed = draft(alice.origin, seq: 1, prev: .zero, note: "claimed")
        claimed.key = mallory.publicKey
        #expect { try Event.seal(claimed) } throws: { ArchiveModelError.Code.badSignature ~= $0 }
        // ...a peer's wire line with it is refused when read...
        let honest = try Event.seal(draft(mallory.origin, seq: 1, prev: .zero, note: "x"), signedBy: mallory)
        var line = String(decoding: honest.wireLine, as: UTF8.self)
        line = line.replacingOccurrences(of: mallory.origin.hex, with: alice.origin.hex)
        #expect { try Event(wireLine: Array(line.utf8)) } throws: { ArchiveModelError.Code.badSignature ~= $0 }
        // ...and the journal refuses one built without those checks.
        let payload = Array("{}".utf8)
        let unchecked = Event(
            draft: claimed, payload: payload, hash: SHA256Digest.of(payload),
            signature: mallory.sign(event: SHA256Digest.of(payload)))
        try expectRefusal(.badSignature, [unchecked])
    }

    @Test func unsignedHistoryIsTakenOnlyWhenAcceptedAndNeverWithASignature() throws {
        let legacy = EventFactory.origin(5)
        let first = try Event.seal(draft(legacy, seq: 1, prev: .zero, note: "old"))
        try expectRefusal(.unsigned, [first], unsigned: .refuse)
        try expectRefusal(.badSignature, [first.withSignature(alice.sign(event: first.hash))])
        try append([first])
        let second = try Event.seal(draft(legacy, seq: 2, prev: first.hash, note: "old 2"))
        try expectRefusal(.unsigned, [second], unsigned: .refuse)
        try append([second])
        let (checks, origins) = try database.read { db in try journal.verifyWithSignatures(db) }
        #expect(checks.allSatisfy { $0.ok })
        #expect(origins.first?.isSigned == false && origins.first?.events == 2)
    }

    @Test func verifyCatchesATamperedRowReSignedWithAnotherKey() throws {
        let events = try chain(alice, 3)
        try append(events)
        // Someone with write access to the file rewrites Alice's last note, hashes it again and
        // signs it with a key of their own: hash and chain hold, the signature does not.
        let rewritten = try Event.seal(draft(alice.origin, seq: 3, prev: events[1].hash, note: "rewritten"))
        let signature = mallory.sign(event: rewritten.hash)
        try database.write { db in
            try db.execute(sql: "DROP TRIGGER journal_refuses_update")
            try db.execute(
                sql: "UPDATE journal SET payload = ?, hash = ?, signature = ? WHERE origin = ? AND seq = 3",
                arguments: [
                    Data(rewritten.payload), Data(rewritten.hash.bytes), Data(signature.bytes), alice.origin.hex,
                ])
            try db.execute(
                sql: "UPDATE journal_head SET hash = ? WHERE origin = ?",
                arguments: [Data(rewritten.hash.bytes), alice.origin.hex])
        }
        let (checks, origins) = try database.read { db in try journal.verifyWithSignatures(db) }
        let signatures = try #require(checks.first { $0.name == "signatures" })
        #expect(signatures.problems.count == 1)
        #expect(signatures.problems.first?.contains("not its origin key's signature") == true)
        #expect(checks.first { $0.name == "hash chains" }?.ok == true)
        #expect(origins.first?.bad == 1 && origins.first?.verified == 2)
    }
}
