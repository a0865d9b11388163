import ArchiveModel
import EventJournal
import Foundation
import GRDB
import Replica
import TestSupport
import Testing

/// Local writes, their refusals, and conflicts made by exchanging events between two replicas.
struct EditingTests {
    let work: TemporaryDirectory
    let laptop: Replica
    let server: Replica
    let url = "https://news.example.org/a/korea/1.html"

    init() throws {
        work = try TemporaryDirectory("editing")
        laptop = try Replica.create(at: work.file("laptop.db"), name: "laptop")
        let clock = SteppingClock(start: Replica.systemClock(), step: 5)
        server = try Replica.create(at: work.file("server.db"), name: "server", wallClock: { clock.read() })
    }

    /// Brings `target` up to date with `source`.
    func sync(_ source: Replica, into target: Replica) throws {
        while true {
            let missing = try source.events(missingFrom: target.knowledge(), limit: 100)
            if missing.isEmpty { return }
            _ = try target.apply(missing)
        }
    }

    func captureOnLaptop() throws -> ArticleID {
        try laptop.capture(url: url, title: "朝鲜 talks", body: "<p>第一段。</p><p>第二段。</p>\n", capturedAt: 1000).article
    }

    @Test func editWritesOnlyTheFieldsThatChange() throws {
        let id = try captureOnLaptop()
        let events = try laptop.edit(id, values: [(.title, .text("朝鲜 talks")), (.note, .text("check"))])
        #expect(events.map(\.changes) == [[.set(.note, .text("check"))]])
        #expect(throws: ReplicaError.self) { try laptop.edit(id, values: [(.note, .text("check"))]) }
    }

    @Test func aDeletedArticleMustBeRestoredBeforeItIsEdited() throws {
        let id = try captureOnLaptop()
        _ = try laptop.delete(id)
        #expect {
            try laptop.edit(id, values: [(.title, .text("x"))])
        } throws: { ($0 as? ReplicaError)?.code == .articleDeleted && "\($0)".contains("restore") }
        #expect(throws: ReplicaError.self) { try laptop.tag(id, add: ["x"], remove: []) }
        _ = try laptop.restore(id)
        #expect(try laptop.edit(id, values: [(.title, .text("x"))]).map(\.kind) == [.update])
        #expect(throws: ReplicaError.self) { try laptop.restore(id) }
    }

    @Test func invalidValuesAreRefusedAndWriteNothing() throws {
        let id = try captureOnLaptop()
        let events = try laptop.status().events
        #expect(throws: ReplicaError.self) { try laptop.edit(id, values: [(.title, .text("two\nlines"))]) }
        #expect(throws: ReplicaError.self) { try laptop.edit(id, values: [(.path, .text("../out.txt"))]) }
        #expect(throws: ReplicaError.self) { try laptop.tag(id, add: ["has space"], remove: []) }
        #expect(throws: ReplicaError.self) { try laptop.tag(id, add: [], remove: ["absent"]) }
        #expect(throws: ReplicaError.self) { try laptop.capture(url: url, title: "again", body: "") }
        #expect(try laptop.status().events == events)
    }

    @Test func unknownAndAmbiguousIdsAreExplained() throws {
        _ = try captureOnLaptop()
        #expect { try laptop.resolveArticle("ffffffffffffffff") } throws: {
            ($0 as? ReplicaError)?.code == .unknownArticle
        }
        #expect { try laptop.resolveArticle("not-hex") } throws: { ($0 as? ReplicaError)?.code == .unknownArticle }
        let id = ArticleID(url: url)
        #expect(try laptop.resolveArticle(String(id.hex.prefix(4))) == id)
    }

    @Test func concurrentEditsOfDifferentFieldsMergeWithoutConflict() throws {
        let id = try captureOnLaptop()
        try sync(laptop, into: server)
        _ = try laptop.edit(id, values: [(.title, .text("New title"))])
        _ = try server.edit(id, values: [(.note, .text("server note"))])
        try sync(laptop, into: server)
        try sync(server, into: laptop)
        #expect(try laptop.digest() == server.digest())
        let state = try laptop.article(id).state
        #expect(state.text(.title) == "New title" && state.text(.note) == "server note")
        #expect(state.conflictedFields.isEmpty)
    }

    @Test func sameFieldConflictIsKeptListedAndResolvedEverywhere() throws {
        let id = try captureOnLaptop()
        try sync(laptop, into: server)
        _ = try laptop.edit(id, values: [(.title, .text("Laptop title"))])
        _ = try server.edit(id, values: [(.title, .text("Server title"))])
        try sync(laptop, into: server)
        try sync(server, into: laptop)
        let conflicts = try laptop.conflicts(of: id)
        #expect(conflicts.count == 1)
        let values = Set(conflicts.first?.heads.compactMap(\.value.text) ?? [])
        #expect(values == ["Laptop title", "Server title"])
        #expect(try server.conflicts(of: id).count == 1)
        // The history shows both writes and says which one is shown.
        let history = try laptop.history(of: id)
        #expect(
            history.contains { $0.replicaName == "server" && $0.writes.contains { $0.field == .title && $0.conflict } })

        let serverHead = try #require(conflicts.first?.heads.first { $0.value == .text("Server title") })
        _ = try laptop.resolve(
            id, field: .title, take: "\(serverHead.head.dot.origin.short):\(serverHead.head.dot.seq)", value: nil)
        #expect(try laptop.conflicts(of: id).isEmpty)
        try sync(laptop, into: server)
        #expect(try server.conflicts(of: id).isEmpty)
        #expect(try server.article(id).state.text(.title) == "Server title")
        #expect(try laptop.digest() == server.digest())
    }

    @Test func anEditConcurrentWithADeleteKeepsTheArticle() throws {
        let id = try captureOnLaptop()
        try sync(laptop, into: server)
        _ = try laptop.delete(id)
        _ = try server.edit(id, values: [(.note, .text("still relevant"))])
        try sync(laptop, into: server)
        try sync(server, into: laptop)
        for replica in [laptop, server] {
            let state = try replica.article(id).state
            #expect(!state.isDeleted)
            #expect(state.conflictedFields == [.deleted])
        }
    }

    @Test func concurrentTagAddAndRemoveKeepsTheTag() throws {
        // The server adds and then removes the tag; the laptop, not knowing, adds it too.
        let id = try captureOnLaptop()
        try sync(laptop, into: server)
        _ = try server.tag(id, add: ["korea", "asia"], remove: [])
        _ = try server.tag(id, add: [], remove: ["korea"])
        _ = try laptop.tag(id, add: ["korea"], remove: [])
        try sync(laptop, into: server)
        try sync(server, into: laptop)
        #expect(try laptop.article(id).state.tags.map(\.text) == ["asia", "korea"])
        // A remove that saw the laptop's add does remove it.
        _ = try server.tag(id, add: [], remove: ["korea"])
        try sync(server, into: laptop)
        #expect(try laptop.article(id).state.tags.map(\.text) == ["asia"])
        #expect(try laptop.digest() == server.digest())
    }

    @Test func aBatchWithOneBadEventAppliesNothing() throws {
        let id = try captureOnLaptop()
        _ = try laptop.edit(id, values: [(.note, .text("one"))])
        _ = try laptop.edit(id, values: [(.note, .text("two"))])
        let events = try laptop.events(missingFrom: VectorClock())
        let digest = try server.digest()
        #expect { try server.apply([events[0], events[2]]) } throws: { ($0 as? EventJournalError)?.code == .gap }
        #expect(try server.status().events == 0)
        #expect(try server.digest() == digest)
        #expect(try server.apply(events).appended == 3)
        #expect(try server.apply(events) == ApplyReport(appended: 0, alreadyHeld: 3))
    }

    @Test func historyShowsWhoChangedWhatWithBeforeAndAfter() throws {
        let id = try captureOnLaptop()
        _ = try laptop.edit(id, values: [(.body, .text("<p>第一段。</p><p>第二段改了。</p>\n"))])
        try sync(laptop, into: server)
        _ = try server.edit(id, values: [(.title, .text("Corrected"))])
        try sync(server, into: laptop)
        let history = try laptop.history(of: id)
        #expect(history.map(\.event.kind) == [.create, .update, .update])
        #expect(history.map(\.replicaName) == ["laptop", "laptop", "server"])
        let titleWrite = try #require(history[2].writes.first)
        #expect(titleWrite.before == .text("朝鲜 talks") && titleWrite.after == .text("Corrected"))
        let diff = BodyDiff.diff(history[1].writes[0].before.text ?? "", history[1].writes[0].written.text ?? "")
        #expect(diff == [.same("<p>第一段。</p>"), .removed("<p>第二段。</p>"), .added("<p>第二段改了。</p>"), .same("\n")])
    }

    @Test func verifyReportsAProjectionRowChangedBehindItsBackAndRebuildRepairsIt() throws {
        let id = try captureOnLaptop()
        #expect(try laptop.verify().ok)
        let database = try DatabaseQueue(path: laptop.path)
        try database.write { db in
            try db.execute(sql: "UPDATE article SET title = 'forged' WHERE id = ?", arguments: [id.hex])
        }
        let report = try laptop.verify()
        #expect(!report.ok)
        #expect(report.checks.first { $0.name == "projection" }?.ok == false)
        _ = try laptop.rebuild()
        #expect(try laptop.verify().ok)
        #expect(try laptop.article(id).state.text(.title) == "朝鲜 talks")
    }

    @Test func anEventDatedDaysAheadIsKeptAndWhatFollowsItIsDatedAfterIt() throws {
        let id = try captureOnLaptop()
        let create = try laptop.events(missingFrom: VectorClock())
        let future = try Event.seal(
            Event.Draft(
                origin: EventFactory.origin(7), seq: 1,
                hlc: HybridTimestamp(milliseconds: Replica.systemClock() + 3 * 86_400_000, counter: 0),
                clock: try laptop.knowledge(), article: id, kind: .update,
                changes: [.set(.note, .text("from the future"))],
                prev: .zero))
        // Refusing it would stop every sync after it for good: its hash chain makes it unchangeable.
        let report = try server.apply(create + [future])
        #expect(report.appended == 2)
        #expect(report.furthestAhead > 2 * 86_400_000)
        #expect(try server.article(id).state.text(.note) == "from the future")
        let next = try #require(try server.edit(id, values: [(.note, .text("now"))]).first)
        #expect(next.hlc > future.hlc)
        #expect(try server.verify().ok)
    }
}
