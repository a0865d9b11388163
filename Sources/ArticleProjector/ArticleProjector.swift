import ArchiveModel
import Foundation
import GRDB

/// Turns events into the article tables, inside the transaction that appends them.
///
/// `apply` must be called once for every event the journal appends, in journal order, in the
/// same transaction; then the tables are the projection of the journal and `digest` its hash.
/// It loads the article's `ArticleState`, applies the event with the rules of ArchiveModel and
/// writes back only the rows that changed.
public struct ArticleProjector: Sendable {
    public init() {}

    /// Applies one newly appended event to the article tables and the digest.
    @discardableResult
    public func apply(_ event: Event, _ db: Database) throws -> StateChange {
        let loaded = try load(event.article, db)
        var state = loaded?.state ?? ArticleState(id: event.article)
        let before = state
        let change = state.apply(event)
        let firstHLC = min(loaded?.firstHLC ?? event.hlc, event.hlc)
        let lastHLC = max(loaded?.lastHLC ?? event.hlc, event.hlc)
        let newHash = state.stateHash
        try saveArticle(state, firstHLC: firstHLC, lastHLC: lastHLC, stateHash: newHash, db)
        try saveRegisters(before: before, after: state, fields: change.touchedFields, db)
        try saveTags(before: before, after: state, event: event, db)
        let textChanged = change.values.contains { $0.field == .title || $0.field == .body }
        if loaded == nil || textChanged { try index(state, replacing: loaded == nil ? nil : before, db) }
        try updateDigest(removing: loaded?.stateHash ?? .zero, adding: newHash, db)
        return change
    }

    /// An article's state as stored, with its bookkeeping columns.
    public struct StoredState: Sendable {
        public var state: ArticleState
        public var firstHLC: HybridTimestamp
        public var lastHLC: HybridTimestamp
        public var stateHash: SHA256Digest
    }

    /// Loads an article's registers, tags and bookkeeping; nil when no event has touched it.
    public func load(_ id: ArticleID, _ db: Database) throws -> StoredState? {
        let key = id.rowid
        guard
            let row = try Row.fetchOne(
                db.cachedStatement(
                    sql: """
                        SELECT url, title, body, front_matter, captured_at, path, note, deleted, first_hlc, last_hlc, state_hash
                        FROM article WHERE key = ?
                        """), arguments: [key])
        else { return nil }
        let values: [Field: FieldValue] = [
            .url: .text(row[0]), .title: .text(row[1]), .body: .text(row[2]), .frontMatter: .text(row[3]),
            .capturedAt: .integer(row[4]), .path: .text(row[5]), .note: .text(row[6]), .deleted: .flag(row[7]),
        ]
        var heads: [Field: [RegisterHead]] = [:]
        let headRows = try Row.fetchCursor(
            db.cachedStatement(sql: "SELECT field, origin, seq, hlc, value_hash FROM article_head WHERE article = ?"),
            arguments: [key])
        while let headRow = try headRows.next() {
            guard let field = Field(rawValue: headRow[0]), let origin = OriginID(hex: headRow[1]),
                let valueHash = SHA256Digest(bytes: Array(headRow[4] as Data))
            else { throw ArticleProjectorError(.corruptRow, "article \(id) has an unreadable register head") }
            heads[field, default: []].append(
                RegisterHead(
                    dot: Dot(origin: origin, seq: headRow[2]), hlc: HybridTimestamp(packed: headRow[3]),
                    valueHash: valueHash))
        }
        var registers: [Field: Register] = [:]
        for (field, fieldHeads) in heads {
            registers[field] = Register(heads: fieldHeads, value: values[field] ?? field.defaultValue)
        }
        var tagAdds: [Tag: Set<Dot>] = [:]
        let tagRows = try Row.fetchCursor(
            db.cachedStatement(sql: "SELECT tag, origin, seq FROM article_tag_add WHERE article = ?"), arguments: [key])
        while let tagRow = try tagRows.next() {
            guard let origin = OriginID(hex: tagRow[1]) else {
                throw ArticleProjectorError(.corruptRow, "article \(id) has an unreadable tag row")
            }
            tagAdds[Tag(tagRow[0]), default: []].insert(Dot(origin: origin, seq: tagRow[2]))
        }
        guard let stateHash = SHA256Digest(bytes: Array(row[10] as Data)) else {
            throw ArticleProjectorError(.corruptRow, "article \(id) has an unreadable state hash")
        }
        return StoredState(
            state: ArticleState(id: id, registers: registers, tagAdds: tagAdds),
            firstHLC: HybridTimestamp(packed: row[8]), lastHLC: HybridTimestamp(packed: row[9]), stateHash: stateHash)
    }

    private func saveArticle(
        _ state: ArticleState, firstHLC: HybridTimestamp, lastHLC: HybridTimestamp, stateHash: SHA256Digest,
        _ db: Database
    ) throws {
        try db.cachedStatement(
            sql: """
                INSERT INTO article (key, id, url, title, body, front_matter, captured_at, path, note, deleted,
                                     first_hlc, last_hlc, state_hash)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (key) DO UPDATE SET
                    url = excluded.url, title = excluded.title, body = excluded.body,
                    front_matter = excluded.front_matter, captured_at = excluded.captured_at, path = excluded.path,
                    note = excluded.note, deleted = excluded.deleted, first_hlc = excluded.first_hlc,
                    last_hlc = excluded.last_hlc, state_hash = excluded.state_hash
                """
        ).execute(arguments: [
            state.id.rowid, state.id.hex, state.text(.url), state.text(.title), state.text(.body),
            state.text(.frontMatter), state.capturedAt, state.text(.path), state.text(.note), state.isDeleted,
            firstHLC.packed, lastHLC.packed, Data(stateHash.bytes),
        ])
    }

    private func saveRegisters(before: ArticleState, after: ArticleState, fields: Set<Field>, _ db: Database) throws {
        let key = after.id.rowid
        for field in fields.sorted() {
            let old = Set(before.registers[field]?.heads ?? [])
            let new = Set(after.registers[field]?.heads ?? [])
            for head in old.subtracting(new) {
                try db.cachedStatement(
                    sql: "DELETE FROM article_head WHERE article = ? AND field = ? AND origin = ? AND seq = ?"
                )
                .execute(arguments: [key, field.rawValue, head.dot.origin.hex, head.dot.seq])
            }
            for head in new.subtracting(old) {
                try db.cachedStatement(
                    sql: """
                        INSERT INTO article_head (article, field, origin, seq, hlc, value_hash) VALUES (?, ?, ?, ?, ?, ?)
                        """
                ).execute(arguments: [
                    key, field.rawValue, head.dot.origin.hex, head.dot.seq, head.hlc.packed, Data(head.valueHash.bytes),
                ])
            }
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

    private func saveTags(before: ArticleState, after: ArticleState, event: Event, _ db: Database) throws {
        let key = after.id.rowid
        for text in Set(event.changes.compactMap(\.tag)) {
            let tag = Tag(text)
            let old = before.tagAdds[tag] ?? []
            let new = after.tagAdds[tag] ?? []
            for dot in old.subtracting(new) {
                try db.cachedStatement(
                    sql: "DELETE FROM article_tag_add WHERE article = ? AND tag = ? AND origin = ? AND seq = ?"
                )
                .execute(arguments: [key, tag.text, dot.origin.hex, dot.seq])
            }
            for dot in new.subtracting(old) {
                try db.cachedStatement(
                    sql: "INSERT INTO article_tag_add (article, tag, origin, seq) VALUES (?, ?, ?, ?)"
                )
                .execute(arguments: [key, tag.text, dot.origin.hex, dot.seq])
            }
        }
    }

    /// Indexes the article's title and body; `old` is the state whose text the index holds now.
    ///
    /// The index is contentless (it keeps only the index, not the text), so removing a row means
    /// giving FTS5 the text it indexed: the old title and body, segmented the same way.
    private func index(_ state: ArticleState, replacing old: ArticleState?, _ db: Database) throws {
        let key = state.id.rowid
        if let old {
            try db.cachedStatement(
                sql: """
                    INSERT INTO article_search (article_search, rowid, title, body) VALUES ('delete', ?, ?, ?)
                    """
            ).execute(arguments: [
                key, SearchText.indexText(old.text(.title)), SearchText.indexText(ofHTML: old.text(.body)),
            ])
        }
        try db.cachedStatement(sql: "INSERT INTO article_search (rowid, title, body) VALUES (?, ?, ?)")
            .execute(arguments: [
                key, SearchText.indexText(state.text(.title)), SearchText.indexText(ofHTML: state.text(.body)),
            ])
    }

    // MARK: Digest

    /// The archive digest: the XOR of every article's state hash, kept up to date by `apply`.
    public func digest(_ db: Database) throws -> SHA256Digest {
        guard
            let data = try Data.fetchOne(
                db.cachedStatement(sql: "SELECT value FROM projection_state WHERE key = 'digest'")),
            let digest = SHA256Digest(bytes: Array(data))
        else { throw ArticleProjectorError(.corruptRow, "the projection has no readable digest") }
        return digest
    }

    private func updateDigest(removing old: SHA256Digest, adding new: SHA256Digest, _ db: Database) throws {
        let updated = try digest(db) ^ old ^ new
        try db.cachedStatement(sql: "UPDATE projection_state SET value = ? WHERE key = 'digest'")
            .execute(arguments: [Data(updated.bytes)])
    }
}
