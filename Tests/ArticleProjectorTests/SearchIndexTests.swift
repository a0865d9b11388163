import ArchiveModel
import EventJournal
import Foundation
import GRDB
import TestSupport
import Testing

@testable import ArticleProjector

/// The search index that follows the projection (SearchIndex.swift): applying queues, indexing
/// empties the queue, an edit takes the old text out at once, and the default order is the
/// capture time's.
struct SearchIndexTests {
    /// A create of article number `n` (its own url) captured at `capturedAt`.
    func create(_ n: Int, seq: Int, capturedAt: Int64, title: String, body: String) throws -> Event {
        let url = "https://news.example.org/a/\(n).html"
        return try EventFactory.event(
            1, seq, hlc: Int64(seq), kind: .create, article: ArticleID(url: url),
            [
                .set(.url, .text(url)), .set(.title, .text(title)), .set(.body, .text(body)),
                .set(.capturedAt, .integer(capturedAt)), .set(.path, .text("\(n).txt")),
            ])
    }

    let projector = ArticleProjector()

    /// Runs `body` in a write transaction of a new file holding the journal and article tables.
    func inNewDatabase(_ name: String, _ body: (Database) throws -> Void) throws {
        let work = try TemporaryDirectory(name)
        try searchDatabase(in: work).write(body)
    }

    func ids(
        _ projector: ArticleProjector, _ query: String, order: ArticleProjector.SearchOrder = .newest, _ db: Database
    )
        throws -> [String]
    {
        try projector.search(query, includeDeleted: false, limit: 50, order: order, db).map(\.title)
    }

    @Test func appliedCapturesWaitInTheQueueUntilIndexedAndTheCheckHoldsThroughout() throws {
        try inNewDatabase("search-index") { db in
            for n in 1...5 {
                try projector.apply(
                    try create(n, seq: n, capturedAt: Int64(n) * 1_000, title: "t\(n)", body: "<p>朝鲜 \(n)</p>"), db)
            }
            #expect(try projector.searchPending(db) == 5)
            #expect(try ids(projector, "朝鲜", db).isEmpty, "queued captures are not in the index yet")
            #expect(try projector.inconsistentArticles(db).isEmpty)
            #expect(try projector.indexPending(limit: 2, db) == 2)
            #expect(try projector.searchPending(db) == 3)
            #expect(try projector.inconsistentArticles(db).isEmpty)
            #expect(try projector.indexAllPending(db) == 3)
            #expect(try projector.searchPending(db) == 0)
            #expect(try projector.indexPending(limit: 10, db) == 0)
            #expect(try projector.inconsistentArticles(db).isEmpty)
            #expect(try ids(projector, "朝鲜", db) == ["t5", "t4", "t3", "t2", "t1"], "newest capture first")
        }
    }

    @Test func anEditTakesTheOldTextOutAtOnceAndTheNewTextIsFoundOnceIndexed() throws {
        try inNewDatabase("search-index-edit") { db in
            let first = try create(1, seq: 1, capturedAt: 1_000, title: "one", body: "<p>香港 old</p>")
            try projector.apply(first, db)
            _ = try projector.indexAllPending(db)
            #expect(try ids(projector, "香港", db) == ["one"])
            let edit = try EventFactory.event(
                1, 2, hlc: 2, article: first.article, [.set(.body, .text("<p>台湾 new</p>"))])
            try projector.apply(edit, db)
            #expect(try ids(projector, "香港", db).isEmpty, "the old text left the index with the edit")
            #expect(try ids(projector, "台湾", db).isEmpty, "the new text waits in the queue")
            #expect(try projector.searchPending(db) == 1)
            #expect(try projector.inconsistentArticles(db).isEmpty)
            _ = try projector.indexAllPending(db)
            #expect(try ids(projector, "台湾", db) == ["one"])
            #expect(try ids(projector, "香港", db).isEmpty)
            // A second edit before indexing: nothing is in the index to take out, and the capture
            // is queued once.
            try projector.apply(
                try EventFactory.event(1, 3, hlc: 3, article: first.article, [.set(.title, .text("uno"))]), db)
            try projector.apply(
                try EventFactory.event(1, 4, hlc: 4, article: first.article, [.set(.body, .text("<p>澳门</p>"))]), db)
            #expect(try projector.searchPending(db) == 1)
            _ = try projector.indexAllPending(db)
            #expect(try ids(projector, "澳门", db) == ["uno"])
            #expect(try ids(projector, "台湾", db).isEmpty)
            #expect(try projector.inconsistentArticles(db).isEmpty)
        }
    }

    @Test func aNewCaptureTimeMovesTheCaptureInTheNewestFirstOrderAndRelevanceStillRanks() throws {
        try inNewDatabase("search-index-order") { db in
            // Captured in the same millisecond, and out of order: rowids still follow the times.
            let events = [
                try create(1, seq: 1, capturedAt: 5_000, title: "b", body: "<p>government</p>"),
                try create(2, seq: 2, capturedAt: 9_000, title: "c", body: "<p>government</p>"),
                try create(3, seq: 3, capturedAt: 5_000, title: "a", body: "<p>government</p>"),
                try create(4, seq: 4, capturedAt: 1_000, title: "government government", body: "<p>government</p>"),
            ]
            for event in events { try projector.apply(event, db) }
            _ = try projector.indexAllPending(db)
            #expect(try ids(projector, "government", db) == ["c", "a", "b", "government government"])
            #expect(try ids(projector, "government", order: .relevance, db).first == "government government")
            try projector.apply(
                try EventFactory.event(1, 5, hlc: 5, article: events[3].article, [.set(.capturedAt, .integer(99_000))]),
                db)
            _ = try projector.indexAllPending(db)
            #expect(try ids(projector, "government", db) == ["government government", "c", "a", "b"])
            #expect(try projector.inconsistentArticles(db).isEmpty)
        }
    }

    @Test func theCheckFindsACaptureBothIndexedAndQueuedOrNeither() throws {
        try inNewDatabase("search-index-check") { db in
            try projector.apply(try create(1, seq: 1, capturedAt: 1, title: "x", body: "<p>x</p>"), db)
            try projector.apply(try create(2, seq: 2, capturedAt: 2, title: "y", body: "<p>y</p>"), db)
            _ = try projector.indexAllPending(db)
            try db.execute(sql: "INSERT INTO search_pending (article) SELECT min(key) FROM article")
            #expect(try projector.inconsistentArticles(db).contains { $0.contains("search index") })
            try db.execute(sql: "DELETE FROM search_pending")
            try db.execute(sql: "DELETE FROM article_search_row WHERE article = (SELECT min(key) FROM article)")
            #expect(try projector.inconsistentArticles(db).contains { $0.contains("search index") })
        }
    }

    @Test func rowidsFollowCaptureTimesThenKeysAndStayInRange() {
        func rowid(_ time: Int64, _ key: Int64) -> Int64 { ArticleProjector.searchRowID(capturedAt: time, key: key) }
        #expect(rowid(2, 1) > rowid(1, 900_000))
        #expect(rowid(1, 2) > rowid(1, 1))
        #expect(rowid(-5, 1) == rowid(0, 1), "before 1970 counts as 1970")
        #expect(rowid(.max, 3) == ((1 << 42) - 1) << 20 | 3)
        #expect(rowid(.max, .max) > 0 && rowid(.min, .max) >= 0)
    }

    @Test func aWriteIndexesWhatItQueuedAndLeavesTheRestQueued() throws {
        try inNewDatabase("search-index-keys") { db in
            var batch = try projector.batch(db)
            for n in 1...3 {
                try batch.apply(try create(n, seq: n, capturedAt: Int64(n), title: "t\(n)", body: "<p>香港</p>"), db)
            }
            try batch.finish(db)
            #expect(batch.queuedForSearch.count == 3)
            // Only the second is indexed; asking twice changes nothing.
            #expect(try projector.indexPending(keys: [batch.queuedForSearch[1], batch.queuedForSearch[1]], db) == 1)
            #expect(try projector.indexPending(keys: [batch.queuedForSearch[1]], db) == 0)
            #expect(try ids(projector, "香港", db) == ["t2"])
            #expect(try projector.searchPending(db) == 2)
            #expect(try projector.inconsistentArticles(db).isEmpty)
        }
    }

    @Test func aCaptureAnOlderVersionIndexedWhileQueuedLeavesTheQueueWithoutAnError() throws {
        try inNewDatabase("search-index-older") { db in
            try projector.apply(try create(1, seq: 1, capturedAt: 1, title: "x", body: "<p>x</p>"), db)
            _ = try projector.indexAllPending(db)
            try db.execute(sql: "INSERT INTO search_pending (article) SELECT key FROM article")
            #expect(try projector.indexAllPending(db) == 1)
            #expect(try projector.searchPending(db) == 0)
            #expect(try ids(projector, "x", db) == ["x"])
            #expect(try projector.inconsistentArticles(db).isEmpty)
        }
    }
}
