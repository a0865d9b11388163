import ArchiveModel
import ArticleGenerator
import Foundation
import GRDB
import Replica
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// What can stand in the way of one article's file; `ExportTests.eachHazardSkipsOneArticleAndWritesTheRest`
/// puts each in front of article 0 and checks that only it is skipped, and nothing written outside.
enum ExportHazard: String, CaseIterable, Sendable {
    case fileWhereAFolderIsNeeded, folderWhereAFileIsNeeded, namePartOver255Bytes, pathLeavingTheFolder
    case symlinkedFolderPointingOutside, symlinkAtTheFile, namedPipeAtTheFile, fileWithChangesNotImported

    var expected: ExportProblem.Kind {
        switch self {
        case .fileWhereAFolderIsNeeded: .fileInTheWay
        case .folderWhereAFileIsNeeded: .folderInTheWay
        case .namePartOver255Bytes: .nameTooLong
        case .pathLeavingTheFolder: .invalidPath
        case .symlinkedFolderPointingOutside, .symlinkAtTheFile: .symbolicLink
        case .namedPipeAtTheFile: .notRegular
        case .fileWithChangesNotImported: .localChanges
        }
    }
}

struct ExportTests {
    let work: TemporaryDirectory
    let replica: Replica
    let ids: [ArticleID]
    let files: [ArticleFile]

    init() throws {
        work = try TemporaryDirectory("export")
        replica = try Replica.create(at: work.file("replica.db"), name: "laptop")
        let generator = ArticleGenerator(seed: 11)
        files = (0..<5).map { generator.article($0).file }
        for (index, file) in files.enumerated() { try work.write("archive/a\(index).txt", file.render()) }
        _ = try replica.importFiles([work.file("archive")])
        // Each file is one capture, named by its url and path.
        ids = files.enumerated().map { ArticleID(captureOf: $1.url, at: "a\($0).txt") }
    }

    /// Sets an article's path in the article table directly, as a replica made before today's
    /// rules on paths may hold it.
    func setPathInProjection(_ id: ArticleID, _ path: String) throws {
        try DatabaseQueue(path: work.file("replica.db")).write { db in
            try db.execute(sql: "UPDATE article SET path = ? WHERE id = ?", arguments: [path, id.hex])
        }
    }

    func contents(_ path: String) -> [UInt8]? {
        FileManager.default.contents(atPath: path).map { Array($0) }
    }

    @Test(arguments: ExportHazard.allCases)
    func eachHazardSkipsOneArticleAndWritesTheRest(_ hazard: ExportHazard) throws {
        let out = work.file("out")
        let outside = work.file("outside")
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        try work.write("outside/a0.txt", "outside, not the export's")
        switch hazard {
        case .fileWhereAFolderIsNeeded:
            _ = try replica.edit(ids[0], values: [(.path, .text("a1.txt/y.txt"))])
        case .folderWhereAFileIsNeeded:
            try FileManager.default.createDirectory(atPath: out + "/a0.txt", withIntermediateDirectories: true)
        case .namePartOver255Bytes:
            try setPathInProjection(ids[0], "deep/" + String(repeating: "n", count: 252) + ".txt")
        case .pathLeavingTheFolder:
            try setPathInProjection(ids[0], "../outside/a0.txt")
        case .symlinkedFolderPointingOutside:
            _ = try replica.edit(ids[0], values: [(.path, .text("linked/a0.txt"))])
            try FileManager.default.createSymbolicLink(atPath: out + "/linked", withDestinationPath: outside)
        case .symlinkAtTheFile:
            try FileManager.default.createSymbolicLink(
                atPath: out + "/a0.txt", withDestinationPath: outside + "/a0.txt")
        case .namedPipeAtTheFile:
            #expect(mkfifo(out + "/a0.txt", 0o644) == 0)
        case .fileWithChangesNotImported:
            _ = try replica.export(to: out)
            var changed = files[0]
            changed.body += "<p>written in the folder, not imported yet</p>\n"
            try Data(changed.render()).write(to: URL(fileURLWithPath: out + "/a0.txt"))
        }
        // A named pipe is never read here: reading it would wait for a writer.
        let before = hazard == .namedPipeAtTheFile ? nil : contents(out + "/a0.txt")

        let report = try replica.export(to: out)

        #expect(report.skipped.map(\.article) == [ids[0]])
        #expect(report.skipped.first?.kind == hazard.expected)
        #expect(report.skipped.first?.message.contains("capture \(ids[0])") == true)
        #expect(report.written + report.unchanged == 4)
        for index in 1..<5 {
            #expect(contents(out + "/a\(index).txt") == files[index].render(), "a\(index).txt")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: outside) == ["a0.txt"])
        #expect(contents(outside + "/a0.txt") == Array("outside, not the export's".utf8))
        if hazard == .fileWithChangesNotImported || hazard == .symlinkAtTheFile {
            #expect(contents(out + "/a0.txt") == before)
        }
    }

    @Test func forceOverwritesChangesNotImportedAndReplacesALinkButNotWhatItPointsTo() throws {
        let out = work.file("out")
        _ = try replica.export(to: out)
        try Data("changed in the folder".utf8).write(to: URL(fileURLWithPath: out + "/a0.txt"))
        try work.write("outside/target.txt", "outside")
        try FileManager.default.removeItem(atPath: out + "/a1.txt")
        try FileManager.default.createSymbolicLink(
            atPath: out + "/a1.txt", withDestinationPath: work.file("outside/target.txt"))

        let report = try replica.export(to: out, force: true)

        #expect(report.skipped.isEmpty && report.written == 2)
        #expect(contents(out + "/a0.txt") == files[0].render())
        #expect(contents(out + "/a1.txt") == files[1].render())
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: out + "/a1.txt")) == nil)
        #expect(contents(work.file("outside/target.txt")) == Array("outside".utf8))
    }

    @Test func anOlderExportIsOverwrittenSinceTheJournalKnowsIt() throws {
        let out = work.file("out")
        _ = try replica.export(to: out)
        _ = try replica.edit(ids[2], values: [(.title, .text("Edited after the export"))])
        _ = try replica.export(to: work.file("elsewhere"))

        let report = try replica.export(to: out)

        #expect(report.skipped.isEmpty)
        #expect(report.written == 1 && report.unchanged == 4)
        let written = try ArticleFile.parse(try #require(contents(out + "/a2.txt")), name: "a2.txt")
        #expect(written.title == "Edited after the export")
    }

    @Test func aFileEditedBackToAnOlderVersionInTheFolderIsALocalChange() throws {
        let out = work.file("out")
        _ = try replica.export(to: out)
        _ = try replica.edit(ids[0], values: [(.title, .text("Second title"))])
        _ = try replica.export(to: out)
        // Someone puts the first version back in the folder: a change the replica has not imported.
        try Data(files[0].render()).write(to: URL(fileURLWithPath: out + "/a0.txt"))
        _ = try replica.edit(ids[0], values: [(.title, .text("Third title"))])

        let report = try replica.export(to: out)

        #expect(report.skipped.map(\.kind) == [.localChanges])
        #expect(contents(out + "/a0.txt") == files[0].render())
    }

    @Test func pathsDifferingOnlyInCaseAreAllWrittenWithAWarning() throws {
        _ = try replica.edit(ids[3], values: [(.path, .text("A0.txt"))])
        let decomposed = "caf\u{65}\u{301}.txt"
        _ = try replica.edit(ids[1], values: [(.path, .text("caf\u{E9}.txt"))])
        _ = try replica.edit(ids[4], values: [(.path, .text(decomposed))])

        let report = try replica.export(to: work.file("out"))

        #expect(report.skipped.isEmpty && report.written == 5)
        #expect(Set(report.warnings.map(\.kind)) == [.caseClash])
        #expect(Set(report.warnings.map(\.article)).count == 2)
        #expect(Set(report.warnings.map(\.article)).isSubset(of: [ids[0], ids[3], ids[1], ids[4]]))
        #expect(contents(work.file("out/A0.txt")) == files[3].render())
        #expect(contents(work.file("out/a0.txt")) == files[0].render())
    }

    @Test func twoArticlesAtOnePathWriteTheLowerIdAndReportTheOther() throws {
        for id in ids.dropFirst(2) { _ = try replica.edit(id, values: [(.path, .text("same.txt"))]) }
        let report = try replica.export(to: work.file("out"))
        let owner = try #require(ids.dropFirst(2).min())
        #expect(report.written == 3)
        #expect(
            report.skipped.count == 2 && report.skipped.allSatisfy { $0.kind == .samePath && $0.path == "same.txt" })
        #expect(report.skipped.allSatisfy { $0.message.contains("capture \(owner)") })
        #expect(contents(work.file("out/same.txt")) == files[try #require(ids.firstIndex(of: owner))].render())
    }
}
