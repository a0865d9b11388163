import ArchiveModel
import ArticleGenerator
import Foundation
import Replica
import TestSupport
import Testing

@testable import SyncClient

/// The batch prepared ahead must be the one used, even when it is still being prepared.
struct PushBatcherTests {
    @Test func batchesPreparedAheadCoverEveryEventInOrder() throws {
        let work = try TemporaryDirectory("batcher")
        let replica = try Replica.create(at: work.file("r.db"), name: "r")
        let generator = ArticleGenerator(seed: 4)
        for index in 0..<250 { try work.write("a/\(index).txt", generator.article(index).file.render()) }
        _ = try replica.importFiles([work.file("a")])
        let batcher = PushBatcher(replica: replica, maxEvents: 40, maxBytes: 1 << 30)
        var serverKnowledge = VectorClock()
        var seen: [Int] = []
        while let batch = try batcher.batch(after: serverKnowledge) {
            batcher.prepareNext(after: batch)
            seen += batch.events.map(\.seq)
            serverKnowledge = batch.knowledgeAfter
        }
        #expect(seen == Array(1...250))
    }
}
