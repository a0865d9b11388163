import ArchiveModel
import Foundation
import GRDB

/// Invariant 5 of `EventJournal`: the keys of signed origins, and the check every appended event
/// of one goes through.
extension EventJournal {
    /// Refuses `event` unless it is signed by `key`, or `key` is nil (an unsigned origin), it
    /// carries no signature and `unsigned` accepts it.
    func checkSignature(_ event: Event, key: OriginKey?, unsigned: UnsignedEvents, label: String) throws {
        guard let key else {
            if event.signature != nil {
                throw EventJournalError(
                    .badSignature,
                    "\(label) carries a signature, but its origin is unsigned history (its first event has no key)",
                    event: event.dot)
            }
            if unsigned == .refuse {
                throw EventJournalError(
                    .unsigned,
                    "\(label) is unsigned: its origin was made before events were signed, and only signed events are taken here",
                    event: event.dot)
            }
            return
        }
        guard key.origin == event.origin else {
            throw EventJournalError(
                .badSignature,
                "\(label) carries a key that names origin \(key.origin.short), not its own (\(event.origin.short))",
                event: event.dot)
        }
        guard let signature = event.signature else {
            throw EventJournalError(
                .badSignature, "\(label) has no signature, and its origin signs every event", event: event.dot)
        }
        guard key.isValid(signature, ofEvent: event.hash) else {
            throw EventJournalError(
                .badSignature,
                "\(label) is not signed by its origin's key: the signature does not verify against key \(key.hex.prefix(16))",
                event: event.dot)
        }
    }

    /// The public key of a signed origin, as its first event brought it; nil for an unsigned
    /// origin or one not held.
    ///
    /// - Throws: `EventJournalError.Code.corruptRow` when the stored key is not 32 bytes.
    package func key(of origin: OriginID, _ db: Database) throws -> OriginKey? {
        guard
            let blob = try Data.fetchOne(
                db.cachedStatement(sql: "SELECT key FROM journal_origin_key WHERE origin = ?"),
                arguments: [origin.hex])
        else { return nil }
        guard let key = OriginKey(bytes: Array(blob)) else {
            throw EventJournalError(.corruptRow, "the stored key of origin \(origin.short) is not 32 bytes")
        }
        return key
    }

    /// The keys of every signed origin held.
    package func keys(_ db: Database) throws -> [OriginID: OriginKey] {
        var keys: [OriginID: OriginKey] = [:]
        for row in try Row.fetchAll(db.cachedStatement(sql: "SELECT origin, key FROM journal_origin_key")) {
            if let origin = OriginID(hex: row[0]), let key = OriginKey(bytes: Array(row[1] as Data)) {
                keys[origin] = key
            }
        }
        return keys
    }

    func storedSignature(of dot: Dot, _ db: Database) throws -> Ed25519Signature? {
        let blob = try Data.fetchOne(
            db.cachedStatement(sql: "SELECT signature FROM journal WHERE origin = ? AND seq = ?"),
            arguments: [dot.origin.hex, dot.seq])
        return try signature(blob, position: nil)
    }

    /// Reads a stored signature column (NULL for an unsigned event).
    func signature(_ blob: Data?, position: Int64?) throws -> Ed25519Signature? {
        guard let blob else { return nil }
        guard let signature = Ed25519Signature(bytes: Array(blob)) else {
            throw EventJournalError(
                .corruptRow, "journal row \(position.map(String.init) ?? "?") has a signature that is not 64 bytes")
        }
        return signature
    }
}
