import ArchiveModel
import EventJournal
import Foundation
import GRDB
import Replica
import TestSupport
import Testing

/// Replays the real revision histories of the corpus: copy each version over the same file,
/// import, and check that every import wrote exactly the fields that changed.
struct RevisionsImportTests {
    struct Version {
        var file: String
        var voaID: String
        var version: Int
        var baseVersion: String
        var change: String
    }

    static func manifest() throws -> [Version] {
        try RevisionsManifest.rows().map { row in
            Version(
                file: row["file"] ?? "", voaID: row["voa_id"] ?? "", version: Int(row["version"] ?? "") ?? 0,
                baseVersion: row["base_version"] ?? "", change: row["change_vs_base"] ?? "")
        }
    }

    /// The article fields a manifest `change_vs_base` entry touches.
    static func fields(forManifestChange change: String) -> Set<Field> {
        var fields = Set<Field>()
        for part in change.split(separator: ",") {
            switch part {
            case "frontmatter": fields.insert(.frontMatter)
            case "format:plain->frontmatter": fields.formUnion([.frontMatter, .body])
            case "timestamp": fields.insert(.capturedAt)
            case "title": fields.insert(.title)
            case "url": fields.insert(.url)
            case "wrapper", "dateline", "media", "text", "footer-added", "footer-removed": fields.insert(.body)
            default: Issue.record("unknown change kind \(part)")
            }
        }
        return fields
    }

    @Test(.enabled(if: TestPaths.corpusTestsRun, "needs the shared corpus (ARCHIVE_SYNC_CORPUS or ../shared/corpus)"))
    func replayingEveryRevisionWritesOneCreateThenOnlyTheChangedFields() throws {
        let versions = try Self.manifest()
        let byArticle = Dictionary(grouping: versions, by: \.voaID).mapValues { $0.sorted { $0.version < $1.version } }
        #expect(byArticle.count == 458)
        let work = try TemporaryDirectory("revisions")
        let replica = try Replica.create(at: work.file("replica.db"), name: "laptop")
        let folder = work.url.appendingPathComponent("archive")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)

        let rounds = byArticle.values.map(\.count).max() ?? 0
        for round in 1...rounds {
            for (voaID, history) in byArticle where history.count >= round {
                let source = TestPaths.corpus.appendingPathComponent(history[round - 1].file)
                let target = folder.appendingPathComponent("voa_\(voaID).txt")
                try? FileManager.default.removeItem(at: target)
                try FileManager.default.copyItem(at: source, to: target)
            }
            let report = try replica.importFiles([folder.path])
            #expect(report.refused.isEmpty, "round \(round): \(report.refused.prefix(3))")
            if round == 1 { #expect(report.created == 458) }
        }

        var checkedAgainstManifest = 0
        for (voaID, history) in byArticle {
            // One file, rewritten: one capture, found by its path (its url may have changed since).
            let capture = try #require(
                try replica.read { db in try replica.projector.article(atPath: "voa_\(voaID).txt", db) })
            let events = try replica.history(of: capture).map(\.event)
            #expect(events.count == history.count, "voa \(voaID): \(events.count) events for \(history.count) versions")
            #expect(events.first?.kind == .create)
            for (index, version) in history.enumerated().dropFirst() where index < events.count {
                let event = events[index]
                #expect(event.kind == .update)
                let written = Set(event.changes.compactMap(\.field))
                let previous = try ArticleFile.parse(
                    Array(try Data(contentsOf: TestPaths.corpus.appendingPathComponent(history[index - 1].file))),
                    name: "")
                let current = try ArticleFile.parse(
                    Array(try Data(contentsOf: TestPaths.corpus.appendingPathComponent(version.file))), name: "")
                let differing = Set(
                    zip(previous.fieldValues, current.fieldValues).filter { $0.0.1 != $0.1.1 }.map(\.0.0))
                #expect(written == differing, "\(version.file): wrote \(written), files differ in \(differing)")
                if version.baseVersion == "v\(version.version - 1)" {
                    #expect(
                        written == Self.fields(forManifestChange: version.change), "\(version.file): \(version.change)")
                    checkedAgainstManifest += 1
                }
                // The update holds exactly the new values.
                for case .set(let field, let value) in event.changes {
                    #expect(current.fieldValues.first { $0.0 == field }?.1 == value)
                }
            }
        }
        #expect(checkedAgainstManifest >= 500)

        let eventsBefore = try replica.status().events
        let again = try replica.importFiles([folder.path])
        #expect(again.unchanged == 458)
        #expect(try replica.status().events == eventsBefore, "importing the same files again wrote events")
    }
}
