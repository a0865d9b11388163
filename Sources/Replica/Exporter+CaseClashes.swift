import ArchiveModel
import Foundation
import GRDB

extension Replica {
    /// The live articles whose paths differ from another's only in case or Unicode normalization
    /// (`A.txt` and `a.txt`, or `é` precomposed and decomposed), as warnings.
    ///
    /// Export writes them all, since most file systems it runs on tell them apart; on a
    /// case-insensitive one (macOS, Windows) they would be one file, and the second would find
    /// the first in its place. SQLite groups the paths, so memory does not grow with the archive.
    func caseClashes() throws -> [ExportProblem] {
        try read { db in
            db.add(
                function: DatabaseFunction("archive_sync_fold", argumentCount: 1, pure: true) { values in
                    String.fromDatabaseValue(values[0]).map(Self.folded)
                })
            let rows = try Row.fetchCursor(
                db,
                sql: """
                    SELECT id, path, archive_sync_fold(path) AS folded FROM article
                    WHERE deleted = 0 AND archive_sync_fold(path) IN (
                        SELECT archive_sync_fold(path) FROM article WHERE deleted = 0
                        GROUP BY 1 HAVING count(DISTINCT path) > 1)
                    ORDER BY folded, path, id
                    """)
            var problems: [ExportProblem] = []
            var first: (folded: String, path: String, id: ArticleID)?
            while let row = try rows.next() {
                guard let id = ArticleID(hex: row[0]) else { continue }
                let path: String = row[1]
                let folded: String = row[2]
                guard let first, first.folded == folded else {
                    first = (folded, path, id)
                    continue
                }
                if path.utf8.elementsEqual(first.path.utf8) { continue }
                problems.append(
                    ExportProblem(
                        article: id, path: path, kind: .caseClash,
                        message:
                            "article \(id) at \(Self.quoted(path)) and article \(first.id) at \(Self.quoted(first.path))"
                            + " differ only in case: on a case-insensitive file system (macOS, Windows) they would be"
                            + " one file; give one another path with `archive-sync edit \(id) --path NEW`"))
            }
            return problems
        }
    }

    /// `path` in canonical composition, each Unicode scalar lowercased: equal for two paths a
    /// case-insensitive file system takes for one.
    static func folded(_ path: String) -> String {
        var scalars = String.UnicodeScalarView()
        for scalar in path.precomposedStringWithCanonicalMapping.unicodeScalars {
            scalars.append(contentsOf: scalar.properties.lowercaseMapping.unicodeScalars)
        }
        return String(scalars)
    }
}
