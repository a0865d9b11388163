import ArchiveModel
import EventJournal
import GRDB

extension Replica {
    /// The position of the last event in this file's journal (0 when empty): a mark to ask later
    /// which articles were written since (`articlesWritten(after:)`).
    ///
    /// Throws what reading the file throws.
    package func journalPosition() throws -> Int64 {
        try read { db in try Int64.fetchOne(db, sql: "SELECT max(position) FROM journal") ?? 0 }
    }

    /// The captures that events appended after `position` wrote (pulled from a peer or made
    /// here), at most `limit` of them; nil when there are more (export them all).
    ///
    /// Throws what reading the file throws.
    package func articlesWritten(after position: Int64, limit: Int = 10_000) throws -> Set<ArticleID>? {
        try read { db in
            let ids = try String.fetchAll(
                db, sql: "SELECT DISTINCT article FROM journal WHERE position > ? LIMIT ?",
                arguments: [position, limit + 1])
            guard ids.count <= limit else { return nil }
            return Set(ids.compactMap(ArticleID.init(hex:)))
        }
    }
}
