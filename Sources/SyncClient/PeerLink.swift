import ArchiveModel
import EventJournal
import Foundation
import Replica
import SyncBookkeeping
import WireProtocol

/// Keeps a replica in step with one peer until stopped: what `watch` and `serve --upstream` run
/// for each peer, on a thread of its own.
///
/// Each round is a sync (`SyncSession`) whose first pull the server holds until it has something
/// new (a long poll of `wait`), so a change on the peer arrives within moments; `poke()` (a local
/// change to send) stops that wait at once and the round goes on to push. When the peer does not
/// answer, the link waits longer each time (1 s doubling to `maxBackoff`, with jitter) and says
/// so once, then once more when the peer answers again: it never retries in a tight loop. A
/// failure a retry cannot mend (the server proves another origin than the pinned one, a token
/// refused, a fork of this replica) is said once and retried only at the longest pause.
package final class PeerLink: @unchecked Sendable {
    /// The peer: a name from the replica's peer table, or a URL.
    package struct Target: Sendable {
        package var name: String
        package var url: String
        package var token: String?
        /// The origin the peer is pinned to; nil pins it at the first sync when `named`.
        package var pin: OriginID?
        package var named: Bool
        package var caFile: String?

        package init(name: String, url: String, token: String?, pin: OriginID?, named: Bool, caFile: String? = nil) {
            self.name = name
            self.url = url
            self.token = token
            self.pin = pin
            self.named = named
            self.caFile = caFile
        }
    }

    /// What the link tells its owner, one call per change.
    package enum Notice: Sendable {
        /// Events came from the peer; `since` is the journal position before they did (ask the
        /// replica which articles they wrote).
        case pulled(events: Int, since: Int64)
        case pushed(events: Int)
        /// The peer did not answer (or failed in a way a retry may mend); next try after `retryIn` s.
        case unreachable(reason: String, retryIn: Double)
        /// The peer answers again after being unreachable.
        case reachable
        /// A failure a retry does not mend, said once until it changes; next try after `retryIn` s.
        case refused(reason: String, retryIn: Double)
        /// The named peer was pinned to the origin it proved at its first sync.
        case pinned(OriginID)
        /// The peer's server does not hold pulls open (an older archive-sync): it is asked every
        /// `every` seconds instead.
        case noWaiting(every: Double)
    }

    package let target: Target
    private let replica: Replica
    private let transport: CurlTransport
    private let wait: Int
    private let unsigned: EventJournal.UnsignedEvents
    private let notify: @Sendable (Notice) -> Void
    private let maxBackoff: Double
    private let condition = NSCondition()
    // Guarded by `condition`.
    private var stopping = false
    private var dirty = true
    private var pin: OriginID?
    /// Whether the peer holds pulls open; false once it refused `wait_ms`.
    private var waits = true
    /// When this link last recorded a round for `status` (milliseconds), from its own thread.
    private var lastRecorded: Int64 = 0
    static let recordEvery: Int64 = 5 * 60 * 1000

    /// `wait` is how long, in milliseconds, each round's first pull may be held by the server.
    package init(
        replica: Replica, target: Target, wait: Int = 25_000, unsigned: EventJournal.UnsignedEvents = .refuse,
        maxBackoff: Double = 60, notify: @escaping @Sendable (Notice) -> Void
    ) throws {
        var options = CurlTransport.Options()
        options.caFile = target.caFile
        transport = try CurlTransport(baseURL: target.url, token: target.token, options: options)
        self.replica = replica
        self.target = target
        self.wait = wait
        self.unsigned = unsigned
        self.notify = notify
        self.maxBackoff = maxBackoff
        pin = target.pin
    }

    /// Asks for a round soon: this replica has something new to send. Any thread.
    package func poke() {
        condition.lock()
        dirty = true
        condition.signal()
        condition.unlock()
        transport.interrupter.interrupt()
    }

    /// Ends `run` at once: the request in progress is stopped (what was applied stays applied).
    /// Any thread.
    package func stop() {
        condition.lock()
        stopping = true
        condition.signal()
        condition.unlock()
        transport.interrupter.stop()
    }

    private var isStopping: Bool {
        condition.lock()
        defer { condition.unlock() }
        return stopping
    }

    /// Syncs round after round until `stop()`. Blocks: run it on a thread of its own.
    package func run() {
        var failures = 0
        var lastRefusal: String?
        while true {
            condition.lock()
            if stopping {
                condition.unlock()
                return
            }
            // A poke after this point stops the round's wait; one before it is seen here.
            transport.interrupter.clear()
            let hurry = dirty
            dirty = false
            condition.unlock()

            let before = (try? replica.journalPosition()) ?? 0
            let started = Replica.systemClock()
            let session = makeSession(wait: hurry || !waits ? 0 : wait)
            do {
                let report = try session.run()
                let recovered = failures > 0 || lastRefusal != nil
                failures = 0
                lastRefusal = nil
                // Recorded for `status` before anything is said of it, when something moved, and at
                // least every five minutes (an idle round costs no write).
                if report.pulledEvents > 0 || report.pushedEvents > 0 || recovered
                    || Replica.systemClock() - lastRecorded >= Self.recordEvery
                {
                    record(report, started: started, result: "ok")
                }
                if recovered { notify(.reachable) }
                if report.pulledEvents > 0 { notify(.pulled(events: report.pulledEvents, since: before)) }
                if report.pushedEvents > 0 { notify(.pushed(events: report.pushedEvents)) }
                if target.named, pin == nil, let node = report.serverNode {
                    try? replica.pinPeer(name: target.name, origin: node)
                    pin = node
                    notify(.pinned(node))
                }
                if session.waitRefused, waits {
                    waits = false
                    notify(.noWaiting(every: Double(wait) / 1000))
                }
                // A peer that holds no pulls is asked again after a wait's length, or at a poke.
                if !waits, report.pulledEvents == 0 { pauseUnlessStopped(Double(wait) / 1000, orPoked: true) }
            } catch {
                if isStopping { return }
                let reason = describe(error)
                let retryable = (error as? SyncClientError)?.isRetryable ?? false
                let pause: Double
                if retryable {
                    failures += 1
                    pause = backoff(failures)
                    // Said at the first failure, and again only when the pause grows past a minute.
                    if failures == 1 || pause >= maxBackoff && failures % 10 == 0 {
                        notify(.unreachable(reason: reason, retryIn: pause))
                    }
                } else {
                    pause = maxBackoff
                    if reason != lastRefusal { notify(.refused(reason: reason, retryIn: pause)) }
                    lastRefusal = reason
                }
                if failures == 1 || !retryable {
                    record(session.report, started: started, result: "failed: \(reason)")
                }
                pauseUnlessStopped(pause)
            }
        }
    }

    private func makeSession(wait: Int) -> SyncSession {
        var configuration = SyncSessionStateMachine.Configuration()
        // The link waits between failed rounds itself, longer each time.
        configuration.maxAttempts = 1
        let session = SyncSession(
            replica: replica, transport: transport, configuration: configuration,
            pin: pin.map { (target.name, $0) }, unsigned: unsigned)
        session.firstPullWait = wait
        session.shouldStop = { [weak self] in self?.isStopping ?? true }
        return session
    }

    /// The pause after `failures` failed rounds in a row: 1 s doubling to `maxBackoff`, each
    /// within ±20% so that many replicas do not all come back at once.
    private func backoff(_ failures: Int) -> Double {
        let base = min(maxBackoff, pow(2, Double(min(failures - 1, 30))))
        return base * Double.random(in: 0.8...1.2)
    }

    /// Sleeps `seconds`, or less when `stop()` is called (or `poke()`, when `orPoked`).
    private func pauseUnlessStopped(_ seconds: Double, orPoked: Bool = false) {
        let deadline = Date(timeIntervalSinceNow: seconds)
        condition.lock()
        while !stopping, !(orPoked && dirty), condition.wait(until: deadline) {}
        condition.unlock()
    }

    private func record(_ report: SyncReport, started: Int64, result: String) {
        let finished = Replica.systemClock()
        try? replica.record(
            report.record(peer: target.name, startedAt: started, finishedAt: finished, result: result, replica: replica)
        )
        lastRecorded = finished
    }

    private func describe(_ error: any Error) -> String {
        if let error = error as? any ArchiveSyncError { return error.message }
        return "\(error)"
    }
}

extension PeerLink.Notice {
    /// The notice as a sentence about `peer`, the same for `watch`'s output and `serve`'s log.
    package func sentence(peer: String) -> String {
        func seconds(_ value: Double) -> String { "\(Int(value.rounded())) s" }
        switch self {
        case .pulled(let events, _): return "pulled \(events) event\(events == 1 ? "" : "s") from \(peer)"
        case .pushed(let events): return "pushed \(events) event\(events == 1 ? "" : "s") to \(peer)"
        case .unreachable(let reason, let retryIn):
            return "\(peer) does not answer (\(reason)); trying again in \(seconds(retryIn))"
        case .reachable: return "\(peer) answers again"
        case .refused(let reason, let retryIn):
            return "syncing with \(peer) failed: \(reason); trying again in \(seconds(retryIn))"
        case .pinned(let origin):
            return "pinned peer \(peer) to the server's origin \(origin.hex) [\(Fingerprint.of(origin))]"
        case .noWaiting(let every):
            return
                "\(peer) does not hold pulls open (an older archive-sync); it is asked every \(seconds(every)) instead"
        }
    }

    /// Whether the notice says something went wrong (an error), is worth a warning, or is news.
    package var severity: Severity {
        switch self {
        case .refused: .error
        case .unreachable, .noWaiting: .warning
        case .pulled, .pushed, .reachable, .pinned: .news
        }
    }

    package enum Severity: Sendable { case news, warning, error }
}
