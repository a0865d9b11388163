import ArchiveModel
import Foundation
import GRDB

extension EventJournal {
    /// The latest event of `event`'s article, other than `event`, that sets `field` and that a
    /// replica knowing `vector` holds: a base to delta-code `event`'s value against on the wire.
    ///
    /// Looks at the article's last 64 events at most; nil when none fits. Runs in the caller's
    /// transaction (a read is enough).
    ///
    /// - Throws: what decoding a stored event throws (ArchiveModel's errors) when a row does not
    ///   decode; GRDB's `DatabaseError` when SQLite fails.
    package func base(
        for event: Event, field: Field, coveredBy vector: VectorClock, _ db: Database
    ) throws -> (dot: Dot, hash: SHA256Digest, value: String)? {
        let rows = try Row.fetchAll(
            db.cachedStatement(
                sql: "SELECT payload, hash FROM journal WHERE article = ? ORDER BY position DESC LIMIT 64"),
            arguments: [event.article.hex])
        for row in rows {
            guard let hash = SHA256Digest(bytes: Array(row[1] as Data)) else { continue }
            let candidate = try Event(payload: Array(row[0] as Data), hash: hash, signature: nil, verify: false)
            guard candidate.dot != event.dot, vector.covers(origin: candidate.origin, seq: candidate.seq),
                case .text(let value)? = candidate.value(of: field)
            else { continue }
            return (candidate.dot, candidate.hash, value)
        }
        return nil
    }

    /// The article and hash of event `dot` and the value it set for `field`, if this journal holds
    /// the event and it set one: the base a delta-coded value received is rebuilt from.
    ///
    /// - Throws: `EventJournalError.Code.corruptRow` when the event's row does not decode.
    package func value(
        setBy dot: Dot, field: Field, _ db: Database
    ) throws -> (article: ArticleID, hash: SHA256Digest, value: String)? {
        guard let event = try event(dot, db)?.event, case .text(let value)? = event.value(of: field) else { return nil }
        return (event.article, event.hash, value)
    }
}
