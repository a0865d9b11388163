import ArchiveModel
import Foundation
import GRDB

/// One line of `list` or `search`: an article, shown by its head capture (its newest live one).
package struct ArticleSummary: Sendable {
    /// The article: `ArticleID(url:)` of its captures' url.
    package var id: ArticleID
    /// The capture shown.
    package var capture: ArticleID
    /// How many captures the article has (the live ones, or all when every one is deleted).
    package var captures: Int
    package var title: String
    package var url: String
    package var path: String
    package var capturedAt: Int64
    /// True when every capture of the article is deleted.
    package var deleted: Bool
    /// The tags of its captures (of the live ones, unless every one is deleted).
    package var tags: [String]
    package var conflicts: [Field]
    package var lastHLC: HybridTimestamp
    /// For search results: a short piece of text around the first match.
    package var snippet: String?
}

/// One capture of an article, as `show` and `history` list them.
package struct CaptureSummary: Sendable {
    package var id: ArticleID
    package var path: String
    package var capturedAt: Int64
    package var dateLine: String
    package var title: String
    package var url: String
    package var bodyBytes: Int
    package var deleted: Bool
}

/// One field in conflict: the heads that disagree.
package struct FieldConflict: Sendable {
    /// The capture whose field is in conflict.
    package var article: ArticleID
    package var title: String
    package var field: Field
    package var heads: [RegisterHead]
    package var winner: RegisterHead?
}

/// How `list` orders articles.
package enum ArticleOrder: String, CaseIterable, Sendable {
    case captured, updated, title, path
}

// The queries below only read: each runs in the caller's transaction (a read is enough) and throws
// GRDB's `DatabaseError` when SQLite fails; those that load a capture's state also throw
// `ArticleProjectorError.Code.corruptRow` when its row cannot be decoded.
extension ArticleProjector {
    /// Articles, one line each (its head capture), newest capture first by default.
    ///
    /// ```swift
    /// let page = try dbPool.read { db in
    ///     try projector.list(includeDeleted: false, tag: "korea", order: .updated, limit: 50, db)
    /// }
    /// ```
    ///
    /// - Parameters:
    ///   - includeDeleted: Also list articles every capture of which is deleted.
    ///   - onlyDeleted: List only those (takes precedence over `includeDeleted`).
    ///   - tag: Only articles with a capture carrying this tag (a live capture, unless every one
    ///     is deleted).
    ///   - order: The order; ties are broken by article id, so pages are stable.
    ///   - limit: The most articles returned, nil for all.
    ///   - db: A connection in a transaction the caller owns.
    /// - Throws: GRDB's `DatabaseError` when SQLite fails.
    package func list(
        includeDeleted: Bool, onlyDeleted: Bool = false, tag: String?, order: ArticleOrder = .captured,
        limit: Int?, _ db: Database
    ) throws -> [ArticleSummary] {
        var conditions: [String] = []
        var arguments: StatementArguments = []
        if onlyDeleted {
            conditions.append("h.live = 0")
        } else if !includeDeleted {
            conditions.append("h.live > 0")
        }
        if let tag {
            conditions.append(
                """
                EXISTS (SELECT 1 FROM article b JOIN article_tag t ON t.article = b.key
                        WHERE b.article_id = h.article_id AND (b.deleted = 0 OR h.live = 0) AND t.tag = ?)
                """)
            arguments += [tag]
        }
        let orderBy =
            switch order {
            case .captured: "h.captured_at DESC, h.article_id"
            case .updated: "h.last_hlc DESC, h.article_id"
            case .title: "a.title, h.article_id"
            case .path: "a.path, h.article_id"
            }
        let filter = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
        var sql = Self.summarySelect
        if let limit {
            // The page is chosen first (by index, for the default order), then only its rows get
            // their tags and conflicts.
            sql += """
                 WHERE h.article_id IN (
                    SELECT h.article_id FROM article_head h JOIN article a ON a.key = h.head\(filter)
                    ORDER BY \(orderBy) LIMIT \(max(0, limit)))
                """
        } else {
            sql += filter
        }
        sql += " ORDER BY \(orderBy)"
        return try Row.fetchAll(db, sql: sql, arguments: arguments).map(Self.summary)
    }

    /// One row per article with everything a summary shows, the tags and conflicted fields of its
    /// captures included (joined with the unit separator, which neither may contain): one query
    /// for a whole list.
    static let summarySelect = """
        SELECT h.article_id, a.title, a.url, a.path, a.captured_at, h.live = 0, h.last_hlc,
               (SELECT group_concat(t.tag, char(31)) FROM article b JOIN article_tag t ON t.article = b.key
                WHERE b.article_id = h.article_id AND (b.deleted = 0 OR h.live = 0)),
               (SELECT group_concat(c.field, char(31)) FROM article b JOIN article_conflict c ON c.article = b.key
                WHERE b.article_id = h.article_id AND (b.deleted = 0 OR h.live = 0)),
               a.id, CASE WHEN h.live > 0 THEN h.live ELSE h.captures END
        FROM article_head h JOIN article a ON a.key = h.head
        """

    static func summary(_ row: Row) -> ArticleSummary {
        func parts(_ text: String?) -> [String] {
            (text ?? "").split(separator: "\u{1F}").map(String.init)
        }
        let tags = Set(parts(row[7])).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        return ArticleSummary(
            id: ArticleID(hex: row[0]) ?? ArticleID(url: ""), capture: ArticleID(hex: row[9]) ?? ArticleID(url: ""),
            captures: row[10], title: row[1], url: row[2], path: row[3], capturedAt: row[4], deleted: row[5],
            tags: tags, conflicts: Set(parts(row[8]).compactMap(Field.init(rawValue:))).sorted(),
            lastHLC: HybridTimestamp(packed: row[6]), snippet: nil)
    }

    /// The summary of one article, nil when no capture of it is held.
    package func summary(of article: ArticleID, _ db: Database) throws -> ArticleSummary? {
        try Row.fetchOne(db, sql: Self.summarySelect + " WHERE h.article_id = ?", arguments: [article.hex]).map(
            Self.summary)
    }

    /// The captures of `article`, oldest first (by capture time, then id).
    package func captures(of article: ArticleID, _ db: Database) throws -> [CaptureSummary] {
        try Row.fetchAll(
            db,
            sql: """
                SELECT id, path, captured_at, date_line, title, url, length(CAST(body AS BLOB)), deleted FROM article
                WHERE article_id = ? ORDER BY captured_at, id
                """, arguments: [article.hex]
        ).compactMap { row in
            guard let id = ArticleID(hex: row[0]) else { return nil }
            return CaptureSummary(
                id: id, path: row[1], capturedAt: row[2], dateLine: row[3], title: row[4], url: row[5],
                bodyBytes: row[6], deleted: row[7])
        }
    }

    /// The article `capture` is a capture of (`ArticleID(url:)` of its url), nil when not held.
    package func article(ofCapture capture: ArticleID, _ db: Database) throws -> ArticleID? {
        try String.fetchOne(
            db.cachedStatement(sql: "SELECT article_id FROM article WHERE id = ?"), arguments: [capture.hex]
        ).flatMap(ArticleID.init(hex:))
    }

    /// The title of capture `capture`, nil when it is not held.
    package func title(ofCapture capture: ArticleID, _ db: Database) throws -> String? {
        try String.fetchOne(
            db.cachedStatement(sql: "SELECT title FROM article WHERE id = ?"), arguments: [capture.hex])
    }

    /// Ids of captures (journal records) that start with `prefix`.
    package func articleIDs(withPrefix prefix: String, limit: Int = 10, _ db: Database) throws -> [ArticleID] {
        try ids(in: "article", column: "id", prefix: prefix, limit: limit, db)
    }

    /// Ids of articles (captures sharing a url) that start with `prefix`.
    package func articleKeys(withPrefix prefix: String, limit: Int = 10, _ db: Database) throws -> [ArticleID] {
        try ids(in: "article_head", column: "article_id", prefix: prefix, limit: limit, db)
    }

    private func ids(
        in table: String, column: String, prefix: String, limit: Int, _ db: Database
    ) throws
        -> [ArticleID]
    {
        let lowered = prefix.lowercased()
        guard !lowered.isEmpty, lowered.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }),
            lowered.utf8.count <= 16
        else {
            return []
        }
        return try String.fetchAll(
            db, sql: "SELECT \(column) FROM \(table) WHERE \(column) >= ? AND \(column) < ? ORDER BY \(column) LIMIT ?",
            arguments: [lowered, lowered + "g", limit]
        ).compactMap(ArticleID.init(hex:))
    }

    /// The live (not deleted) capture whose path is `path`, else a deleted one, else nil.
    package func article(atPath path: String, _ db: Database) throws -> ArticleID? {
        try String.fetchOne(
            db.cachedStatement(sql: "SELECT id FROM article WHERE path = ? ORDER BY deleted, id LIMIT 1"),
            arguments: [path]
        ).flatMap(ArticleID.init(hex:))
    }

    /// The order of search results.
    package enum SearchOrder: String, Sendable, CaseIterable {
        /// Newest capture time first: FTS5 walks its matches in this order (index rowids follow
        /// capture times), so a page of results costs little however many articles match.
        case newest
        /// Best matches first (bm25, a title match counting four times a body match): every
        /// match is ranked, so a word found in most articles takes longer.
        case relevance
    }

    /// Full-text search over the titles and bodies of every capture indexed; each article once
    /// (shown by its head capture, with a snippet from its matching capture), newest first or
    /// best matches first.
    ///
    /// `query` is what a person typed: `SearchText.matchExpression(for:)` turns it into an FTS5
    /// expression, taking quotes and operators literally; a query with nothing to look for gives
    /// no results. Captures still queued for the index (`searchPending(_:)`) are not found.
    ///
    /// - Throws: GRDB's `DatabaseError` when SQLite fails.
    package func search(
        _ query: String, includeDeleted: Bool, limit: Int, order: SearchOrder = .newest, _ db: Database
    ) throws -> [ArticleSummary] {
        guard let expression = SearchText.matchExpression(for: query) else { return [] }
        // Matching captures in order; the first of each article stands for it (FTS5 ranks only
        // in the query that scans it, so articles are gathered here, not by GROUP BY).
        let orderBy =
            switch order {
            case .newest: "s.rowid DESC"
            case .relevance: "bm25(article_search, 4.0, 1.0), a.article_id"
            }
        let sql = """
            SELECT a.article_id, a.key FROM article_search s
            JOIN article_search_row r ON r.rowid = s.rowid JOIN article a ON a.key = r.article
            WHERE article_search MATCH ? \(includeDeleted ? "" : "AND a.deleted = 0")
            ORDER BY \(orderBy)
            """
        var best: [(article: ArticleID, key: Int64)] = []
        var seen = Set<String>()
        let rows = try Row.fetchCursor(db, sql: sql, arguments: [expression])
        while best.count < max(0, limit), let row = try rows.next() {
            let hex: String = row[0]
            guard seen.insert(hex).inserted, let article = ArticleID(hex: hex) else { continue }
            best.append((article, row[1]))
        }
        let needles = SearchText.needles(for: query)
        return try best.compactMap { article, key in
            guard var hit = try summary(of: article, db) else { return nil }
            let body = try String.fetchOne(db, sql: "SELECT body FROM article WHERE key = ?", arguments: [key]) ?? ""
            hit.snippet = Self.snippet(of: SearchText.plainText(ofHTML: body), around: needles)
            return hit
        }
    }

    /// About 80 characters of `text` around the first needle found (case-insensitively).
    static func snippet(of text: String, around needles: [String]) -> String {
        let collapsed = text.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
        let lowered = collapsed.lowercased()
        var hit: String.Index?
        for needle in needles {
            if let range = lowered.range(of: needle.lowercased()) {
                hit = range.lowerBound
                break
            }
        }
        let characters = Array(collapsed)
        let offset = hit.map { lowered.distance(from: lowered.startIndex, to: $0) } ?? 0
        let start = max(0, offset - 25)
        let end = min(characters.count, offset + 55)
        var snippet = String(characters[start..<end])
        if start > 0 { snippet = "…" + snippet }
        if end < characters.count { snippet += "…" }
        return snippet
    }

    /// Every field in conflict, capture by capture; with `article`, only those of the article
    /// or capture of that id. Sorted by capture id, then field.
    ///
    /// - Throws: `ArticleProjectorError.Code.corruptRow` when a capture's row cannot be decoded;
    ///   GRDB's `DatabaseError` when SQLite fails.
    package func conflicts(of article: ArticleID? = nil, _ db: Database) throws -> [FieldConflict] {
        var sql = "SELECT a.id, c.field, a.title FROM article_conflict c JOIN article a ON a.key = c.article"
        var arguments: StatementArguments = []
        if let article {
            sql += " WHERE a.id = ? OR a.article_id = ?"
            arguments += [article.hex, article.hex]
        }
        sql += " ORDER BY a.id, c.field"
        return try Row.fetchAll(db, sql: sql, arguments: arguments).compactMap { row in
            guard let id = ArticleID(hex: row[0]), let field = Field(rawValue: row[1]), let stored = try load(id, db),
                let register = stored.state.registers[field]
            else { return nil }
            return FieldConflict(
                article: id, title: row[2], field: field, heads: register.heads, winner: register.winner)
        }.sorted { ($0.article, $0.field) < ($1.article, $1.field) }
    }

    /// Counts for `status`.
    package struct Counts: Sendable, Equatable {
        /// Articles, deleted ones included.
        package var articles: Int
        /// Articles every capture of which is deleted.
        package var deleted: Int
        /// Captures (journal records) that are not deleted.
        package var captures: Int
        package var conflicts: Int
        package var conflictedArticles: Int
    }

    /// The counts of `status`, from `article_head` and `article_conflict`.
    package func counts(_ db: Database) throws -> Counts {
        let row = try Row.fetchOne(
            db, sql: "SELECT count(*), coalesce(sum(live = 0), 0), coalesce(sum(live), 0) FROM article_head")
        let conflictRow = try Row.fetchOne(db, sql: "SELECT count(*), count(DISTINCT article) FROM article_conflict")
        return Counts(
            articles: row?[0] ?? 0, deleted: row?[1] ?? 0, captures: row?[2] ?? 0, conflicts: conflictRow?[0] ?? 0,
            conflictedArticles: conflictRow?[1] ?? 0)
    }
}
