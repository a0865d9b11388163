import ArchiveModel
import Foundation
import GRDB

extension ArticleProjector {
    /// A live capture as export writes it: its id, its path and its file.
    package struct ExportedCapture: Sendable {
        package var id: ArticleID
        package var path: String
        package var file: ArticleFile
    }

    /// How many captures are live (not deleted).
    package func liveCaptureCount(_ db: Database) throws -> Int {
        try Int.fetchOne(db.cachedStatement(sql: "SELECT count(*) FROM article WHERE deleted = 0")) ?? 0
    }

    /// Up to `limit` live captures after `(path, id)` (from the first when nil), in `(path, id)`
    /// order: how export walks every capture in bounded memory, and why two captures claiming one
    /// path come one after the other. The caller owns the transaction.
    package func liveCaptures(
        after cursor: (path: String, id: ArticleID)?, limit: Int, _ db: Database
    ) throws
        -> [ExportedCapture]
    {
        try Row.fetchAll(
            db.cachedStatement(
                sql: """
                    SELECT id, path, front_matter, captured_at, title, url, body, date_line FROM article
                    WHERE deleted = 0 AND (path, id) > (?, ?) ORDER BY path, id LIMIT ?
                    """), arguments: [cursor?.path ?? "", cursor?.id.hex ?? "", limit]
        ).compactMap { row in
            guard let id = ArticleID(hex: row[0]) else { return nil }
            let file = ArticleFile(
                frontMatter: row[2], capturedAt: row[3], title: row[4], url: row[5], body: row[6], dateLine: row[7])
            return ExportedCapture(id: id, path: row[1], file: file)
        }
    }

    /// The live captures among `ids`, and every other live capture at one of their paths (so an
    /// export of chosen captures still sees who else claims a path), ordered by path and id. The
    /// caller owns the transaction.
    package func liveCaptures(sharingPathsWith ids: Set<ArticleID>, _ db: Database) throws -> [ExportedCapture] {
        var found: [String: ExportedCapture] = [:]
        let hexes = ids.map(\.hex)
        for start in stride(from: 0, to: hexes.count, by: 500) {
            let chunk = Array(hexes[start..<min(hexes.count, start + 500)])
            let marks = Array(repeating: "?", count: chunk.count).joined(separator: ",")
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT id, path, front_matter, captured_at, title, url, body, date_line FROM article
                    WHERE deleted = 0 AND path IN (SELECT path FROM article WHERE id IN (\(marks)))
                    """, arguments: StatementArguments(chunk))
            for row in rows {
                guard let id = ArticleID(hex: row[0]) else { continue }
                let file = ArticleFile(
                    frontMatter: row[2], capturedAt: row[3], title: row[4], url: row[5], body: row[6], dateLine: row[7])
                found[id.hex] = ExportedCapture(id: id, path: row[1], file: file)
            }
        }
        return found.values.sorted {
            $0.path.utf8.elementsEqual($1.path.utf8)
                ? $0.id.hex < $1.id.hex : $0.path.utf8.lexicographicallyPrecedes($1.path.utf8)
        }
    }

    /// The live captures whose paths fold (by `fold`) to the same text as another live capture's
    /// path while differing from it, ordered by folded path, path and id. SQLite groups the
    /// paths, so memory grows with the clashes, not with the archive. The caller owns the
    /// transaction.
    package func livePathsFoldingTogether(
        fold: @escaping @Sendable (String) -> String, _ db: Database
    ) throws -> [(id: ArticleID, path: String, folded: String)] {
        db.add(
            function: DatabaseFunction("archive_sync_fold", argumentCount: 1, pure: true) { values in
                String.fromDatabaseValue(values[0]).map(fold)
            })
        return try Row.fetchAll(
            db,
            sql: """
                SELECT id, path, archive_sync_fold(path) AS folded FROM article
                WHERE deleted = 0 AND archive_sync_fold(path) IN (
                    SELECT archive_sync_fold(path) FROM article WHERE deleted = 0
                    GROUP BY 1 HAVING count(DISTINCT path) > 1)
                ORDER BY folded, path, id
                """
        ).compactMap { row in
            guard let id = ArticleID(hex: row[0]) else { return nil }
            return (id, row[1], row[2])
        }
    }
}
