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
        let count = try replica.indexForSearch { done, total in
            progress.update("indexing for search: \(done)/\(total) captures")
        }
        return (count, Date().timeIntervalSince(started))
    }
}
