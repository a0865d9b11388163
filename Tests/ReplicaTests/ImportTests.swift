import ArchiveModel
import ArticleGenerator
import Foundation
import GRDB
import Replica
import TestSupport
import Testing

struct ImportTests {
    let work: TemporaryDirectory
    let replica: Replica

    init() throws {
        work = try TemporaryDirectory("import")
        replica = try Replica.create(at: work.file("replica.db"), name: "laptop")
    }

    func writeGenerated(_ range: Range<Int>, into folder: String, seed: UInt64 = 3) throws {
        let generator = ArticleGenerator(seed: seed)
        for index in range {
            let (path, file) = generator.article(index)
            try work.write("\(folder)/\(path)", file.render())
        }
    }

    @Test(.enabled(if: TestPaths.corpusTestsRun, "needs the shared corpus (ARCHIVE_SYNC_CORPUS or ../shared/corpus)"))
    func importsTheCorpusAndExportsItBackByteForByte() throws {
        let plain = TestPaths.corpus.appendingPathComponent("articles/plain").path
        let report = try replica.importFiles([plain])
        #expect(report.created == 537)
        #expect(report.refused.isEmpty)
        let out = work.url.appendingPathComponent("out")
        let exported = try replica.export(to: out.path)
        #expect(exported.written == 537)
        for url in try TestPaths.corpusFiles("articles/plain") {
            let copy = out.appendingPathComponent(url.lastPathComponent)
            #expect(try Data(contentsOf: copy) == Data(contentsOf: url), "\(url.lastPathComponent)")
        }
        let again = try replica.export(to: out.path)
        #expect(again.written == 0 && again.unchanged == 537)
    }

    @Test func importingTheSameFilesAgainWritesNothing() throws {
        try writeGenerated(0..<30, into: "archive")
        let first = try replica.importFiles([work.file("archive")])
        #expect(first.created == 30)
        let events = try replica.status().events
        let second = try replica.importFiles([work.file("archive")])
        #expect(second.unchanged == 30 && second.created == 0 && second.updated == 0)
        #expect(try replica.status().events == events)
    }

    @Test func aMovedFileIsAMoveNotANewArticle() throws {
        try writeGenerated(0..<3, into: "archive")
        _ = try replica.importFiles([work.file("archive")])
        let (path, file) = ArticleGenerator(seed: 3).article(1)
        try FileManager.default.removeItem(atPath: work.file("archive/\(path)"))
        try work.write("archive/moved/here.txt", file.render())
        let report = try replica.importFiles([work.file("archive")])
        #expect(report.moved == 1 && report.created == 0)
        let entries = try replica.history(of: file.articleID)
        #expect(entries.count == 2)
        #expect(entries.last?.event.changes == [.set(.path, .text("moved/here.txt"))])
        #expect(try replica.status().counts.articles == 3)
    }

    @Test func aSecondFileWithTheSameURLIsAnIdenticalCopyCapturedBesideTheFirst() throws {
        try writeGenerated(0..<2, into: "archive")
        _ = try replica.importFiles([work.file("archive")])
        let (path, file) = ArticleGenerator(seed: 3).article(0)
        try work.write("archive/copy.txt", file.render())
        let report = try replica.importFiles([work.file("archive")])
        #expect(report.refused.isEmpty)
        #expect(report.recaptured == 1 && report.identicalCopies == 1 && report.created == 0 && report.unchanged == 2)
        #expect(try replica.status().events == 3)
        let captures = try replica.read { db in try replica.projector.captures(of: file.articleID, db) }
        #expect(Set(captures.map(\.path)) == [path, "copy.txt"])
        #expect(
            Set(captures.map(\.id)) == [
                ArticleID(captureOf: file.url, at: path), ArticleID(captureOf: file.url, at: "copy.txt"),
            ])
        #expect(try replica.status().counts.articles == 2 && replica.status().counts.captures == 3)
    }

    @Test func malformedFilesAreRefusedAndTheRestImported() throws {
        try writeGenerated(0..<3, into: "archive")
        try work.write("archive/bad/empty.txt", "")
        try work.write("archive/bad/no-dashes.txt", "<!--1-->\n[T](https://e.org/x)\n\nbody\n")
        try work.write(
            "archive/bad/latin1.txt", Array("<!--1-->\n[T](https://e.org/y)\n------\n\n".utf8) + [0xE9, 0x0A])
        try work.write("archive/notes.pdf", "not an article")
        let report = try replica.importFiles([work.file("archive")])
        #expect(report.created == 3)
        #expect(report.refused.count == 3)
        let reasons = report.refused.map(\.reason).joined(separator: " | ")
        #expect(reasons.contains("empty"))
        #expect(reasons.contains("six dashes"))
        #expect(reasons.contains("UTF-8"))
        #expect(try replica.status().events == 3)
    }

    @Test func aMissingArgumentImportsNothing() throws {
        try writeGenerated(0..<2, into: "archive")
        #expect(throws: ReplicaError.self) {
            _ = try replica.importFiles([work.file("archive"), work.file("nowhere")])
        }
        #expect(try replica.status().events == 0)
    }

    @Test func aChangedFileOfADeletedArticleIsRefusedWithAHint() throws {
        try writeGenerated(0..<1, into: "archive")
        _ = try replica.importFiles([work.file("archive")])
        let (path, file) = ArticleGenerator(seed: 3).article(0)
        _ = try replica.delete(file.articleID)
        var changed = file
        changed.title = "A new title"
        try work.write("archive/\(path)", changed.render())
        let report = try replica.importFiles([work.file("archive")])
        #expect(report.refused.first?.reason.contains("restore") == true)
        #expect(try replica.article(file.articleID).state.text(.title) == file.title)
    }

    @Test func reimportingAnUntouchedFileKeepsEditsMadeInTheReplica() throws {
        try writeGenerated(0..<2, into: "archive")
        _ = try replica.importFiles([work.file("archive")])
        let (path, file) = ArticleGenerator(seed: 3).article(0)
        _ = try replica.edit(file.articleID, values: [(.title, .text("Edited in the replica"))])
        let events = try replica.status().events
        let again = try replica.importFiles([work.file("archive")])
        #expect(again.unchanged == 2)
        #expect(try replica.status().events == events)
        #expect(try replica.article(file.articleID).state.text(.title) == "Edited in the replica")

        // A change made to the file itself is imported, and only that change.
        try expectBodyChangeImportedAlone(file, at: "archive/\(path)", adding: "<p>added later</p>\n", replica, work)

        // After an export the files say what the replica says, and importing them writes nothing.
        _ = try replica.export(to: work.file("archive"))
        let fourth = try replica.importFiles([work.file("archive")])
        #expect(fourth.unchanged == 2 && fourth.updated == 0)
    }

    @Test func twoNewFilesWithOneURLInOneImportAreTwoCapturesOfOneArticle() throws {
        let (_, file) = ArticleGenerator(seed: 3).article(0)
        try work.write("archive/a.txt", file.render())
        var other = file
        other.title = "A second capture"
        other.capturedAt += 60_000
        try work.write("archive/b.txt", other.render())
        let report = try replica.importFiles([work.file("archive")])
        #expect(report.created == 1 && report.recaptured == 1 && report.identicalCopies == 0 && report.refused.isEmpty)
        // The article shows its newest capture; each capture keeps its own file.
        #expect(try replica.article(file.articleID).state.text(.title) == "A second capture")
        #expect(try replica.article(ArticleID(captureOf: file.url, at: "a.txt")).state.text(.title) == file.title)
        let listed = try replica.read { db in
            try replica.projector.list(includeDeleted: false, tag: nil, limit: nil, db)
        }
        #expect(listed.map(\.id) == [file.articleID] && listed.first?.captures == 2)
    }

    @Test func aFileLargerThanAnEventMayHoldIsRefusedAndTheRestImported() throws {
        try writeGenerated(0..<2, into: "archive")
        let huge = "<!--1-->\n[Huge](https://e.org/huge)\n------\n\n" + String(repeating: "<p>x</p>", count: 600_000)
        try work.write("archive/huge.txt", huge)
        let report = try replica.importFiles([work.file("archive")])
        #expect(report.created == 2)
        #expect(report.refused.first?.reason.contains("4 MiB") == true)
    }

    @Test func oneFileImportedByNameKeepsThePathItHasInItsFolder() throws {
        try writeGenerated(0..<3, into: "archive")
        _ = try replica.importFiles([work.file("archive")])
        let (path, file) = ArticleGenerator(seed: 3).article(1)
        var changed = file
        changed.title = "Changed on its own"
        try work.write("archive/\(path)", changed.render())
        let report = try replica.importFiles([work.file("archive/\(path)")])
        #expect(report.updated == 1 && report.moved == 0)
        let state = try replica.article(file.articleID).state
        #expect(state.text(.path) == path && state.text(.title) == "Changed on its own")
    }

    @Test func reimportingAnUntouchedFolderAfterAnExportElsewhereKeepsLaterEdits() throws {
        try writeGenerated(0..<3, into: "archive")
        _ = try replica.importFiles([work.file("archive")])
        let generator = ArticleGenerator(seed: 3)
        let (path, file) = generator.article(0)
        let moved = generator.article(1).file.articleID
        _ = try replica.edit(file.articleID, values: [(.title, .text("Edited in the replica"))])
        _ = try replica.edit(moved, values: [(.path, .text("renamed.txt"))])
        _ = try replica.export(to: work.file("second"))
        let events = try replica.status().events

        let again = try replica.importFiles([work.file("archive")])
        #expect(again.unchanged == 3 && again.updated == 0 && again.refused.isEmpty)
        #expect(try replica.status().events == events)
        #expect(try replica.article(file.articleID).state.text(.title) == "Edited in the replica")
        #expect(try replica.article(moved).state.text(.path) == "renamed.txt")

        // A value the journal has never held, written in the first folder, is an update.
        try expectBodyChangeImportedAlone(
            file, at: "archive/\(path)", adding: "<p>new in the first folder</p>\n", replica, work)
    }

    @Test func aCopyOfAnOldExportInAFolderNeverSeenDoesNotUndoEdits() throws {
        try writeGenerated(0..<2, into: "archive")
        _ = try replica.importFiles([work.file("archive")])
        _ = try replica.export(to: work.file("old"))
        let (path, file) = ArticleGenerator(seed: 3).article(0)
        _ = try replica.edit(file.articleID, values: [(.title, .text("Edited after the export"))])
        try FileManager.default.copyItem(atPath: work.file("old"), toPath: work.file("copy"))
        let events = try replica.status().events

        let report = try replica.importFiles([work.file("copy")])
        #expect(report.unchanged == 2 && report.updated == 0)
        #expect(try replica.status().events == events)

        // In that folder, too, a value never seen is a change.
        var changed = file
        changed.title = "Retitled in the copy"
        try work.write("copy/\(path)", changed.render())
        let again = try replica.importFiles([work.file("copy")])
        #expect(again.updated == 1)
        #expect(try replica.article(file.articleID).state.text(.title) == "Retitled in the copy")
    }
}

/// Appends `addition` to the body of `file` at `path` in `work`, imports the archive folder, and
/// expects one update holding only that body, with the title edited in the replica kept.
func expectBodyChangeImportedAlone(
    _ file: ArticleFile, at path: String, adding addition: String, _ replica: Replica, _ work: TemporaryDirectory
) throws {
    var changed = file
    changed.body += addition
    try work.write(path, changed.render())
    let report = try replica.importFiles([work.file("archive")])
    #expect(report.updated == 1)
    let last = try #require(try replica.history(of: file.articleID).last)
    #expect(last.event.changes == [.set(.body, .text(changed.body))])
    #expect(try replica.article(file.articleID).state.text(.title) == "Edited in the replica")
}
