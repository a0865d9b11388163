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

    /// Indexes the captures queued when it starts, `batchSize` per write transaction (so that
    /// other writers, a sync's pages or a server's pushes, get the file between two), calling
    /// `progress` with the number indexed and the number queued when it started, after each
    /// transaction; `shouldGoOn` is asked before each, and false stops there.
    ///
    /// What is queued while it runs is left for the next call, so that it ends even while
    /// another process keeps bringing events in. Stopping part-way loses nothing: what is not
    /// indexed stays queued. Returns how many captures were indexed. Throws what writing the
    /// file throws.
    @discardableResult
    package func indexForSearch(
        batchSize: Int = 500, shouldGoOn: () -> Bool = { true },
        progress: (_ done: Int, _ total: Int) -> Void = { _, _ in }
    ) throws -> Int {
        let total = try searchPending()
        var done = 0
        while done < total, shouldGoOn() {
            let indexed = try pool.write { db in try projector.indexPending(limit: min(batchSize, total - done), db) }
            guard indexed > 0 else { break }
            done += indexed
            progress(done, total)
        }
        return done
    }
}
