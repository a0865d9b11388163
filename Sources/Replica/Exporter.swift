import ArchiveFolder
import ArchiveModel
import ArticleProjector
import Foundation
import GRDB

/// What `export` did.
package struct ExportReport: Sendable {
    package var written = 0
    /// Files already holding exactly the article's bytes, left untouched.
    package var unchanged = 0
    package var bytes = 0
    /// Articles not written, each with the reason; the others were written.
    package var skipped: [ExportProblem] = []
    /// Articles written whose paths differ from another's only in case or Unicode normalization:
    /// on a case-insensitive file system (macOS, Windows) the two would be one file.
    package var warnings: [ExportProblem] = []
    /// The captures written, with their paths (listed only by an export of chosen articles).
    package var writtenFiles: [(article: ArticleID, path: String)] = []
    package init() {}
}

/// One article `export` did not write, or wrote with a warning.
package struct ExportProblem: Sendable, Equatable {
    package typealias Kind = ExportProblemKind

    package var article: ArticleID
    package var path: String
    package var kind: Kind
    /// One sentence naming the article, the file and what to do.
    package var message: String
}

extension Replica {
    /// Writes every live article to `directory`/`path`, creating folders as needed, and never
    /// anything outside `directory` (see `ExportFolder`).
    ///
    /// Each file is written whole to a temporary name and renamed, so a reader never sees half a
    /// file. A file that already has the right bytes is left alone. A file holding changes not
    /// imported yet (see `FileBaseline`), or that is not an article file, is not overwritten
    /// unless `force`. Each file written or found right becomes the folder's baseline. An article
    /// that cannot be written is reported in `skipped` and the others are written; when two
    /// articles claim one path (concurrent moves), the one with the lower id is written. Throws
    /// when the folder cannot be created or the disk fails as a whole.
    ///
    /// With `only`, writes only those captures (the others are not looked at) and lists each file
    /// written in `writtenFiles`: what `watch` does with the articles a sync changed.
    package func export(
        to directory: String, force: Bool = false, only: Set<ArticleID>? = nil,
        progress: (Int, Int) -> Void = { _, _ in }
    ) throws -> ExportReport {
        let folder: ExportFolder
        do { folder = try ExportFolder(creating: directory) } catch let failure as ExportFolder.Failure {
            throw ReplicaError(.fileSystem, failure.message)
        }
        let folderKey = FileBaseline.folderKey(directory)
        let projector = self.projector
        let total = try read { db in try projector.liveCaptureCount(db) }
        var report = ExportReport()
        report.warnings = only == nil ? try caseClashes() : []
        // Articles come in (path, id) order, so a clash can only be with the last one written.
        var cursor: (path: String, id: ArticleID)?
        var owner: (path: String, id: ArticleID)?
        var done = 0
        while true {
            let after = cursor
            let files: [ArticleProjector.ExportedCapture]
            if let only {
                // The chosen captures (and whoever shares their paths), in one page.
                if done > 0 { break }
                files = try read { db in try projector.liveCaptures(sharingPathsWith: only, db) }
            } else {
                files = try read { db in try projector.liveCaptures(after: after, limit: 500, db) }
            }
            if files.isEmpty { break }
            done += files.count
            // The files that now say what their articles say: the folder's new baselines.
            var settled: [(ArticleID, [(Field, FieldValue)])] = []
            for capture in files {
                let (id, path, file) = (capture.id, capture.path, capture.file)
                cursor = (path, id)
                if let only, !only.contains(id) {
                    owner = (path, id)
                    continue
                }
                let bytes = file.render()
                func skip(_ kind: ExportProblem.Kind, _ reason: String) {
                    report.skipped.append(
                        ExportProblem(
                            article: id, path: path, kind: kind, message: "capture \(id) was not written: \(reason)"))
                }
                if let owner, owner.path.utf8.elementsEqual(path.utf8) {
                    skip(
                        .samePath,
                        "it has the same path \(Self.quoted(path)) as capture \(owner.id); give it another with"
                            + " `archive-sync edit \(id) --path NEW`")
                    continue
                }
                owner = (path, id)
                let parts: [[CChar]]
                switch ExportFolder.parts(of: path) {
                case .success(let value):
                    parts = value
                case .failure(.invalid):
                    skip(.invalidPath, "its path \(Self.quoted(path)) does not stay inside the folder")
                    continue
                case .failure(.nameTooLong):
                    skip(
                        .nameTooLong,
                        "its path \(Self.quoted(path)) has a part longer than \(ExportFolder.maxNameBytes) bytes,"
                            + " more than a file name may hold; give it a shorter one with `archive-sync edit \(id) --path NEW`"
                    )
                    continue
                }
                let outcome: ExportFolder.Outcome
                do {
                    outcome = try folder.write(bytes, at: parts) { existing in
                        if force { return true }
                        guard case .file(let existing?) = existing,
                            let found = try? ArticleFile.parse(existing, name: path)
                        else { return false }
                        return try isSettled(found, of: id, in: folderKey)
                    }
                } catch let failure as ExportFolder.Failure {
                    throw ReplicaError(.fileSystem, failure.message)
                }
                switch outcome {
                case .written:
                    report.written += 1
                    report.bytes += bytes.count
                    if only != nil { report.writtenFiles.append((id, path)) }
                case .unchanged:
                    report.unchanged += 1
                case .skipped(let kind, let reason):
                    skip(kind, reason)
                    continue
                }
                settled.append((id, file.fieldValues + [(.path, .text(path))]))
            }
            let baselines = settled
            try pool.write { db in
                for (id, values) in baselines { try FileBaseline.save(values, folder: folderKey, article: id, db) }
            }
            progress(done, total)
        }
        return report
    }

    /// True when no field of `file`, found in the folder `folder`, is a change made in the file
    /// (see `FileBaseline`), as the capture `id` or as a capture of the article its url names:
    /// nothing is lost by overwriting it.
    private func isSettled(_ file: ArticleFile, of id: ArticleID, in folder: String) throws -> Bool {
        let (journal, projector) = (self.journal, self.projector)
        return try read { db in
            if try FileBaseline.load(folder: folder, article: id, journal: journal, db).isSettled(file) { return true }
            for capture in try projector.captures(of: file.articleID, db) where capture.id != id {
                if try FileBaseline.load(folder: folder, article: capture.id, journal: journal, db).isSettled(file) {
                    return true
                }
            }
            return false
        }
    }

    /// `text` in quotes, with bytes a terminal would act on shown as `\u{..}`.
    static func quoted(_ text: String) -> String {
        "\""
            + text.unicodeScalars.map {
                $0.value < 0x20 || $0.value == 0x7F ? "\\u{\(String($0.value, radix: 16))}" : String($0)
            }
            .joined() + "\""
    }
}
