import ArchiveModel
import ArticleProjector
import EventJournal
import Foundation
import GRDB
import Replica
import TestSupport
import Testing

/// The edges of captures: folders that never held a capture, date lines rewritten or in
/// conflict, capture selectors that look like numbers, restores, and what `verify` sees.
struct CaptureEdgeTests {
    let work: TemporaryDirectory
    let replica: Replica
    let url = "https://www.example.org/a/world/5493193.html"

    init() throws {
        work = try TemporaryDirectory("capture-edges")
        replica = try Replica.create(at: work.file("replica.db"), name: "laptop")
    }

    func file(_ stamp: Int64, _ body: String) -> String {
        "<!--\(stamp)-->\n[Title](\(url))\n------\n\n\(body)"
    }

    func captures() throws -> [CaptureSummary] {
        try replica.read { db in try replica.projector.captures(of: ArticleID(url: url), db) }
    }

    @Test func aFileOfTheSameURLInAnotherFolderIsANewCaptureNotAMove() throws {
        try work.write("a/x.txt", file(1000, "<p>old</p>\n"))
        try work.write("b/y.txt", file(2000, "<p>new</p>\n"))
        _ = try replica.importFiles([work.file("a")])
        let report = try replica.importFiles([work.file("b")])
        #expect(report.recaptured == 1 && report.updated == 0 && report.moved == 0)
        #expect(try captures().map(\.path) == ["x.txt", "y.txt"])
        // Both folders at once: the same.
        let other = try Replica.create(at: work.file("other.db"), name: "other")
        let both = try other.importFiles([work.file("a"), work.file("b")])
        #expect(both.created == 1 && both.recaptured == 1 && both.refused.isEmpty)
        #expect(try replica.digest() == other.digest())
    }

    @Test func aFileMovedInsideItsFolderIsStillAMove() throws {
        try work.write("a/x.txt", file(1000, "<p>old</p>\n"))
        _ = try replica.importFiles([work.file("a")])
        try FileManager.default.moveItem(atPath: work.file("a/x.txt"), toPath: work.file("a/moved.txt"))
        let report = try replica.importFiles([work.file("a")])
        #expect(report.moved == 1 && report.recaptured == 0)
        #expect(try captures().map(\.path) == ["moved.txt"])
    }

    @Test func aDateLineWrittenOverTheSameInstantIsAnUpdateWithItsCaptureTime() throws {
        try work.write("a/x.txt", file(1_593_442_382_000, "<p>b</p>\n"))
        _ = try replica.importFiles([work.file("a")])
        try work.write(
            "a/x.txt", "[Title](\(url))\n------\n日期：Mon, 29 Jun 2020 14:53:02 +0000\n\n<p>b</p>\n")
        let report = try replica.importFiles([work.file("a")])
        #expect(report.updated == 1 && report.refused.isEmpty, "\(report.refused)")
        let state = try replica.article(ArticleID(url: url)).state
        #expect(state.text(.dateLine) == "日期：Mon, 29 Jun 2020 14:53:02 +0000")
        #expect(state.capturedAt == 1_593_442_382_000)
        // The same instant written another way.
        try work.write("a/x.txt", "[Title](\(url))\n------\n日期：29 Jun 2020 14:53:02 GMT\n\n<p>b</p>\n")
        #expect(try replica.importFiles([work.file("a")]).updated == 1)
        #expect(try replica.verify().ok)
    }

    @Test func aConflictOnADateLineIsResolvedWithItsCaptureTime() throws {
        let server = try Replica.create(at: work.file("server.db"), name: "server")
        try work.write("l/x.txt", "[Title](\(url))\n------\n日期：Mon, 29 Jun 2020 14:53:02 +0000\n\n<p>b</p>\n")
        try work.write("s/x.txt", "[Title](\(url))\n------\n日期：Mon, 29 Jun 2020 15:53:02 +0000\n\n<p>b</p>\n")
        _ = try replica.importFiles([work.file("l")])
        _ = try server.importFiles([work.file("s")])
        _ = try replica.apply(try server.events(missingFrom: replica.knowledge(), limit: 100))
        let capture = ArticleID(captureOf: url, at: "x.txt")
        let state = try replica.article(capture).state
        #expect(state.registers[.dateLine]?.isConflict == true && state.registers[.capturedAt]?.isConflict == true)
        // The capture time alone may only be the date line's.
        #expect(throws: ReplicaError.self) {
            try replica.resolve(capture, field: .capturedAt, take: nil, value: .integer(1_593_446_000_000))
        }
        let mine = try replica.status().identity.origin
        let head = try #require(state.registers[.dateLine]?.heads.first { $0.dot.origin != mine })
        let event = try replica.resolve(
            capture, field: .dateLine, take: "\(head.dot.origin.hex):\(head.dot.seq)", value: nil)
        #expect(event.changes.contains(.set(.capturedAt, .integer(1_593_445_982_000))))
        let resolved = try replica.article(capture).state
        #expect(resolved.conflictedFields.isEmpty)
        #expect(resolved.text(.dateLine) == "日期：Mon, 29 Jun 2020 15:53:02 +0000")
        #expect(resolved.capturedAt == 1_593_445_982_000)
    }

    @Test func aCaptureSelectorOfDigitsIsANumberWhenInRangeElseAnIDPrefix() throws {
        // Paths chosen until one capture's id starts with four digits.
        var paths: [String] = []
        var digitPrefix: String?
        for index in 0..<200 where digitPrefix == nil || paths.count < 2 {
            let path = "p\(index).txt"
            let id = ArticleID(captureOf: url, at: path).hex
            if digitPrefix == nil, id.prefix(4).allSatisfy(\.isNumber), Int(id.prefix(4))! > 2 {
                digitPrefix = String(id.prefix(4))
                paths.append(path)
            } else if paths.count < 1 || (digitPrefix != nil && paths.count < 2) {
                paths.append(path)
            }
        }
        let prefix = try #require(digitPrefix)
        for (index, path) in paths.enumerated() {
            try work.write("a/\(path)", file(Int64(1000 + index), "<p>\(index)</p>\n"))
        }
        _ = try replica.importFiles([work.file("a")])
        let byPrefix = try replica.resolve(ArticleID(url: url).hex, capture: prefix)
        #expect(byPrefix.id.hex.hasPrefix(prefix))
        #expect(try replica.resolve(ArticleID(url: url).hex, capture: "2") == .capture(captures()[1].id))
        #expect(throws: ReplicaError.self) { try replica.resolve(ArticleID(url: url).hex, capture: "9") }
    }

    @Test func restoringAnArticleWithLiveCapturesIsRefusedAndACaptureOfADeletedArticleToo() throws {
        try work.write("a/x.txt", file(1000, "<p>1</p>\n"))
        try work.write("a/y.txt", file(2000, "<p>2</p>\n"))
        _ = try replica.importFiles([work.file("a")])
        let article = ArticleID(url: url)
        let stale = ArticleID(captureOf: url, at: "x.txt")
        _ = try replica.delete(ArticleTarget.capture(stale))
        #expect {
            try replica.restore(ArticleTarget.article(article))
        } throws: { ($0 as? ReplicaError)?.code == .articleNotDeleted && "\($0)".contains("--capture") }
        _ = try replica.delete(ArticleTarget.article(article))
        #expect {
            try replica.capture(url: url, title: "T", body: "b", path: "z.txt")
        } throws: { ($0 as? ReplicaError)?.code == .articleDeleted }
        #expect(try replica.restore(ArticleTarget.article(article)).count == 2)
        #expect(try captures().allSatisfy { !$0.deleted })
    }

    @Test func showingOneCaptureShowsItsOwnTagsAndNote() throws {
        try work.write("a/x.txt", file(1000, "<p>1</p>\n"))
        try work.write("a/y.txt", file(2000, "<p>2</p>\n"))
        _ = try replica.importFiles([work.file("a")])
        let old = ArticleID(captureOf: url, at: "x.txt")
        _ = try replica.tag(ArticleTarget.capture(old), add: ["only-old"], remove: [])
        _ = try replica.edit(ArticleTarget.capture(old), values: [(.note, .text("old note"))])
        let whole = try replica.article(ArticleID(url: url))
        #expect(whole.tags == ["only-old"] && whole.note == "old note")
        let newest = try replica.article(ArticleID(captureOf: url, at: "y.txt"), capture: true)
        #expect(newest.tags.isEmpty && newest.note.isEmpty)
    }

    @Test func verifyFindsACaptureFiledUnderTheWrongArticle() throws {
        try work.write("a/x.txt", file(1000, "<p>1</p>\n"))
        _ = try replica.importFiles([work.file("a")])
        #expect(try replica.verify().ok)
        try DatabaseQueue(path: work.file("replica.db")).write { db in
            try db.execute(sql: "UPDATE article SET article_id = '00000000000000aa'")
            try db.execute(sql: "UPDATE article_head SET article_id = '00000000000000aa'")
        }
        let report = try replica.verify()
        #expect(!report.ok)
        #expect(report.checks.flatMap(\.problems).contains { $0.contains("not the one its url names") })
    }
}
