import ArchiveModel
import Foundation
import Replica
import SyncClient
import TestSupport

/// A wall clock a test sets by hand: a replica's clock that runs ahead, is fixed, or lags.
final class SettableClock: @unchecked Sendable {
    private var now: Int64
    private let lock = NSLock()

    init(_ now: Int64) { self.now = now }

    func read() -> Int64 {
        lock.lock()
        defer { lock.unlock() }
        return now
    }

    func set(_ value: Int64) {
        lock.lock()
        defer { lock.unlock() }
        now = value
    }
}

/// Two replicas in one temporary folder: a hub served by `ReplicaTransport` and a laptop that
/// syncs with it, each with a clock the test controls.
struct SyncPair {
    static let now: Int64 = 1_780_000_000_000
    static let day: Int64 = 86_400_000
    static let hour: Int64 = 3_600_000

    let work: TemporaryDirectory
    let hubClock = SettableClock(now)
    let laptopClock = SettableClock(now)
    let hub: Replica
    let laptop: Replica
    let transport: ReplicaTransport
    /// The pauses the session asked for before retrying.
    let pauses = Pauses()

    final class Pauses: @unchecked Sendable { var seconds: [Double] = [] }

    init() throws {
        work = try TemporaryDirectory("sync-session")
        let (hubClock, laptopClock) = (self.hubClock, self.laptopClock)
        hub = try Replica.create(at: work.file("hub.db"), name: "hub", wallClock: { hubClock.read() })
        laptop = try Replica.create(at: work.file("laptop.db"), name: "laptop", wallClock: { laptopClock.read() })
        transport = ReplicaTransport(server: hub, serverClock: { hubClock.read() })
    }

    /// Writes `count` articles on `replica`.
    @discardableResult
    func capture(_ count: Int, on replica: Replica, label: String) throws -> [Event] {
        try (0..<count).map { index in
            try replica.capture(
                url: "https://news.example.org/\(label)/\(index).html", title: "\(label) \(index)",
                body: "<p>\(label) article number \(index).</p>\n", capturedAt: 1_000 + Int64(index))
        }
    }

    /// A session of the laptop with the hub, with pauses recorded instead of slept.
    func session(_ configuration: SyncSessionStateMachine.Configuration = .init()) -> SyncSession {
        let (pauses, laptopClock) = (self.pauses, self.laptopClock)
        return SyncSession(
            replica: laptop, transport: transport, configuration: configuration,
            sleep: { pauses.seconds.append($0) }, wallClock: { laptopClock.read() })
    }

    /// True when both replicas hold the same events and articles.
    func converged() throws -> Bool {
        try hub.knowledge() == laptop.knowledge() && hub.digest() == laptop.digest()
    }
}
