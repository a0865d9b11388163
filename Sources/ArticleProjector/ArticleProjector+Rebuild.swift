import ArchiveModel
import EventJournal
import Foundation
import GRDB

extension ArticleProjector {
    /// Drops the projection tables, creates them afresh and replays every journal event into them.
    ///
    /// Runs inside the caller's transaction, so a failed rebuild leaves the old tables in place.
    /// `progress` is called every `progressInterval` events with the number replayed so far.
    /// Since the projection is a function of the events held, the rebuilt states and digest are
    /// those of the incremental projection; row keys follow journal order. With `indexSearch`,
    /// every capture is indexed before it returns; else they are left queued.
    ///
    /// ```swift
    /// let replayed = try dbPool.write { db in try projector.rebuild(from: journal, db) }
    /// ```
    ///
    /// - Returns: The number of events replayed.
    /// - Throws: `EventJournalError.Code.corruptRow` when a journal row does not decode; what
    ///   `Batch.apply(_:_:)` throws; GRDB's `DatabaseError` when SQLite fails. The caller's write
    ///   then rolls back, and the old tables are kept.
    package func rebuild(
        from journal: EventJournal, _ db: Database, indexSearch: Bool = true, progressInterval: Int = 5000,
        progress: (Int) -> Void = { _ in }
    ) throws -> Int {
        try Self.dropTables(db)
        try Self.createTables(db)
        let count = try replay(journal, from: db, into: db, progressInterval: progressInterval, progress: progress)
        if indexSearch { _ = try indexAllPending(db) }
        return count
    }

    /// Replays every event of the journal in `source` into the (empty) projection tables of
    /// `target`, which may be another database: how `verify` rebuilds beside the live tables.
    ///
    /// `source` may be read-only; `target` must be in a write transaction, with the projection
    /// tables created and empty (`createTables(_:)`). The caller owns both transactions.
    ///
    /// - Returns: The number of events replayed.
    /// - Throws: as `rebuild(from:_:progressInterval:progress:)`.
    package func replay(
        _ journal: EventJournal, from source: Database, into target: Database, progressInterval: Int = 5000,
        progress: (Int) -> Void = { _ in }
    ) throws -> Int {
        var count = 0
        var batch = try self.batch(target)
        try journal.forEachEvent(source) { stored in
            try batch.apply(stored.event, target)
            count += 1
            if count % progressInterval == 0 { progress(count) }
        }
        try batch.finish(target)
        return count
    }

    /// Recomputes the digest from the stored per-article state hashes: `verify` compares it with
    /// the stored `digest(_:)`.
    ///
    /// - Throws: `ArticleProjectorError.Code.corruptRow` when a state hash is not 32 bytes.
    package func digestOfStoredStates(_ db: Database) throws -> SHA256Digest {
        var digest = SHA256Digest.zero
        let rows = try Data.fetchCursor(db, sql: "SELECT state_hash FROM article")
        while let data = try rows.next() {
            guard let hash = SHA256Digest(bytes: Array(data)) else {
                throw ArticleProjectorError(.corruptRow, "an article has an unreadable state hash")
            }
            digest = digest ^ hash
        }
        return digest
    }

    /// Every article's stored state hash, for comparing two projections article by article.
    ///
    /// Unreadable ids and hashes are kept (as the id of an empty url and a zero hash) so that the
    /// comparison shows them as differences rather than throwing.
    package func stateHashes(_ db: Database) throws -> [ArticleID: SHA256Digest] {
        var hashes: [ArticleID: SHA256Digest] = [:]
        let rows = try Row.fetchCursor(db, sql: "SELECT id, state_hash FROM article")
        while let row = try rows.next() {
            hashes[ArticleID(hex: row[0]) ?? ArticleID(url: "")] = SHA256Digest(bytes: Array(row[1] as Data)) ?? .zero
        }
        return hashes
    }

    /// Articles whose rows no longer hash to their stored state hash (rows edited behind the
    /// projector's back), or whose conflict rows disagree with their heads.
    ///
    /// Also checks tag rows, the search index's row count and every `article_head` row. Stops
    /// reading articles once `limit` problems are found (the index and head checks that follow
    /// may add more); problems are reported, never thrown, and nothing is repaired (`rebuild`
    /// does that).
    ///
    /// - Throws: `ArticleProjectorError.Code.corruptRow` when a row cannot be decoded at all;
    ///   GRDB's `DatabaseError` when SQLite fails.
    package func inconsistentArticles(_ db: Database, limit: Int = 20) throws -> [String] {
        var problems: [String] = []
        let rows = try Row.fetchAll(db, sql: "SELECT key, id, article_id FROM article ORDER BY key")
        for row in rows {
            let key: Int64 = row[0]
            guard let id = ArticleID(hex: row[1]) else {
                problems.append("article row \(key) has an unreadable id")
                continue
            }
            guard let stored = try load(id, db) else { continue }
            if stored.state.stateHash != stored.stateHash {
                problems.append("article \(id): its rows do not hash to its stored state hash")
            }
            if ArticleID(url: stored.state.text(.url)).hex != (row[2] as String) {
                problems.append("capture \(id): the article it is filed under is not the one its url names")
            }
            let disagreeing = stored.state.fieldsDisagreeingWithHeads
            if !disagreeing.isEmpty {
                let names = disagreeing.map(\.rawValue).joined(separator: ", ")
                problems.append("article \(id): its \(names) do not match the values its events wrote")
            }
            let tagRows = Set(
                try String.fetchAll(db, sql: "SELECT tag FROM article_tag WHERE article = ?", arguments: [key]).map(
                    Tag.init))
            if tagRows != Set(stored.state.tags) {
                problems.append("article \(id): its tag rows do not match its tag adds")
            }
            let conflictRows = Set(
                try String.fetchAll(
                    db, sql: "SELECT field FROM article_conflict WHERE article = ?", arguments: [key]))
            let expected = Set(stored.state.conflictedFields.map(\.rawValue))
            if conflictRows != expected {
                problems.append("article \(id): its conflict rows do not match its register heads")
            }
            if problems.count >= limit { break }
        }
        // Each capture is in the index or queued for it, not both (SearchIndex.swift).
        let searchRows = try Int.fetchOne(db, sql: "SELECT count(*) FROM article_search_row") ?? 0
        let queued = try Int.fetchOne(db, sql: "SELECT count(*) FROM search_pending") ?? 0
        let both =
            try Int.fetchOne(
                db, sql: "SELECT count(*) FROM search_pending p JOIN article_search_row r ON r.article = p.article")
            ?? 0
        let strays =
            try Int.fetchOne(
                db,
                sql: """
                    SELECT (SELECT count(*) FROM article_search_row WHERE article NOT IN (SELECT key FROM article))
                         + (SELECT count(*) FROM search_pending WHERE article NOT IN (SELECT key FROM article))
                    """) ?? 0
        if searchRows + queued != rows.count || both > 0 || strays > 0 {
            problems.append(
                "the search index has \(searchRows) rows and \(queued) captures queued for \(rows.count) captures")
        }
        // Each article's head row, recomputed from its captures' rows.
        let wrongHeads = try String.fetchAll(
            db,
            sql: """
                SELECT e.article_id FROM (
                    SELECT article_id, count(*) AS captures, sum(deleted = 0) AS live, max(last_hlc) AS last_hlc,
                        (SELECT b.key FROM article b WHERE b.article_id = a.article_id
                         ORDER BY b.deleted, b.captured_at DESC, b.id DESC LIMIT 1) AS head
                    FROM article a GROUP BY article_id) e
                LEFT JOIN article_head h ON h.article_id = e.article_id
                WHERE h.head IS NOT e.head OR h.captures IS NOT e.captures OR h.live IS NOT e.live
                    OR h.last_hlc IS NOT e.last_hlc
                    OR h.captured_at IS NOT (SELECT captured_at FROM article WHERE key = e.head)
                UNION ALL
                SELECT article_id FROM article_head WHERE article_id NOT IN (SELECT article_id FROM article)
                LIMIT ?
                """, arguments: [limit])
        for article in wrongHeads { problems.append("article \(article): its head row does not match its captures") }
        return problems
    }
}
