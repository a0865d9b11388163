import ArchiveModel
import Foundation
import Replica
import SyncServer
import Synchronization
import TestSupport
import Testing

/// The bell that ends long-poll waits: a ring wakes a sleeping wait at once, without waiting for
/// the next look at the journal (ten minutes here). The bell counts the sleeps a ring ended, so
/// nothing depends on how long anything took on a loaded machine.
struct ChangeBellTests {
    /// Told of each wait's start and end, and able to wait for them.
    final class Waits: Sendable {
        private let seen = Mutex<[ChangeBell.Wait]>([])
        func record(_ wait: ChangeBell.Wait) { seen.withLock { $0.append(wait) } }
        var all: [ChangeBell.Wait] { seen.withLock { $0 } }
    }

    /// A replica (in `directory`, which the caller keeps), a bell whose looks are ten minutes
    /// apart, and a wait of ten minutes on it that has started.
    static func startedWait(
        _ label: String
    ) async throws -> (
        directory: TemporaryDirectory, replica: Replica, bell: ChangeBell, waits: Waits, waiter: Task<Void, any Error>
    ) {
        let directory = try TemporaryDirectory(label)
        let replica = try Replica.create(at: directory.file("hub.db"), name: "hub")
        let waits = Waits()
        let bell = ChangeBell(lookEvery: .seconds(600), observe: { waits.record($0) })
        let knowledge = try replica.knowledge()
        let waiter = Task { try await bell.wait(on: replica, beyond: knowledge, timeout: .seconds(600)) }
        while !waits.all.contains(.started) { try await Task.sleep(for: .milliseconds(10)) }
        return (directory, replica, bell, waits, waiter)
    }

    @Test func aRingWakesASleepingWaitAtOnce() async throws {
        let (directory, replica, bell, waits, waiter) = try await Self.startedWait("change-bell")
        defer { withExtendedLifetime(directory) {} }
        // Once it sleeps, an event is written and the bell rung.
        _ = try replica.capture(url: "https://news.example.org/bell", title: "Rung", body: "x")
        bell.ring()
        try await waiter.value
        #expect(waits.all == [.started, .endedByChange])
        #expect(bell.sleepsEndedByRing == 1)
    }

    @Test func aWaitWithoutARingSleepsOnAndACancelledOneEnds() async throws {
        let (directory, _, bell, waits, waiter) = try await Self.startedWait("change-bell-cancel")
        defer { withExtendedLifetime(directory) {} }
        // A ring with nothing new wakes it (the bell counts it); it finds nothing and sleeps again.
        bell.ring()
        while bell.sleepsEndedByRing == 0 { try await Task.sleep(for: .milliseconds(10)) }
        #expect(waits.all == [.started])
        waiter.cancel()
        try await waiter.value
        #expect(waits.all == [.started, .endedByStop])
    }
}
