import ArchiveModel
import ArticleProjector
import EventJournal
import Foundation
import GRDB
import Replica
import TestSupport
import Testing

/// What edit, tag, delete, restore and resolve do to an article held as three captures: files
/// a.txt, b.txt and c.txt of one url, captured in that order.
struct CaptureEditingTests {
    let work: TemporaryDirectory
    let replica: Replica
    let url = "https://news.example.org/a/captures/1.html"
    let titles = ["a.txt": "First capture", "b.txt": "Second capture", "c.txt": "Third capture"]

    init() throws {
        work = try TemporaryDirectory("capture-editing")
        replica = try Replica.create(at: work.file("replica.db"), name: "laptop")
        for name in ["a.txt", "b.txt", "c.txt"] { try work.write("archive/\(name)", file(name).render()) }
        let report = try replica.importFiles([work.file("archive")])
        #expect(report.created == 1 && report.recaptured == 2 && report.refused.isEmpty)
    }

    var article: ArticleID { ArticleID(url: url) }
    var a: ArticleID { ArticleID(captureOf: url, at: "a.txt") }
    var b: ArticleID { ArticleID(captureOf: url, at: "b.txt") }
    var c: ArticleID { ArticleID(captureOf: url, at: "c.txt") }

    /// The file of the capture at `name`: captured a minute after the one before it.
    func file(_ name: String) -> ArticleFile {
        let order = Int64(["a.txt", "b.txt", "c.txt"].firstIndex(of: name) ?? 3)
        return ArticleFile(
            capturedAt: 1_731_686_344_000 + order * 60_000, title: titles[name] ?? "Later capture", url: url,
            body: "<p>Body of \(name).</p>\n")
    }

    func state(_ capture: ArticleID) throws -> ArticleState {
        try replica.article(capture, capture: true).state
    }

    func listed(includeDeleted: Bool = false, tag: String? = nil) throws -> [ArticleSummary] {
        try replica.read { db in try replica.projector.list(includeDeleted: includeDeleted, tag: tag, limit: nil, db) }
    }

    func exportedFiles(_ name: String) throws -> [String: [UInt8]] {
        let out = work.url.appendingPathComponent(name)
        let report = try replica.export(to: out.path)
        #expect(report.skipped.isEmpty)
        return try CaptureCorpus.contents(of: out)
    }

    @Test func theCapturesAreThreeRecordsOfOneArticle() throws {
        #expect(try replica.captureVersions(of: article).map(\.summary.id) == [a, b, c])
        #expect(try listed().map(\.id) == [article])
        #expect(try listed().first?.captures == 3)
        #expect(try listed().first?.capture == c)
        #expect(try replica.article(article).state.id == c)
    }

    @Test func editingATitleChangesOnlyTheNewestLiveCapture() throws {
        let events = try replica.edit(article, values: [(.title, .text("Corrected"))])
        #expect(events.map(\.article) == [c])
        #expect(events.map(\.changes) == [[.set(.title, .text("Corrected"))]])
        #expect(try state(a).text(.title) == "First capture")
        #expect(try state(b).text(.title) == "Second capture")
        #expect(try state(c).text(.title) == "Corrected")
        #expect(try replica.article(article).state.text(.title) == "Corrected")

        // With the newest deleted, the newest live one is edited.
        _ = try replica.delete(.capture(c))
        let next = try replica.edit(article, values: [(.title, .text("Corrected again"))])
        #expect(next.map(\.article) == [b])
        #expect(try state(a).text(.title) == "First capture")
        #expect(try state(b).text(.title) == "Corrected again")
        #expect(try state(c).text(.title) == "Corrected")

        // One capture named by its id is edited itself.
        let own = try replica.edit(.capture(a), values: [(.title, .text("Only the first"))])
        #expect(own.map(\.article) == [a])
        #expect(try state(a).text(.title) == "Only the first")
        #expect(try state(b).text(.title) == "Corrected again")
    }

    @Test func editingTheNoteWritesItOnEveryLiveCapture() throws {
        _ = try replica.delete(.capture(a))
        let events = try replica.edit(article, values: [(.note, .text("check the dates")), (.title, .text("New"))])
        #expect(Set(events.map(\.article)) == [b, c])
        #expect(events.count == 2)
        #expect(events.first { $0.article == b }?.changes == [.set(.note, .text("check the dates"))])
        let head = try #require(events.first { $0.article == c })
        #expect(Set(head.changes) == [.set(.note, .text("check the dates")), .set(.title, .text("New"))])
        #expect(head.changes.count == 2)
        #expect(try state(a).text(.note) == "")
        #expect(try state(b).text(.note) == "check the dates")
        #expect(try state(c).text(.note) == "check the dates")
        #expect(try state(b).text(.title) == "Second capture")
        #expect(try replica.article(article).note == "check the dates")
        // The same values again: nothing to write.
        #expect {
            try replica.edit(article, values: [(.note, .text("check the dates"))])
        } throws: { ($0 as? ReplicaError)?.code == .nothingToChange }
    }

    @Test func tagsGoOnEveryLiveCaptureAndShowOnceInTheList() throws {
        let added = try replica.tag(article, add: ["korea"], remove: [])
        #expect(Set(added.map(\.article)) == [a, b, c] && added.count == 3)
        #expect(added.allSatisfy { $0.changes == [.tagAdd("korea")] })
        for capture in [a, b, c] { #expect(try state(capture).tags.map(\.text) == ["korea"]) }
        #expect(try listed().map(\.tags) == [["korea"]])
        #expect(try listed(tag: "korea").map(\.id) == [article])
        #expect(try replica.article(article).tags == ["korea"])

        let removed = try replica.tag(article, add: [], remove: ["korea"])
        #expect(Set(removed.map(\.article)) == [a, b, c] && removed.count == 3)
        #expect(removed.allSatisfy { $0.changes == [.tagRemove("korea")] })
        for capture in [a, b, c] { #expect(try state(capture).tags.isEmpty) }
        #expect(try listed().map(\.tags) == [[]])
        #expect(try listed(tag: "korea").isEmpty)
        #expect {
            try replica.tag(article, add: [], remove: ["korea"])
        } throws: { ($0 as? ReplicaError)?.code == .invalidValue }
    }

    @Test func aTagRemovedFromAnArticleLeavesTheCapturesThatNeverHadIt() throws {
        _ = try replica.tag(.capture(b), add: ["only-b"], remove: [])
        #expect(try listed().map(\.tags) == [["only-b"]])
        let removed = try replica.tag(article, add: [], remove: ["only-b"])
        #expect(removed.map(\.article) == [b])
        #expect(removed.map(\.changes) == [[.tagRemove("only-b")]])
    }

    @Test func deletingAnArticleDeletesEveryCaptureAndRestoreBringsThemBack() throws {
        let deleted = try replica.delete(article)
        #expect(Set(deleted.map(\.article)) == [a, b, c] && deleted.count == 3)
        #expect(deleted.allSatisfy { $0.kind == .delete })
        #expect(try listed().isEmpty)
        let all = try listed(includeDeleted: true)
        #expect(all.map(\.id) == [article] && all.first?.deleted == true && all.first?.captures == 3)
        #expect(try exportedFiles("deleted").isEmpty)
        let status = try replica.status()
        #expect(status.counts.articles == 1 && status.counts.deleted == 1 && status.counts.captures == 0)
        #expect {
            try replica.edit(article, values: [(.title, .text("x"))])
        } throws: { ($0 as? ReplicaError)?.code == .articleDeleted && "\($0)".contains("restore") }
        #expect { try replica.delete(article) } throws: { ($0 as? ReplicaError)?.code == .articleDeleted }

        let restored = try replica.restore(article)
        #expect(Set(restored.map(\.article)) == [a, b, c] && restored.count == 3)
        #expect(restored.allSatisfy { $0.kind == .restore })
        #expect(try listed().map(\.captures) == [3])
        #expect(
            try exportedFiles("restored") == [
                "a.txt": file("a.txt").render(), "b.txt": file("b.txt").render(), "c.txt": file("c.txt").render(),
            ])
        #expect { try replica.restore(article) } throws: { ($0 as? ReplicaError)?.code == .articleNotDeleted }
    }

    @Test func deletingAnArticleWithADeletedCaptureDeletesTheLiveOnesAndRestoreBringsBackAll() throws {
        _ = try replica.delete(.capture(a))
        let deleted = try replica.delete(article)
        #expect(Set(deleted.map(\.article)) == [b, c] && deleted.count == 2)
        let restored = try replica.restore(article)
        #expect(Set(restored.map(\.article)) == [a, b, c] && restored.count == 3)
        for capture in [a, b, c] { #expect(try !state(capture).isDeleted) }
    }

    @Test func deletingOneCaptureLeavesTheOthers() throws {
        let events = try replica.delete(.capture(b))
        #expect(events.map(\.article) == [b] && events.map(\.kind) == [.delete])
        #expect(try state(b).isDeleted && !state(a).isDeleted && !state(c).isDeleted)
        #expect(try exportedFiles("out") == ["a.txt": file("a.txt").render(), "c.txt": file("c.txt").render()])
        let list = try listed()
        #expect(list.map(\.id) == [article] && list.first?.captures == 2 && list.first?.capture == c)
        #expect(try replica.status().counts.captures == 2)
        #expect { try replica.delete(.capture(b)) } throws: { ($0 as? ReplicaError)?.code == .articleDeleted }

        let restored = try replica.restore(.capture(b))
        #expect(restored.map(\.article) == [b])
        #expect(try listed().first?.captures == 3)
    }

    @Test func resolvingAnArticleWithTwoConflictedCapturesNamesThemAndOneCaptureResolves() throws {
        let clock = SteppingClock(start: Replica.systemClock(), step: 5)
        let server = try Replica.create(at: work.file("server.db"), name: "server", wallClock: { clock.read() })
        func sync(_ source: Replica, into target: Replica) throws {
            while true {
                let missing = try source.events(missingFrom: target.knowledge(), limit: 100)
                if missing.isEmpty { return }
                _ = try target.apply(missing)
            }
        }
        try sync(replica, into: server)
        for capture in [a, b] {
            _ = try replica.edit(.capture(capture), values: [(.title, .text("Laptop \(capture)"))])
            _ = try server.edit(.capture(capture), values: [(.title, .text("Server \(capture)"))])
        }
        try sync(replica, into: server)
        try sync(server, into: replica)
        #expect(try Set(replica.conflicts(of: article).map(\.article)) == [a, b])

        #expect {
            try replica.resolve(article, field: .title, take: nil, value: .text("One title"))
        } throws: { error in
            let message = "\(error)"
            return (error as? ReplicaError)?.code == .ambiguousArticle && message.contains(a.hex)
                && message.contains(b.hex)
        }
        let resolved = try replica.resolve(.capture(a), field: .title, take: nil, value: .text("Chosen for a"))
        #expect(resolved.article == a && resolved.kind == .resolve)
        #expect(try state(a).text(.title) == "Chosen for a")
        #expect(try replica.conflicts(of: article).map(\.article) == [b])

        // Now only b is in conflict: the article names it.
        let second = try replica.resolve(article, field: .title, take: nil, value: .text("Chosen for b"))
        #expect(second.article == b)
        #expect(try replica.conflicts(of: article).isEmpty)
        #expect(try state(b).text(.title) == "Chosen for b")
        #expect(try state(c).text(.title) == "Third capture")
    }

    @Test func reimportingAfterOneFileChangedUpdatesThatCaptureOnly() throws {
        var changed = file("b.txt")
        changed.body += "<p>A paragraph added later.</p>\n"
        try work.write("archive/b.txt", changed.render())
        let events = try replica.status().events
        let report = try replica.importFiles([work.file("archive")])
        #expect(report.updated == 1 && report.unchanged == 2 && report.created == 0 && report.recaptured == 0)
        #expect(report.moved == 0 && report.refused.isEmpty)
        #expect(try replica.status().events == events + 1)
        let history = try replica.history(of: article)
        #expect(history.map(\.event.kind) == [.create, .create, .create, .update])
        #expect(history.last?.event.article == b)
        #expect(history.last?.event.changes == [.set(.body, .text(changed.body))])
        #expect(try replica.history(of: a).count == 1 && replica.history(of: c).count == 1)
        #expect(try state(a).text(.body) == file("a.txt").body)
        #expect(try state(b).text(.body) == changed.body)
        #expect(try state(c).text(.body) == file("c.txt").body)
    }

    @Test func aNewCaptureOfAnArticleWhoseCapturesAreAllDeletedIsRefused() throws {
        _ = try replica.delete(article)
        let events = try replica.status().events
        let digest = try replica.status().digest
        try work.write("archive/d.txt", file("d.txt").render())
        let report = try replica.importFiles([work.file("archive")])
        #expect(report.refused.count == 1)
        #expect(report.refused.first?.file.hasSuffix("/d.txt") == true)
        #expect(report.refused.first?.reason.contains("restore") == true)
        #expect(report.unchanged == 3 && report.created == 0 && report.recaptured == 0)
        #expect(try replica.status().events == events)
        #expect(try replica.status().digest == digest)
    }
}
