import ArchiveModel
import Foundation
import GRDB

/// Turns events into the article tables, inside the transaction that appends them.
///
/// Every event the journal appends must be applied once, in journal order, in the same
/// transaction; then the tables are the projection of the journal and `digest` its hash. Applying
/// an event loads the article's `ArticleState` (one row), applies the event with the rules of
/// ArchiveModel and writes the row back, with the tag, conflict and search rows that changed.
///
/// The projection keeps these invariants:
///
/// - **A function of the events held** (invariant 6). Each capture's state (its fields, register
///   heads, tag adds and conflicts) depends only on the set of events held, not on the causal
///   order they arrived in, so a full `rebuild` gives the same states and digest as the
///   incremental projection, and two replicas holding the same events agree. Only bookkeeping
///   follows arrival: row keys and search index rowids.
/// - **The digest is the XOR of the state hashes** of every capture row (`ArticleState.stateHash`,
///   the SHA-256 of its canonical JSON), zero for an empty archive. Applying an event XORs out the
///   capture's old hash and XORs in the new one, so `digest(_:)` is one read, and
///   `digestOfStoredStates(_:)` recomputes it from the rows for `verify`.
/// - **Derived tables follow the rows**: `article_head` (one row per article, its head capture),
///   `article_tag`, `article_conflict` and the search index are updated with each row they
///   derive from; `inconsistentArticles(_:limit:)` checks them.
///
/// ## Transactions
///
/// `ArticleProjector` holds no connection and no state: every method takes the `Database` of a
/// GRDB read or write the caller opened, and the caller owns the transaction. Apply events in the
/// write that appends them to the `EventJournal`, so both commit or neither does (invariant 5):
///
/// ```swift
/// try dbPool.write { db in
///     var projection = try projector.batch(db)
///     for event in events {
///         if case .appended = try journal.append(event, db) {
///             try projection.apply(event, db)
///         }
///     }
///     try projection.finish(db)   // stores the digest before the write commits
/// }
/// ```
///
/// Methods throw `ArticleProjectorError` for rows they cannot read, and let GRDB's
/// `DatabaseError` through for SQLite failures.
package struct ArticleProjector: Sendable {
    package init() {}

    /// Applies a run of events in one transaction, keeping the archive digest in memory.
    ///
    /// Call `finish` before the transaction commits: it stores the digest. A batch belongs to the
    /// transaction it was made in (`ArticleProjector.batch(_:)`); its digest is wrong in any other.
    package struct Batch {
        let projector: ArticleProjector
        /// The digest of the tables as changed so far.
        package private(set) var digest: SHA256Digest
        /// The captures this batch queued for the search index, in the order it queued them.
        package private(set) var queuedForSearch: [Int64] = []
        private var dirty = false

        init(projector: ArticleProjector, digest: SHA256Digest) {
            self.projector = projector
            self.digest = digest
        }

        /// Applies one newly appended event to the article tables.
        ///
        /// The event must be new to the projection (just appended, never applied) and come after
        /// its causal past, as journal order does: the register rules assume both, and applying an
        /// event twice is not detected here.
        ///
        /// - Returns: What the event changed in its capture's state.
        /// - Throws: `ArticleProjectorError.Code.corruptRow` when the capture's row cannot be read;
        ///   GRDB's `DatabaseError` when SQLite fails. The transaction is then the caller's to roll
        ///   back: rows may be half written.
        @discardableResult
        package mutating func apply(_ event: Event, _ db: Database) throws -> StateChange {
            let (change, removed, added, queued) = try projector.project(event, db)
            if let queued { queuedForSearch.append(queued) }
            digest = digest ^ removed ^ added
            dirty = true
            return change
        }

        /// Stores the digest; the batch may go on being used afterwards.
        ///
        /// Writes nothing when no event was applied since the last `finish`.
        ///
        /// - Throws: GRDB's `DatabaseError` when SQLite fails.
        package mutating func finish(_ db: Database) throws {
            guard dirty else { return }
            try db.cachedStatement(sql: "UPDATE projection_state SET value = ? WHERE key = 'digest'")
                .execute(arguments: [Data(digest.bytes)])
            dirty = false
        }
    }

    /// A batch for applying events in the transaction of `db`, starting from the stored digest.
    ///
    /// - Throws: `ArticleProjectorError.Code.corruptRow` when the stored digest cannot be read.
    package func batch(_ db: Database) throws -> Batch {
        Batch(projector: self, digest: try digest(db))
    }

    /// Applies one newly appended event and stores the digest (a batch of one).
    ///
    /// Same rules and errors as `Batch.apply(_:_:)`; for more than one event a `Batch` saves a
    /// digest read and write per event.
    @discardableResult
    package func apply(_ event: Event, _ db: Database) throws -> StateChange {
        var batch = try batch(db)
        let change = try batch.apply(event, db)
        try batch.finish(db)
        return change
    }

    /// Applies `event` to its article's rows; returns what changed, the article's old and new
    /// state hashes (zero when it did not exist) for the digest, and its row's key when it was
    /// queued for the search index.
    private func project(
        _ event: Event, _ db: Database
    ) throws -> (StateChange, SHA256Digest, SHA256Digest, queued: Int64?) {
        let loaded = try load(event.article, db)
        var state = loaded?.state ?? ArticleState(id: event.article)
        let before = state
        let change = state.apply(event)
        let firstHLC = min(loaded?.firstHLC ?? event.hlc, event.hlc)
        let lastHLC = max(loaded?.lastHLC ?? event.hlc, event.hlc)
        let newHash = state.stateHash
        let key = try save(state, key: loaded?.key, firstHLC: firstHLC, lastHLC: lastHLC, stateHash: newHash, db)
        let article = ArticleID(url: state.text(.url))
        if loaded != nil, !change.values.contains(where: { Self.headFields.contains($0.field) }) {
            // Which capture heads the article cannot have changed: only its latest hlc may have.
            try db.cachedStatement(
                sql: "UPDATE article_head SET last_hlc = max(last_hlc, ?) WHERE article_id = ?"
            ).execute(arguments: [lastHLC.packed, article.hex])
        } else {
            try refreshHead(of: article, db)
            if let loaded, case let old = ArticleID(url: loaded.state.text(.url)), old != article {
                try refreshHead(of: old, db)
            }
        }
        try saveConflicts(before: before, after: state, key: key, fields: change.touchedFields, db)
        try saveTags(change, key: key, db)
        // The search index follows behind (`indexPending(limit:_:)`): what it holds of this
        // capture is taken out now, while its old text is at hand, and the capture waits.
        var queued: Int64?
        if loaded == nil || change.values.contains(where: { Self.indexedFields.contains($0.field) }) {
            try unindex(key: key, indexed: loaded == nil ? nil : before, db)
            queued = key
        }
        return (change, loaded?.stateHash ?? .zero, newHash, queued)
    }

    /// The fields that decide which capture heads an article.
    private static let headFields: Set<Field> = [.url, .capturedAt, .deleted]
    /// The fields the search index holds of a capture (its rowid follows the capture time).
    private static let indexedFields: Set<Field> = [.title, .body, .capturedAt]

    /// An article's state as stored, with its bookkeeping columns.
    package struct StoredState: Sendable {
        /// The article's row (`article.key`).
        package var key: Int64
        package var state: ArticleState
        package var firstHLC: HybridTimestamp
        package var lastHLC: HybridTimestamp
        package var stateHash: SHA256Digest
    }

    /// Loads an article's registers, tags and bookkeeping; nil when no event has touched it.
    ///
    /// `id` is a capture's id (the `article.id` column), not the article its url names.
    ///
    /// - Throws: `ArticleProjectorError.Code.corruptRow` when the row's state hash, heads or tag
    ///   adds cannot be decoded; GRDB's `DatabaseError` when SQLite fails.
    package func load(_ id: ArticleID, _ db: Database) throws -> StoredState? {
        guard
            let row = try Row.fetchOne(
                db.cachedStatement(
                    sql: """
                        SELECT url, title, body, front_matter, captured_at, path, note, deleted, first_hlc, last_hlc,
                               state_hash, heads, tag_adds, key, date_line
                        FROM article WHERE id = ?
                        """), arguments: [id.hex])
        else { return nil }
        let values: [Field: FieldValue] = [
            .url: .text(row[0]), .title: .text(row[1]), .body: .text(row[2]), .frontMatter: .text(row[3]),
            .capturedAt: .integer(row[4]), .path: .text(row[5]), .note: .text(row[6]), .deleted: .flag(row[7]),
            .dateLine: .text(row[14]),
        ]
        var registers: [Field: Register] = [:]
        for (field, heads) in try RegisterCodec.decodeHeads(Array(row[11] as Data)) {
            registers[field] = Register(heads: heads, value: values[field] ?? field.defaultValue)
        }
        let tagAdds = try RegisterCodec.decodeTagAdds(Array(row[12] as Data))
        guard let stateHash = SHA256Digest(bytes: Array(row[10] as Data)) else {
            throw ArticleProjectorError(.corruptRow, "article \(id) has an unreadable state hash")
        }
        return StoredState(
            key: row[13], state: ArticleState(id: id, registers: registers, tagAdds: tagAdds),
            firstHLC: HybridTimestamp(packed: row[8]), lastHLC: HybridTimestamp(packed: row[9]), stateHash: stateHash)
    }

    /// Writes the article's row; returns its key (new rows append).
    private func save(
        _ state: ArticleState, key: Int64?, firstHLC: HybridTimestamp, lastHLC: HybridTimestamp,
        stateHash: SHA256Digest, _ db: Database
    ) throws -> Int64 {
        let values: [(any DatabaseValueConvertible)?] = [
            state.text(.url), state.text(.title), state.text(.body), state.text(.frontMatter), state.capturedAt,
            state.text(.path), state.text(.note), state.isDeleted, firstHLC.packed, lastHLC.packed,
            Data(stateHash.bytes), Data(RegisterCodec.encodeHeads(state.registers)),
            Data(RegisterCodec.encodeTagAdds(state.tagAdds)), ArticleID(url: state.text(.url)).hex,
            state.text(.dateLine),
        ]
        if let key {
            try db.cachedStatement(
                sql: """
                    UPDATE article SET url = ?, title = ?, body = ?, front_matter = ?, captured_at = ?, path = ?, note = ?,
                        deleted = ?, first_hlc = ?, last_hlc = ?, state_hash = ?, heads = ?, tag_adds = ?,
                        article_id = ?, date_line = ?
                    WHERE key = ?
                    """
            ).execute(arguments: StatementArguments(values + [key]))
            return key
        }
        try db.cachedStatement(
            sql: """
                INSERT INTO article (url, title, body, front_matter, captured_at, path, note, deleted, first_hlc, last_hlc,
                                     state_hash, heads, tag_adds, article_id, date_line, id)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
        ).execute(arguments: StatementArguments(values + [state.id.hex]))
        return db.lastInsertedRowID
    }

    /// Rewrites the head row of `article` from its captures' rows (or removes it when it has
    /// none left): which capture `list` shows, how many it has, and its latest hlc.
    private func refreshHead(of article: ArticleID, _ db: Database) throws {
        let rows = try Row.fetchAll(
            db.cachedStatement(
                sql: """
                    SELECT key, deleted, last_hlc, captured_at FROM article WHERE article_id = ?
                    ORDER BY deleted, captured_at DESC, id DESC
                    """), arguments: [article.hex])
        guard let head = rows.first else {
            try db.cachedStatement(sql: "DELETE FROM article_head WHERE article_id = ?").execute(arguments: [
                article.hex
            ])
            return
        }
        let live = rows.count(where: { !($0[1] as Bool) })
        let lastHLC = rows.map { $0[2] as Int64 }.max() ?? 0
        try db.cachedStatement(
            sql: """
                INSERT INTO article_head (article_id, head, captures, live, last_hlc, captured_at)
                VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT (article_id) DO UPDATE SET head = excluded.head, captures = excluded.captures,
                    live = excluded.live, last_hlc = excluded.last_hlc, captured_at = excluded.captured_at
                """
        ).execute(arguments: [article.hex, head[0] as Int64, rows.count, live, lastHLC, head[3] as Int64])
    }

    private func saveConflicts(
        before: ArticleState, after: ArticleState, key: Int64, fields: Set<Field>, _ db: Database
    ) throws {
        for field in fields.sorted() {
            let wasConflict = before.registers[field]?.isConflict ?? false
            let isConflict = after.registers[field]?.isConflict ?? false
            if isConflict && !wasConflict {
                try db.cachedStatement(sql: "INSERT INTO article_conflict (article, field) VALUES (?, ?)")
                    .execute(arguments: [key, field.rawValue])
            } else if wasConflict && !isConflict {
                try db.cachedStatement(sql: "DELETE FROM article_conflict WHERE article = ? AND field = ?")
                    .execute(arguments: [key, field.rawValue])
            }
        }
    }

    private func saveTags(_ change: StateChange, key: Int64, _ db: Database) throws {
        for tag in change.tagsAdded {
            try db.cachedStatement(sql: "INSERT INTO article_tag (article, tag) VALUES (?, ?)")
                .execute(arguments: [key, tag.text])
        }
        for tag in change.tagsRemoved {
            try db.cachedStatement(sql: "DELETE FROM article_tag WHERE article = ? AND tag = ?")
                .execute(arguments: [key, tag.text])
        }
    }

    // MARK: Digest

    /// The archive digest: the XOR of every article's state hash, kept up to date by `apply`.
    ///
    /// Two replicas that hold the same events have the same digest, so `status` and sync compare
    /// archives with it. Inside a `Batch` that has not finished, the batch's `digest` is the
    /// current one; this reads the stored value.
    ///
    /// - Throws: `ArticleProjectorError.Code.corruptRow` when the stored digest is missing or not
    ///   32 bytes.
    package func digest(_ db: Database) throws -> SHA256Digest {
        guard
            let data = try Data.fetchOne(
                db.cachedStatement(sql: "SELECT value FROM projection_state WHERE key = 'digest'")),
            let digest = SHA256Digest(bytes: Array(data))
        else { throw ArticleProjectorError(.corruptRow, "the projection has no readable digest") }
        return digest
    }
}
