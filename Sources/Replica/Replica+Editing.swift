import ArchiveModel
import ArticleProjector
import EventJournal
import GRDB

/// An article as `show` presents it.
public struct ArticleDetail: Sendable {
    public var state: ArticleState
    public var firstHLC: HybridTimestamp
    public var lastHLC: HybridTimestamp
    public var eventCount: Int
}

extension Replica {
    /// The article whose id is `text` or starts with it.
    ///
    /// Throws `unknownArticle` when none does and `ambiguousArticle` (listing some) when several do.
    public func resolveArticle(_ text: String) throws -> ArticleID {
        try read { db in try Self.resolveArticle(text, projector: self.projector, db) }
    }

    static func resolveArticle(_ text: String, projector: ArticleProjector, _ db: Database) throws -> ArticleID {
        let matches = try projector.articleIDs(withPrefix: text, limit: 6, db)
        if matches.count == 1 { return matches[0] }
        if matches.isEmpty {
            throw ReplicaError(
                .unknownArticle, "there is no article with id \(text.isEmpty ? "\"\"" : text) (see `archive-sync list`)"
            )
        }
        let shown = matches.prefix(5).map(\.hex).joined(separator: ", ")
        throw ReplicaError(
            .ambiguousArticle,
            "the id \(text) is ambiguous: it starts \(shown)\(matches.count > 5 ? ", …" : ""); give more digits")
    }

    /// The article with its registers, tags and bookkeeping.
    public func article(_ id: ArticleID) throws -> ArticleDetail {
        try read { db in
            guard let stored = try projector.load(id, db) else {
                throw ReplicaError(.unknownArticle, "there is no article with id \(id)")
            }
            let count =
                try Int.fetchOne(db, sql: "SELECT count(*) FROM journal WHERE article = ?", arguments: [id.hex]) ?? 0
            return ArticleDetail(
                state: stored.state, firstHLC: stored.firstHLC, lastHLC: stored.lastHLC, eventCount: count)
        }
    }

    /// Creates a new article. `path` defaults to `<id>.txt`, `capturedAt` to now.
    ///
    /// Throws `articleExists` when an article with this url's id is already held.
    public func capture(
        url: String, title: String, body: String, frontMatter: String = "", capturedAt: Int64? = nil,
        path: String? = nil, note: String = "", tags: [String] = []
    ) throws -> Event {
        let id = ArticleID(url: url)
        let capturedAt = capturedAt ?? wallClock()
        return try write { writer, db in
            if try projector.load(id, db) != nil {
                throw ReplicaError(
                    .articleExists,
                    "an article with this url already exists (id \(id)); change it with `archive-sync edit \(id)`")
            }
            var changes: [Change] = [
                .set(.url, .text(url)), .set(.title, .text(title)), .set(.body, .text(body)),
                .set(.capturedAt, .integer(capturedAt)), .set(.path, .text(path ?? "\(id).txt")),
            ]
            if !frontMatter.isEmpty { changes.append(.set(.frontMatter, .text(frontMatter))) }
            if !note.isEmpty { changes.append(.set(.note, .text(note))) }
            for tag in Self.uniqueTags(tags) { changes.append(.tagAdd(tag)) }
            return try writer.write(.create, article: id, changes: changes, db).event
        }
    }

    /// Sets fields of a live article; only the values that differ are written.
    ///
    /// Throws `articleDeleted` for a deleted article and `nothingToChange` when every value is
    /// already the article's.
    public func edit(_ id: ArticleID, values: [(Field, FieldValue)]) throws -> Event {
        try write { writer, db in
            let state = try Self.liveState(id, projector: projector, action: "edit", db)
            var changes: [Change] = []
            for (field, value) in values.sorted(by: { $0.0 < $1.0 }) where state.value(of: field) != value {
                changes.append(.set(field, value))
            }
            guard !changes.isEmpty else {
                throw ReplicaError(.nothingToChange, "article \(id) already has these values; nothing was written")
            }
            return try writer.write(.update, article: id, changes: changes, db).event
        }
    }

    /// Marks a live article deleted (a tombstone: its history and content stay).
    public func delete(_ id: ArticleID) throws -> Event {
        try write { writer, db in
            _ = try Self.liveState(id, projector: projector, action: "delete", db)
            return try writer.write(.delete, article: id, changes: [.set(.deleted, .flag(true))], db).event
        }
    }

    /// Brings a deleted article back.
    public func restore(_ id: ArticleID) throws -> Event {
        try write { writer, db in
            guard let stored = try projector.load(id, db) else {
                throw ReplicaError(.unknownArticle, "there is no article with id \(id)")
            }
            guard stored.state.isDeleted else {
                throw ReplicaError(.articleNotDeleted, "article \(id) is not deleted; there is nothing to restore")
            }
            return try writer.write(.restore, article: id, changes: [.set(.deleted, .flag(false))], db).event
        }
    }

    /// Adds and removes tags.
    ///
    /// An add is always written, even for a tag already present: it states the intention, so it
    /// wins over a remove made concurrently elsewhere (tags are an add-wins set). Removing a tag
    /// the article does not have is an error.
    public func tag(_ id: ArticleID, add: [String], remove: [String]) throws -> Event {
        try write { writer, db in
            let state = try Self.liveState(id, projector: projector, action: "tag", db)
            let present = Set(state.tags)
            let adding = Self.uniqueTags(add)
            let removing = Self.uniqueTags(remove)
            if let overlap = adding.first(where: { removing.contains($0) }) {
                throw ReplicaError(.invalidValue, "the tag \(overlap) is both added and removed")
            }
            if let absent = removing.first(where: { !present.contains(Tag($0)) }) {
                throw ReplicaError(.invalidValue, "article \(id) has no tag \(absent)")
            }
            let changes = adding.map(Change.tagAdd) + removing.map(Change.tagRemove)
            guard !changes.isEmpty else { throw ReplicaError(.nothingToChange, "no tag to add or remove") }
            return try writer.write(.update, article: id, changes: changes, db).event
        }
    }

    /// Picks the value of a field in conflict: the value of one of its heads or a new one.
    ///
    /// The resolve event's clock covers every head, so the conflict ends wherever it travels.
    public func resolve(_ id: ArticleID, field: Field, take: String?, value: FieldValue?) throws -> Event {
        try write { writer, db in
            guard let stored = try projector.load(id, db) else {
                throw ReplicaError(.unknownArticle, "there is no article with id \(id)")
            }
            if field != .deleted, stored.state.isDeleted {
                throw ReplicaError(
                    .articleDeleted, "article \(id) is deleted; restore it first with `archive-sync restore \(id)`")
            }
            guard let register = stored.state.registers[field], register.isConflict else {
                throw ReplicaError(
                    .notInConflict,
                    "the \(field) of article \(id) is not in conflict; use `archive-sync edit` to change it")
            }
            let chosen: FieldValue
            if let take {
                guard let (prefix, seq) = Dot.parse(take),
                    let head = register.heads.first(where: { $0.dot.seq == seq && $0.dot.origin.hex.hasPrefix(prefix) })
                else {
                    let heads = register.heads.map { "\($0.dot.origin.short):\($0.dot.seq)" }.joined(separator: ", ")
                    throw ReplicaError(
                        .unknownHead, "\(take) is not one of the conflicting values of \(field) (\(heads))")
                }
                guard let event = try journal.event(head.dot, db)?.event, let headValue = event.value(of: field) else {
                    throw ReplicaError(.unknownHead, "the event \(head.dot) is missing from the journal")
                }
                chosen = headValue
            } else if let value {
                chosen = value
            } else {
                throw ReplicaError(.invalidValue, "say which value to keep: --take ORIGIN:SEQ or --value VALUE")
            }
            return try writer.write(.resolve, article: id, changes: [.set(field, chosen)], db).event
        }
    }

    static func liveState(
        _ id: ArticleID, projector: ArticleProjector, action: String, _ db: Database
    ) throws -> ArticleState {
        guard let stored = try projector.load(id, db) else {
            throw ReplicaError(.unknownArticle, "there is no article with id \(id)")
        }
        if stored.state.isDeleted {
            throw ReplicaError(
                .articleDeleted,
                "article \(id) is deleted; restore it first with `archive-sync restore \(id)`, then \(action) it")
        }
        return stored.state
    }

    static func uniqueTags(_ tags: [String]) -> [String] {
        var seen = Set<Tag>()
        return tags.filter { seen.insert(Tag($0)).inserted }
    }
}
