import ArchiveModel
import Foundation
import GRDB

extension Replica {
    /// The live articles whose paths differ from another's only in case or Unicode normalization
    /// (`A.txt` and `a.txt`, or `é` precomposed and decomposed), as warnings.
    ///
    /// Export writes them all, since most file systems it runs on tell them apart; on a
    /// case-insensitive one (macOS, Windows) they would be one file, and the second would find
    /// the first in its place.
    func caseClashes() throws -> [ExportProblem] {
        let projector = self.projector
        let clashes = try read { db in try projector.livePathsFoldingTogether(fold: Self.folded, db) }
        var problems: [ExportProblem] = []
        var first: (folded: String, path: String, id: ArticleID)?
        for (id, path, folded) in clashes {
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
