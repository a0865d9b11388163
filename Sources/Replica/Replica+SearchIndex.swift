import ArticleProjector
import GRDB

/// The search index follows the journal (ArticleProjector's SearchIndex.swift): applying events
/// queues their captures, and these index the queue.
extension Replica {
    /// How many captures wait to be indexed for search.
    ///
    /// Throws what reading the file throws.
    package func searchPending() throws -> Int {
        try read { db in try projector.searchPending(db) }
    }

    /// Indexes every queued capture, `batchSize` per write transaction (so that other writers,
    /// a sync's pages or a server's pushes, get the file between two), calling `progress` with
    /// the number indexed and the number queued when it started, after each transaction.
    ///
    /// Stopping part-way loses nothing: what is not indexed stays queued for the next call.
    /// Returns how many captures were indexed. Throws what writing the file throws.
    @discardableResult
    package func indexForSearch(
        batchSize: Int = 500, progress: (_ done: Int, _ total: Int) -> Void = { _, _ in }
    ) throws -> Int {
        let total = try searchPending()
        guard total > 0 else { return 0 }
        var done = 0
        while true {
            let indexed = try pool.write { db in try projector.indexPending(limit: batchSize, db) }
            guard indexed > 0 else { return done }
            done += indexed
            progress(done, max(total, done))
        }
    }

    /// `indexForSearch` for async callers (the server): each batch runs on GRDB's writer.
    @discardableResult
    package func indexForSearch(batchSize: Int = 200) async throws -> Int {
        var done = 0
        while true {
            let indexed = try await pool.write { [projector] db in try projector.indexPending(limit: batchSize, db) }
            guard indexed > 0 else { return done }
            done += indexed
        }
    }
}
