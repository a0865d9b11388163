import ArchiveModel
import ArticleProjector
import Foundation
import GRDB

/// What `export` did.
public struct ExportReport: Sendable {
    public var written = 0
    /// Files already holding exactly the article's bytes, left untouched.
    public var unchanged = 0
    /// Articles not written because another article claims the same path.
    public var clashes: [(article: ArticleID, path: String, other: ArticleID)] = []
    public var bytes = 0
    public init() {}
}

extension Replica {
    /// Writes every live article to `directory`/`path`, creating folders as needed.
    ///
    /// Each file is written whole to a temporary name and renamed, so a reader never sees half a
    /// file. A file that already has the right bytes is left alone. When two articles claim one
    /// path (concurrent moves), the one with the lower id is written and the clash reported.
    public func export(to directory: String, progress: (Int, Int) -> Void = { _, _ in }) throws -> ExportReport {
        let fileManager = FileManager.default
        do {
            try fileManager.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw ReplicaError(.fileSystem, "cannot create the folder \(directory): \(Self.describe(error))")
        }
        let folderKey = FileBaseline.folderKey(directory)
        let total = try read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM article WHERE deleted = 0") ?? 0 }
        var report = ExportReport()
        // Articles come in (path, id) order, so a clash can only be with the last one written.
        var cursor: (path: String, id: ArticleID)?
        var owner: (path: String, id: ArticleID)?
        var done = 0
        while true {
            let after = cursor
            let files = try read { db in
                try Row.fetchAll(
                    db,
                    sql: """
                        SELECT id, path, front_matter, captured_at, title, url, body FROM article
                        WHERE deleted = 0 AND (path, id) > (?, ?) ORDER BY path, id LIMIT 500
                        """, arguments: [after?.path ?? "", after?.id.hex ?? ""]
                ).compactMap { row -> (ArticleID, String, [UInt8], [(Field, FieldValue)])? in
                    guard let id = ArticleID(hex: row[0]) else { return nil }
                    let file = ArticleFile(
                        frontMatter: row[2], capturedAt: row[3], title: row[4], url: row[5], body: row[6])
                    return (id, row[1], file.render(), file.fieldValues + [(.path, .text(row[1]))])
                }
            }
            if files.isEmpty { break }
            done += files.count
            var exported: [(ArticleID, [(Field, FieldValue)])] = []
            for (id, path, bytes, baseline) in files {
                cursor = (path, id)
                if let owner, owner.path == path {
                    report.clashes.append((id, path, owner.id))
                    continue
                }
                owner = (path, id)
                exported.append((id, baseline))
                let target = directory + "/" + path
                if let existing = fileManager.contents(atPath: target), existing.elementsEqual(bytes) {
                    report.unchanged += 1
                    continue
                }
                try Self.writeAtomically(bytes, to: target)
                report.written += 1
                report.bytes += bytes.count
            }
            // The files now say what the articles say: that is the folder's new baseline.
            let written = exported
            try pool.write { db in
                for (id, values) in written { try FileBaseline.save(values, folder: folderKey, article: id, db) }
            }
            progress(done, total)
        }
        return report
    }

    static func writeAtomically(_ bytes: [UInt8], to path: String) throws {
        let url = URL(fileURLWithPath: path)
        do {
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(bytes).write(to: url, options: .atomic)
        } catch {
            throw ReplicaError(.fileSystem, "cannot write \(path): \(describe(error))", underlying: error)
        }
    }
}
