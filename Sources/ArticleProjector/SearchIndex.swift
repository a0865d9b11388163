/*
 The search index follows the projection instead of being written with it.

 Indexing is the costliest part of applying an event (SQLite's FTS5 takes every CJK character as
 a token with its position), and nobody needs it while a sync or an import is still bringing
 events in. So applying an event only takes the capture's old entry out of the index (while its
 old text is at hand: the index is contentless) and queues the capture in `search_pending`, in the
 same transaction. `indexPending(limit:_:)` then indexes queued captures from their current rows,
 in transactions of its own: the commands that bring events in (import, sync, watch, serve) run it
 until the queue is empty, and `search` does before it looks.

 The invariant: a capture is either in the index with the title, body and capture time its row
 holds now, or queued, never both and never neither. `inconsistentArticles` checks it.

 An index row's rowid follows the capture time (`searchRowID(capturedAt:key:)`), so FTS5, which walks
 its matches in rowid order, gives the newest captures first and can stop after a page of them:
 search's default order costs the same for the commonest word as for a rare one.
*/
import ArchiveModel
import GRDB

extension ArticleProjector {
    /// Registers the migration that moves a replica to the index that follows behind: the index
    /// is emptied, its rowids follow capture times from then on, and every capture is queued.
    static func registerSearchMigration(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration("projection-v3-search-behind") { db in
            try db.execute(sql: "DROP TABLE IF EXISTS article_search; DROP TABLE IF EXISTS article_search_row")
            try db.execute(sql: "DROP TABLE IF EXISTS search_pending")
            try createSearchTables(db)
            try db.execute(sql: "INSERT INTO search_pending (article) SELECT key FROM article")
        }
    }

    /// The index, the map of its rowids to captures, and the queue of captures waiting.
    static func createSearchTables(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE article_search_row (
                    rowid INTEGER PRIMARY KEY,
                    article INTEGER NOT NULL UNIQUE
                );
                CREATE VIRTUAL TABLE article_search USING fts5(
                    title, body, content = '', tokenize = 'unicode61 remove_diacritics 2');
                CREATE TABLE search_pending (article INTEGER PRIMARY KEY);
                """)
    }

    /// Takes capture `key` out of the index, if it is there, and queues it.
    ///
    /// `indexed` is the capture's state before the event, whose text the index holds when it holds
    /// the capture at all (nil for a new capture).
    func unindex(key: Int64, indexed: ArticleState?, _ db: Database) throws {
        if let indexed,
            let searchRow = try Int64.fetchOne(
                db.cachedStatement(sql: "SELECT rowid FROM article_search_row WHERE article = ?"), arguments: [key])
        {
            try db.cachedStatement(
                sql: "INSERT INTO article_search (article_search, rowid, title, body) VALUES ('delete', ?, ?, ?)"
            ).execute(arguments: [
                searchRow, SearchText.indexText(indexed.text(.title)),
                SearchText.indexText(ofHTML: indexed.text(.body)),
            ])
            try db.cachedStatement(sql: "DELETE FROM article_search_row WHERE rowid = ?").execute(arguments: [
                searchRow
            ])
        }
        try db.cachedStatement(sql: "INSERT OR IGNORE INTO search_pending (article) VALUES (?)").execute(arguments: [
            key
        ])
    }

    /// How many captures wait to be indexed.
    package func searchPending(_ db: Database) throws -> Int {
        try Int.fetchOne(db.cachedStatement(sql: "SELECT count(*) FROM search_pending")) ?? 0
    }

    /// Indexes up to `limit` queued captures from their current rows, in the caller's write
    /// transaction; returns how many left the queue (0 when it was empty).
    ///
    /// - Throws: GRDB's `DatabaseError` when SQLite fails; the caller's transaction then rolls
    ///   back, and the captures stay queued.
    package func indexPending(limit: Int, _ db: Database) throws -> Int {
        let rows = try Row.fetchAll(
            db.cachedStatement(sql: Self.queuedCaptures + " ORDER BY p.article LIMIT ?"), arguments: [limit])
        try index(rows, db)
        return rows.count
    }

    /// Indexes the captures `keys` that are still queued (those a write of this replica just
    /// queued), in the caller's write transaction; returns how many it indexed.
    package func indexPending(keys: [Int64], _ db: Database) throws -> Int {
        var rows: [Row] = []
        var seen = Set<Int64>()
        for key in keys where seen.insert(key).inserted {
            if let row = try Row.fetchOne(
                db.cachedStatement(sql: Self.queuedCaptures + " WHERE p.article = ?"), arguments: [key])
            {
                rows.append(row)
            }
        }
        try index(rows, db)
        return rows.count
    }

    /// Queued captures with what the index takes of them: key, title, body, capture time.
    private static let queuedCaptures = """
        SELECT p.article, a.title, a.body, a.captured_at FROM search_pending p
        LEFT JOIN article a ON a.key = p.article
        """

    /// Takes queued captures (rows of key, title, body, capture time) out of the queue and into
    /// the index, in rowid order, which FTS5 takes fastest.
    private func index(_ rows: [Row], _ db: Database) throws {
        var entries: [(rowid: Int64, key: Int64, title: String, body: String)] = []
        for row in rows {
            let key: Int64 = row[0]
            try db.cachedStatement(sql: "DELETE FROM search_pending WHERE article = ?").execute(arguments: [key])
            // A queued key without its row cannot happen (rows are never removed); nor can one
            // already indexed, unless an older archive-sync indexed it behind this one's back
            // (then with its current text). Either leaves the queue all the same.
            guard let capturedAt: Int64 = row[3],
                try Bool.fetchOne(
                    db.cachedStatement(sql: "SELECT 1 FROM article_search_row WHERE article = ?"), arguments: [key])
                    == nil
            else { continue }
            entries.append((Self.searchRowID(capturedAt: capturedAt, key: key), key, row[1], row[2]))
        }
        entries.sort { ($0.rowid, $0.key) < ($1.rowid, $1.key) }
        for entry in entries {
            // Another capture of the same millisecond whose key has the same low bits: the next
            // free rowid.
            var rowid = entry.rowid
            while try Bool.fetchOne(
                db.cachedStatement(sql: "SELECT 1 FROM article_search_row WHERE rowid = ?"), arguments: [rowid])
                ?? false
            {
                rowid += 1
            }
            try db.cachedStatement(sql: "INSERT INTO article_search_row (rowid, article) VALUES (?, ?)")
                .execute(arguments: [rowid, entry.key])
            try db.cachedStatement(sql: "INSERT INTO article_search (rowid, title, body) VALUES (?, ?, ?)")
                .execute(arguments: [
                    rowid, SearchText.indexText(entry.title), SearchText.indexText(ofHTML: entry.body),
                ])
        }
    }

    /// Indexes every queued capture in the caller's write transaction (rebuild does, so that a
    /// rebuilt replica is whole); returns how many were indexed.
    package func indexAllPending(_ db: Database) throws -> Int {
        var total = 0
        while case let done = try indexPending(limit: 1000, db), done > 0 { total += done }
        return total
    }

    /// The index rowid of a capture of time `capturedAt` (ms) and row key `key`: the time in the
    /// high bits, the key's low 20 bits below it, so that the index's rowid order is the order of
    /// capture times (then of arrival), and captures of one millisecond rarely share a rowid.
    /// Times before 1970 count as 1970, and times after 2109 as 2109.
    static func searchRowID(capturedAt: Int64, key: Int64) -> Int64 {
        let time = min(max(capturedAt, 0), (1 << 42) - 1)
        return time << 20 | (key & 0xF_FFFF)
    }
}
