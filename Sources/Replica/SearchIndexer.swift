import Foundation

/// Indexes a replica's queued captures for search on a thread of its own, for long-running
/// commands (`serve`, `watch`) in which events keep arriving: `nudge()` after events were
/// applied; nudges that come while it runs make it look again once it is done.
package final class SearchIndexer: @unchecked Sendable {
    private let replica: Replica
    private let onError: @Sendable (any Error) -> Void
    private let lock = NSCondition()
    private var running = false
    private var again = false
    private var stopped = false

    /// `onError` hears of a failed pass (the captures stay queued; the next nudge tries again).
    package init(replica: Replica, onError: @escaping @Sendable (any Error) -> Void) {
        self.replica = replica
        self.onError = onError
    }

    /// Indexes what is queued, now or as soon as the pass in progress ends.
    package func nudge() {
        let start = lock.withLock {
            if stopped { return false }
            if running {
                again = true
                return false
            }
            running = true
            return true
        }
        if start { Thread { self.loop() }.start() }
    }

    private func loop() {
        repeat {
            // Small transactions, so that pushes and pulls get the file between two.
            do {
                try replica.indexForSearch(batchSize: 200, shouldGoOn: { [self] in lock.withLock { !stopped } })
            } catch {
                onError(error)
            }
        } while lock.withLock {
            if again, !stopped {
                again = false
                return true
            }
            running = false
            lock.broadcast()
            return false
        }
    }

    /// Stops indexing after the batch in progress and returns once it has; nudges do nothing
    /// from then on. What is left stays queued.
    package func stop() {
        lock.lock()
        stopped = true
        while running { lock.wait() }
        lock.unlock()
    }
}
