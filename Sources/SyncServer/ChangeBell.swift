import ArchiveModel
import Foundation
import Replica
import ServiceLifecycle
import Synchronization
import WireProtocol

/// Wakes pulls that wait for this replica to hold something new (SPEC.md, "Waiting for changes").
///
/// A push or an upstream sync in this process rings it, and every waiting pull, asleep until then,
/// wakes and answers at once; events written by another process (an `import` on the server's
/// file) are found by looking at the journal's heads every `lookEvery`, the only other time a
/// waiting pull wakes. A stop of the server (SIGTERM) ends every wait within `lookEvery`, so
/// waiting pulls never hold a shutdown.
///
/// Waiting pulls share one look at the journal: however many wait, the heads are read at most
/// once per ring and once per `lookEvery`. At most `maxWaiting` pulls wait at once; one more is
/// refused as `busy` (the client tries again after a pause), so waits cannot pile up (a client
/// that drops its connection leaves its wait to run out).
package final class ChangeBell: Sendable {
    private let rings = Atomic<Int>(0)
    private let waiting = Atomic<Int>(0)
    /// Waiting pulls asleep until the next ring, by number; a slot marked cancelled is one whose
    /// sleep was cancelled before it fell asleep.
    private let sleepers = Mutex<[UInt64: Sleeper]>([:])
    private let sleeperNumbers = Atomic<UInt64>(0)
    private let ringWakes = Atomic<Int>(0)

    /// How many sleeps of waiting pulls a ring ended (the others ended at their next look).
    package var sleepsEndedByRing: Int { ringWakes.load(ordering: .relaxed) }

    private enum Sleeper {
        case asleep(CheckedContinuation<Void, Never>)
        case cancelled
    }
    /// The last look at the journal's heads: when, at which ring, and what they were.
    private let lastLook = Mutex<(at: ContinuousClock.Instant, ring: Int, knowledge: VectorClock)?>(nil)
    /// The most pulls that may wait at once.
    let maxWaiting: Int
    private let listeners = Mutex<[@Sendable () -> Void]>([])
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
        lookEvery: Duration = .milliseconds(500), maxWaiting: Int = 1_000,
        observe: @escaping @Sendable (Wait) -> Void = { _ in }
    ) {
        self.maxWaiting = maxWaiting
        self.lookEvery = lookEvery
        self.observe = observe
    }

    /// Wakes every waiting pull to look at the journal, and tells the listeners unless not
    /// `notifying` (the caller tells whom it needs to).
    package func ring(notifying: Bool = true) {
        rings.add(1, ordering: .relaxed)
        let woken = sleepers.withLock { sleepers in
            var woken: [CheckedContinuation<Void, Never>] = []
            for (number, sleeper) in sleepers {
                guard case .asleep(let continuation) = sleeper else { continue }
                woken.append(continuation)
                sleepers[number] = nil
            }
            return woken
        }
        ringWakes.add(woken.count, ordering: .relaxed)
        for continuation in woken { continuation.resume() }
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
    package func wait(on replica: Replica, beyond vector: VectorClock, timeout: Duration) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        func lacksSomething() async throws -> Bool {
            let knowledge = try await heads(of: replica)
            return knowledge.entries.contains { $0.value > vector[$0.key] }
        }
        // Rings from here on are heard: one that comes before the pull falls asleep wakes it
        // as it lies down.
        var heard = rings.load(ordering: .relaxed)
        if try await lacksSomething() { return }
        guard waiting.add(1, ordering: .relaxed).newValue <= maxWaiting else {
            waiting.subtract(1, ordering: .relaxed)
            throw WireProtocolError(
                .busy, "\(maxWaiting) pulls are waiting here already; ask again in a moment, or without wait_ms")
        }
        observe(.started)
        var ending = Wait.endedByTimeout
        defer {
            waiting.subtract(1, ordering: .relaxed)
            observe(ending)
        }
        while clock.now < deadline {
            if Task.isShuttingDownGracefully || Task.isCancelled {
                ending = .endedByStop
                return
            }
            // Asleep until a ring, or the next look at the journal for other processes' writes.
            if rings.load(ordering: .relaxed) == heard {
                await sleepUntilRing(orUntil: min(deadline, clock.now.advanced(by: lookEvery)), heard: heard)
                if Task.isShuttingDownGracefully || Task.isCancelled {
                    ending = .endedByStop
                    return
                }
            }
            heard = rings.load(ordering: .relaxed)
            if try await lacksSomething() {
                ending = .endedByChange
                return
            }
        }
        // A last look: what came as the wait ran out is an answer too.
        if try await lacksSomething() { ending = .endedByChange }
    }

    /// Sleeps until the next ring or `instant`, whichever comes first: no wake-up in between.
    /// A ring after `heard` that came before the sleeper lay down (checked under the lock that
    /// ring takes after counting) ends the sleep at once.
    private func sleepUntilRing(orUntil instant: ContinuousClock.Instant, heard: Int) async {
        let number = sleeperNumbers.add(1, ordering: .relaxed).newValue
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await withTaskCancellationHandler {
                    await withCheckedContinuation { continuation in
                        let awake = self.sleepers.withLock { sleepers in
                            if case .cancelled = sleepers[number] {
                                sleepers[number] = nil
                                return true
                            }
                            if self.rings.load(ordering: .relaxed) != heard {
                                self.ringWakes.add(1, ordering: .relaxed)
                                return true
                            }
                            sleepers[number] = .asleep(continuation)
                            return false
                        }
                        if awake { continuation.resume() }
                    }
                } onCancel: {
                    let asleep = self.sleepers.withLock { sleepers -> CheckedContinuation<Void, Never>? in
                        if case .asleep(let continuation) = sleepers[number] {
                            sleepers[number] = nil
                            return continuation
                        }
                        sleepers[number] = .cancelled
                        return nil
                    }
                    asleep?.resume()
                }
            }
            group.addTask { try? await Task.sleep(until: instant, clock: .continuous) }
            await group.next()
            group.cancelAll()
        }
        // A ring that came after the sleep ended leaves nothing behind; a cancelled mark whose
        // sleeper never fell asleep is cleared.
        sleepers.withLock { $0[number] = nil }
    }

    /// The journal's heads, read again only when a ring came or the last look is older than
    /// `lookEvery`: one read serves every waiting pull.
    private func heads(of replica: Replica) async throws -> VectorClock {
        let ring = rings.load(ordering: .relaxed)
        let now = ContinuousClock.now
        if let look = lastLook.withLock({ $0 }), look.ring == ring, look.at.duration(to: now) < lookEvery {
            return look.knowledge
        }
        let knowledge = try await replica.knowledgeNow()
        lastLook.withLock { $0 = (now, ring, knowledge) }
        return knowledge
    }
}
