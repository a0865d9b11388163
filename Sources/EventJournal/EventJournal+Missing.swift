import ArchiveModel
import Foundation
import GRDB

extension EventJournal {
    /// The events held here that a replica knowing `vector` lacks, in journal order (a causal
    /// order), at most `limit` events and about `maxBytes` of payload (always at least one event).
    ///
    /// This is how sync finds what to send. It starts at the earliest missing event of any origin
    /// and walks forward, skipping events the other side holds, so memory stays bounded by the
    /// limits whatever the size of the journal. A caller that applies the result and asks again
    /// with its new vector gets the next events, and an empty result when nothing is missing.
    ///
    /// ```swift
    /// let page = try dbPool.read { db in
    ///     try journal.events(missingFrom: peerKnowledge, limit: 1_000, maxBytes: 4 << 20, db)
    /// }
    /// ```
    ///
    /// - Parameters:
    ///   - vector: What the other side holds: for each origin, the gap-free prefix `1...n`.
    ///   - limit: The most events returned.
    ///   - maxBytes: About the most payload bytes returned; the first event is returned whatever
    ///     its size, so that every call makes progress.
    ///   - db: A connection in a transaction the caller owns (a read is enough); the result is
    ///     consistent with the knowledge read in the same transaction.
    /// - Throws: `EventJournalError.Code.corruptRow` when a row's origin, hash or payload cannot
    ///   be read; GRDB's `DatabaseError` when SQLite fails.
    package func events(
        missingFrom vector: VectorClock, limit: Int, maxBytes: Int, _ db: Database
    ) throws -> [StoredEvent] {
        var start: Int64?
        for (origin, seq) in try knowledge(db).sortedEntries where seq > vector[origin] {
            let position = try Int64.fetchOne(
                db.cachedStatement(sql: "SELECT position FROM journal WHERE origin = ? AND seq = ?"),
                arguments: [origin.hex, vector[origin] + 1])
            if let position { start = min(start ?? position, position) }
        }
        guard var cursor = start.map({ $0 - 1 }) else { return [] }
        var result: [StoredEvent] = []
        var bytes = 0
        while result.count < limit {
            let rows = try Row.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT position, origin, seq, payload, hash, signature FROM journal WHERE position > ? ORDER BY position LIMIT 500
                        """), arguments: [cursor])
            for row in rows {
                cursor = row[0]
                guard let origin = OriginID(hex: row[1]) else {
                    throw EventJournalError(.corruptRow, "journal row \(cursor) has an unreadable origin")
                }
                guard (row[2] as Int) > vector[origin] else { continue }
                let payload: Data = row[3]
                if !result.isEmpty, bytes + payload.count > maxBytes { return result }
                guard let hash = SHA256Digest(bytes: Array(row[4] as Data)) else {
                    throw EventJournalError(.corruptRow, "journal row \(cursor) has an unreadable hash")
                }
                do {
                    let event = try Event(
                        payload: Array(payload), hash: hash, signature: try signature(row[5], position: cursor),
                        verify: false)
                    result.append(StoredEvent(position: cursor, event: event))
                } catch {
                    throw EventJournalError(
                        .corruptRow, "journal row \(cursor) does not hold a readable event: \(error)", underlying: error
                    )
                }
                bytes += payload.count
                if result.count >= limit { return result }
            }
            if rows.count < 500 { break }
        }
        return result
    }
}
