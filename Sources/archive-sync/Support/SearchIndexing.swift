import Foundation
import Replica

/// The search index follows the journal: the commands that bring events in index what they
/// queued before they end, with a progress line, and `search` catches up before it looks.
enum SearchIndexing {
    /// Indexes every capture queued for search; returns how many and the seconds it took.
    ///
    /// Stopping it (Ctrl-C) loses nothing: the rest stays queued, and the next command that
    /// writes or searches indexes it.
    @discardableResult
    static func catchUp(_ replica: Replica) throws -> (count: Int, seconds: Double) {
        let started = Date()
        let progress = ProgressLine()
        defer { progress.finish() }
        let count = try replica.indexForSearch(progress: { done, total in
            progress.update("indexing for search: \(done)/\(total) captures")
        })
        return (count, Date().timeIntervalSince(started))
    }

    /// `catchUp`, after work that is done and safe whatever happens here: a failure is a warning
    /// that ends with `consequence` (the captures stay queued), and counts as nothing done.
    @discardableResult
    static func catchUpOrWarn(
        _ replica: Replica, consequence: String = "they stay queued, and `archive-sync search` indexes them first"
    ) -> (count: Int, seconds: Double) {
        do {
            return try catchUp(replica)
        } catch {
            let waiting = (try? replica.searchPending()).map { Formatting.count($0, "capture") } ?? "some captures"
            Terminal.error(
                "warning: \(waiting) could not be indexed for search yet (\(ErrorReporting.message(for: error))); "
                    + consequence)
            return (0, 0)
        }
    }
}
