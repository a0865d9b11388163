import ArchiveModel
import Foundation
import GRDB

/// One line of `list` or `search`.
public struct ArticleSummary: Sendable {
    public var id: ArticleID
    public var title: String
    public var url: String
    public var path: String
    public var capturedAt: Int64
    public var deleted: Bool
    public var tags: [String]
    public var conflicts: [Field]
    public var lastHLC: HybridTimestamp
    /// For search results: a short piece of text around the first match.
    public var snippet: String?
}

/// One field in conflict: the heads that disagree.
public struct FieldConflict: Sendable {
    public var article: ArticleID
    public var title: String
    public var field: Field
    public var heads: [RegisterHead]
    public var winner: RegisterHead?
}

/// How `list` orders articles.
public enum ArticleOrder: String, CaseIterable, Sendable {
    case captured, updated, title, path
}

extension ArticleProjector {
    /// Articles, newest capture first by default.
    public func list(
        includeDeleted: Bool, onlyDeleted: Bool = false, tag: String?, order: ArticleOrder = .captured,
        limit: Int?, _ db: Database
    ) throws -> [ArticleSummary] {
        var conditions: [String] = []
        var arguments: StatementArguments = []
        if onlyDeleted {
            conditions.append("a.deleted = 1")
        } else if !includeDeleted {
            conditions.append("a.deleted = 0")
        }
        if let tag {
            conditions.append("EXISTS (SELECT 1 FROM article_tag t WHERE t.article = a.key AND t.tag = ?)")
            arguments += [tag]
        }
        let orderBy =
            switch order {
            case .captured: "a.captured_at DESC, a.id"
            case .updated: "a.last_hlc DESC, a.id"
            case .title: "a.title, a.id"
            case .path: "a.path, a.id"
            }
        var sql = Self.summarySelect
        if !conditions.isEmpty { sql += " WHERE " + conditions.joined(separator: " AND ") }
        sql += " ORDER BY \(orderBy)"
        if let limit { sql += " LIMIT \(max(0, limit))" }
        return try Row.fetchAll(db, sql: sql, arguments: arguments).map(Self.summary)
    }

    /// One row per article with everything a summary shows, tags and conflicted fields included
    /// (joined with the unit separator, which neither may contain): one query for a whole list.
    static let summarySelect = """
        SELECT a.id, a.title, a.url, a.path, a.captured_at, a.deleted, a.last_hlc,
               (SELECT group_concat(tag, char(31)) FROM article_tag WHERE article = a.key),
               (SELECT group_concat(field, char(31)) FROM article_conflict WHERE article = a.key)
        FROM article a
        """

    static func summary(_ row: Row) -> ArticleSummary {
        func parts(_ text: String?) -> [String] {
            (text ?? "").split(separator: "\u{1F}").map(String.init)
        }
        return ArticleSummary(
            id: ArticleID(hex: row[0]) ?? ArticleID(url: ""), title: row[1], url: row[2], path: row[3],
            capturedAt: row[4], deleted: row[5],
            tags: parts(row[7]).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) },
            conflicts: parts(row[8]).compactMap(Field.init(rawValue:)).sorted(),
            lastHLC: HybridTimestamp(packed: row[6]), snippet: nil)
    }

    /// Ids of articles that start with `prefix` (how the command line accepts short ids).
    public func articleIDs(withPrefix prefix: String, limit: Int = 10, _ db: Database) throws -> [ArticleID] {
        let lowered = prefix.lowercased()
        guard !lowered.isEmpty, lowered.allSatisfy(\.isHexDigit), lowered.count <= 16 else { return [] }
        return try String.fetchAll(
            db, sql: "SELECT id FROM article WHERE id >= ? AND id < ? ORDER BY id LIMIT ?",
            arguments: [lowered, lowered + "g", limit]
        ).compactMap(ArticleID.init(hex:))
    }

    /// The live (not deleted) article whose path is `path`, else a deleted one, else nil.
    public func article(atPath path: String, _ db: Database) throws -> ArticleID? {
        try String.fetchOne(
            db.cachedStatement(sql: "SELECT id FROM article WHERE path = ? ORDER BY deleted, id LIMIT 1"),
            arguments: [path]
        ).flatMap(ArticleID.init(hex:))
    }

    /// Full-text search over title and body; best matches first.
    public func search(_ query: String, includeDeleted: Bool, limit: Int, _ db: Database) throws -> [ArticleSummary] {
        guard let expression = SearchText.matchExpression(for: query) else { return [] }
        let sql = """
            SELECT a.key FROM article_search s
            JOIN article_search_row r ON r.rowid = s.rowid JOIN article a ON a.key = r.article
            WHERE article_search MATCH ? \(includeDeleted ? "" : "AND a.deleted = 0")
            ORDER BY bm25(article_search, 4.0, 1.0) LIMIT ?
            """
        let needles = SearchText.needles(for: query)
        return try Int64.fetchAll(db, sql: sql, arguments: [expression, limit]).compactMap { key in
            guard let row = try Row.fetchOne(db, sql: Self.summarySelect + " WHERE a.key = ?", arguments: [key]) else {
                return nil
            }
            var hit = Self.summary(row)
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

    /// Every field in conflict, article by article.
    public func conflicts(of article: ArticleID? = nil, _ db: Database) throws -> [FieldConflict] {
        var sql = "SELECT a.id, c.field, a.title FROM article_conflict c JOIN article a ON a.key = c.article"
        var arguments: StatementArguments = []
        if let article {
            sql += " WHERE a.id = ?"
            arguments += [article.hex]
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
    public struct Counts: Sendable, Equatable {
        public var articles: Int
        public var deleted: Int
        public var conflicts: Int
        public var conflictedArticles: Int
    }

    public func counts(_ db: Database) throws -> Counts {
        let row = try Row.fetchOne(db, sql: "SELECT count(*), coalesce(sum(deleted), 0) FROM article")
        let conflictRow = try Row.fetchOne(db, sql: "SELECT count(*), count(DISTINCT article) FROM article_conflict")
        return Counts(
            articles: row?[0] ?? 0, deleted: row?[1] ?? 0, conflicts: conflictRow?[0] ?? 0,
            conflictedArticles: conflictRow?[1] ?? 0)
    }
}
