import ArchiveModel
import Foundation
import Replica
import ServiceLifecycle
import Synchronization

/// Wakes pulls that wait for this replica to hold something new (SPEC.md, "Waiting for changes").
///
/// A push or an upstream sync in this process rings it, so a waiting pull answers at once; events
/// written by another process (an `import` on the server's file) are found by looking at the
/// journal's heads every `lookEvery`. A stop of the server (SIGTERM) ends every wait within one
/// step, so waiting pulls never hold a shutdown.
package final class ChangeBell: Sendable {
    private let rings = Atomic<Int>(0)
    private let listeners = Mutex<[@Sendable () -> Void]>([])
    /// How often a waiting pull looks for a ring.
    let step: Duration
    /// How often a waiting pull looks at the journal for writes the bell did not hear.
    let lookEvery: Duration

    /// How a pull's wait went, for the metrics.
    package enum Wait: String, Sendable {
        /// A pull started waiting (it lacked nothing).
        case started
        /// The replica gained something the pull lacked: it was answered with it.
        case endedByChange = "change"
        /// The wait ran out with nothing new.
        case endedByTimeout = "timeout"
        /// The server is stopping (or the request was cancelled).
        case endedByStop = "stop"
    }

    /// Told of every wait as it starts and ends (a pull answered at once is not a wait).
    let observe: @Sendable (Wait) -> Void

    package init(
        step: Duration = .milliseconds(50), lookEvery: Duration = .milliseconds(500),
        observe: @escaping @Sendable (Wait) -> Void = { _ in }
    ) {
        self.step = step
        self.lookEvery = lookEvery
        self.observe = observe
    }

    /// Wakes every waiting pull to look at the journal, and tells the listeners unless not
    /// `notifying` (the caller tells whom it needs to).
    package func ring(notifying: Bool = true) {
        rings.add(1, ordering: .relaxed)
        guard notifying else { return }
        for listener in listeners.withLock({ $0 }) { listener() }
    }

    /// Calls `listener` at each ring that notifies: a push from a client added events (upstream
    /// links send them on).
    package func listen(_ listener: @escaping @Sendable () -> Void) {
        listeners.withLock { $0.append(listener) }
    }

    /// Returns once `replica` holds an event a replica knowing `vector` lacks, or `timeout` has
    /// passed, or the server is stopping, whichever comes first.
    func wait(on replica: Replica, beyond vector: VectorClock, timeout: Duration) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        var heard = rings.load(ordering: .relaxed)
        var lastLook = clock.now
        if try await replica.holdsEventsMissing(from: vector) { return }
        observe(.started)
        var ending = Wait.endedByTimeout
        defer { observe(ending) }
        while clock.now < deadline {
            if Task.isShuttingDownGracefully || Task.isCancelled {
                ending = .endedByStop
                return
            }
            try? await Task.sleep(for: min(step, clock.now.duration(to: deadline)))
            let now = rings.load(ordering: .relaxed)
            guard now != heard || lastLook.duration(to: clock.now) >= lookEvery else { continue }
            heard = now
            lastLook = clock.now
            if try await replica.holdsEventsMissing(from: vector) {
                ending = .endedByChange
                return
            }
        }
        // A last look: what came as the wait ran out is an answer too.
        if try await replica.holdsEventsMissing(from: vector) { ending = .endedByChange }
    }
}
