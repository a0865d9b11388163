import ArchiveModel
import Foundation
import GRDB
import Replica
import TestSupport
import Testing

/// The search index that follows the journal, at the replica: pulled events wait in the queue
/// while the replica's own writes are indexed as they commit, indexing ends with what was queued
/// when it began, and a file from before the queue is re-indexed once upgraded.
struct SearchIndexReplicaTests {
    @Test func ownWritesAreIndexedAsTheyCommitAndPulledOnesWaitForTheCatchUp() throws {
        let work = try TemporaryDirectory("search-replica")
        let hub = try Replica.create(at: work.file("hub.db"), name: "hub")
        let laptop = try Replica.create(at: work.file("laptop.db"), name: "laptop")
        for n in 0..<5 {
            try hub.capture(
                url: "https://news.example.org/hub/\(n).html", title: "hub \(n)", body: "<p>朝鲜 \(n)</p>\n",
                capturedAt: 1_000 + Int64(n))
        }
        #expect(try hub.searchPending() == 0)
        _ = try laptop.apply(try hub.events(missingFrom: VectorClock()))
        #expect(try laptop.searchPending() == 5)
        // A write of the laptop's own indexes what it wrote, not the five that wait.
        try laptop.capture(
            url: "https://news.example.org/laptop/1.html", title: "mine", body: "<p>朝鲜 mine</p>\n", capturedAt: 9_000)
        #expect(try laptop.searchPending() == 5)
        #expect(try laptop.search("朝鲜", limit: 10, indexFirst: false).map(\.title) == ["mine"])
        // A catch-up stopped after one batch leaves the rest queued.
        var batches = 0
        let indexed = try laptop.indexForSearch(
            batchSize: 2,
            shouldGoOn: {
                batches += 1; return batches == 1
            })
        #expect(indexed == 2)
        #expect(try laptop.searchPending() == 3)
        // Search catches up first.
        #expect(
            try laptop.search("朝鲜", limit: 10).map(\.title) == ["mine", "hub 4", "hub 3", "hub 2", "hub 1", "hub 0"])
        #expect(try laptop.searchPending() == 0)
        #expect(try laptop.verify().ok)
    }

    @Test func aFileMadeBeforeTheQueueIsReindexedOnceUpgradedWithNothingLost() throws {
        let work = try TemporaryDirectory("search-replica-upgrade")
        let path = work.file("old.db")
        let replica = try Replica.create(at: path, name: "old")
        for n in 0..<4 {
            try replica.capture(
                url: "https://news.example.org/old/\(n).html", title: "old \(n)", body: "<p>香港 \(n)</p>\n",
                capturedAt: 1_000 + Int64(n))
        }
        let digest = try replica.digest()
        try replica.close()
        // The index as the version before made it: rowids in order of arrival, no queue.
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            try db.execute(
                sql: """
                    DROP TABLE search_pending; DROP TABLE article_search; DROP TABLE article_search_row;
                    CREATE TABLE article_search_row (rowid INTEGER PRIMARY KEY AUTOINCREMENT, article INTEGER NOT NULL UNIQUE);
                    CREATE VIRTUAL TABLE article_search USING fts5(
                        title, body, content = '', tokenize = 'unicode61 remove_diacritics 2');
                    INSERT INTO article_search_row (article) SELECT key FROM article ORDER BY key;
                    INSERT INTO article_search (rowid, title, body)
                        SELECT r.rowid, a.title, a.body FROM article_search_row r JOIN article a ON a.key = r.article;
                    DELETE FROM grdb_migrations WHERE identifier = 'projection-v3-search-behind';
                    """)
        }
        try queue.close()
        let upgraded = try Replica.open(at: path)
        #expect(try upgraded.searchPending() == 4)
        #expect(try upgraded.digest() == digest)
        #expect(try upgraded.search("香港", limit: 10).map(\.title) == ["old 3", "old 2", "old 1", "old 0"])
        #expect(try upgraded.verify().ok)
    }
}
