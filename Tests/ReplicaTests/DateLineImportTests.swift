import ArchiveModel
import Foundation
import Replica
import TestSupport
import Testing

/// Files in the date-line form (a sibling pipeline's variant of the archive format) through a
/// replica: imported with their date kept as written, exported byte for byte, mixed with files in
/// the comment form in one folder.
struct DateLineImportTests {
    let work: TemporaryDirectory
    let replica: Replica

    init() throws {
        work = try TemporaryDirectory("date-line")
        replica = try Replica.create(at: work.file("replica.db"), name: "laptop")
    }

    static let dateLineFile = Array(
        """
        [美国新公民入籍宣誓采用得来速模式](https://www.example.org/a/5493193.html)
        ------
        日期：Mon, 29 Jun 2020 14:53:02 +0000

        <div><p>第一段。</p>\r\n<p>second</p></div>

        """.utf8)

    static let dateLineWithFrontMatter = Array(
        """
        ---
        layout: post
        title: "Zone"
        ---
        [A title](https://www.example.org/a/2.html)
        ------
        日期：Tue, 30 Jun 2020 08:00:00 +0800

        <p>body</p>

        """.utf8)

    static let commentFile = Array(
        """
        <!--1593442382000-->
        [The comment form](https://www.example.org/a/3.html)
        ------

        <p>body</p>

        """.utf8)

    @Test func aFolderMixingBothFormsImportsAndExportsByteForByte() throws {
        let files = [
            "posts/dated.md": Self.dateLineFile, "posts/zone.md": Self.dateLineWithFrontMatter,
            "comment.txt": Self.commentFile,
        ]
        for (path, bytes) in files { try work.write("archive/\(path)", bytes) }
        let report = try replica.importFiles([work.file("archive")])
        #expect(report.refused.isEmpty, "\(report.refused)")
        #expect(report.created == 3)

        // captured_at comes from the date line; the line itself is kept as written.
        let dated = try replica.article(ArticleID(url: "https://www.example.org/a/5493193.html")).state
        #expect(dated.capturedAt == 1_593_442_382_000)
        #expect(dated.text(.dateLine) == "日期：Mon, 29 Jun 2020 14:53:02 +0000")
        let zoned = try replica.article(ArticleID(url: "https://www.example.org/a/2.html")).state
        #expect(zoned.capturedAt == 1_593_475_200_000)
        #expect(try replica.article(ArticleID(url: "https://www.example.org/a/3.html")).state.text(.dateLine).isEmpty)
        // The same instant in both forms sorts as one time.
        let listed = try replica.read { db in
            try replica.projector.list(includeDeleted: false, tag: nil, limit: nil, db)
        }
        #expect(listed.map(\.capturedAt) == [1_593_475_200_000, 1_593_442_382_000, 1_593_442_382_000])

        let report2 = try replica.export(to: work.file("out"))
        #expect(report2.written == 3 && report2.skipped.isEmpty)
        for (path, bytes) in files {
            #expect(Array(try Data(contentsOf: URL(fileURLWithPath: work.file("out/\(path)")))) == bytes, "\(path)")
        }
        // Imported again: nothing to write. Rebuilt: the same tables.
        let events = try replica.status().events
        #expect(try replica.importFiles([work.file("out")]).unchanged == 3)
        #expect(try replica.importFiles([work.file("archive")]).unchanged == 3)
        #expect(try replica.status().events == events)
        let digest = try replica.status().digest
        _ = try replica.rebuild()
        #expect(try replica.status().digest == digest)
        #expect(try replica.verify().ok)
    }

    @Test(arguments: [
        ("日期：Mon, 31 Jun 2020 14:53:02 +0000", "Jun 2020 has 30 days"),
        ("日期：Tue, 29 Jun 2020 14:53:02 +0000", "does not match"),
        ("Date: Mon, 29 Jun 2020 14:53:02 +0000", "日期："),
        ("日期：Mon, 29 Jun 2020 14:53 +0000", "HH:MM:SS"),
        ("日期：Mon, 29 Jun 2020 14:53:02 +0000 ", "nothing may follow"),
    ])
    func aMalformedDateLineIsRefusedWithItsReasonAndWritesNothing(line: String, reason: String) throws {
        try work.write("archive/bad.md", "[T](https://www.example.org/a/9.html)\n------\n\(line)\n\n<p>b</p>\n")
        try work.write("archive/good.txt", Self.commentFile)
        let report = try replica.importFiles([work.file("archive")])
        #expect(report.created == 1)
        #expect(report.refused.count == 1)
        #expect(report.refused.first?.file.hasSuffix("bad.md") == true)
        #expect(report.refused.first?.reason.contains("line 3") == true, "\(report.refused)")
        #expect(report.refused.first?.reason.contains(reason) == true, "\(report.refused)")
        #expect(try replica.status().events == 1)
    }

    @Test func aCaptureInTheOtherFormIsARecaptureAndHistoryShowsTheDifference() throws {
        // The same url captured in the comment form, later in the date-line form.
        let url = "https://www.example.org/a/5493193.html"
        try work.write(
            "archive/old.txt",
            "<!--1593400000000-->\n[美国新公民入籍宣誓采用得来速模式](\(url))\n------\n\n<div><p>第一段。</p></div>\n")
        try work.write("archive/new.md", Self.dateLineFile)
        let report = try replica.importFiles([work.file("archive")])
        #expect(report.created == 1 && report.recaptured == 1 && report.identicalCopies == 0)
        let versions = try replica.captureVersions(of: ArticleID(url: url))
        #expect(versions.map(\.summary.path) == ["old.txt", "new.md"])
        #expect(versions.map(\.file.dateLine) == ["", "日期：Mon, 29 Jun 2020 14:53:02 +0000"])
        #expect(versions.last?.file.render() == Self.dateLineFile)
    }

    @Test func anEventSettingADateLineMustSetItsInstant() throws {
        let line = "日期：Mon, 29 Jun 2020 14:53:02 +0000"
        let url = "https://www.example.org/a/1.html"
        #expect(throws: ArchiveModelError.self) {
            _ = try Event.seal(
                Event.Draft(
                    origin: EventFactory.origin(1), seq: 1, hlc: HybridTimestamp(milliseconds: 1, counter: 0),
                    clock: VectorClock(), article: ArticleID(captureOf: url, at: "a.md"), kind: .create,
                    changes: [
                        .set(.url, .text(url)), .set(.capturedAt, .integer(1)), .set(.dateLine, .text(line)),
                        .set(.path, .text("a.md")),
                    ], prev: .zero))
        }
        let sealed = try Event.seal(
            Event.Draft(
                origin: EventFactory.origin(1), seq: 1, hlc: HybridTimestamp(milliseconds: 1, counter: 0),
                clock: VectorClock(), article: ArticleID(captureOf: url, at: "a.md"), kind: .create,
                changes: [
                    .set(.url, .text(url)), .set(.capturedAt, .integer(1_593_442_382_000)),
                    .set(.dateLine, .text(line)), .set(.path, .text("a.md")),
                ], prev: .zero))
        #expect(sealed.value(of: .dateLine) == .text(line))
    }
}
