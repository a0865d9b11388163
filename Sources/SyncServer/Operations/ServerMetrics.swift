import ArchiveModel
import CoreMetrics
import Foundation
import NIOConcurrencyHelpers
import Prometheus
import WireProtocol

/// The metrics of one server, counted through swift-metrics into a Prometheus registry of its own
/// and shown at `/metrics` (protocol/SPEC.md, "GET /metrics").
///
/// Each server makes its own registry and hands its factory to every metric it makes, instead of
/// bootstrapping swift-metrics' global system: the global one can be set once per process, and
/// tests run several servers in one process. What this registry holds is only the server's own
/// metrics. The journal's size and the peers' lag are read when a scrape asks (`exposition`).
package final class ServerMetrics: Sendable {
    /// The names of the metrics, with their help text (see `exposition`).
    enum Name {
        static let requests = "archive_sync_http_requests_total"
        static let requestDuration = "archive_sync_http_request_duration_seconds"
        static let inFlight = "archive_sync_http_requests_in_flight"
        static let bytesIn = "archive_sync_bytes_in_total"
        static let bytesOut = "archive_sync_bytes_out_total"
        static let eventsIn = "archive_sync_events_in_total"
        static let eventsOut = "archive_sync_events_out_total"
        static let applyDuration = "archive_sync_apply_duration_seconds"
        static let journalEvents = "archive_sync_journal_events"
        static let journalFileBytes = "archive_sync_journal_file_bytes"
        static let peerSecondsSinceSync = "archive_sync_peer_seconds_since_sync"
        static let peerLagEvents = "archive_sync_peer_lag_events"
        static let buildInfo = "archive_sync_build_info"
        static let pullWaiting = "archive_sync_pull_waiting"
        static let pullWaits = "archive_sync_pull_waits_total"

        static let help: [String: String] = [
            requests: "Requests answered, by route, method and status.",
            requestDuration: "Time from a request's head to the last byte of its answer, by route.",
            inFlight: "Requests being answered now (until the last byte of the answer is sent).",
            bytesIn: "Request body bytes received as sent (before gzip is undone), by route.",
            bytesOut: "Response body bytes sent as sent (after gzip), by route.",
            eventsIn: "Events taken from pushes that were applied (new or already held).",
            eventsOut: "Events sent in pull pages.",
            applyDuration: "Time to check and apply one pushed batch to the journal.",
            journalEvents: "Events the journal holds, read at scrape time.",
            journalFileBytes: "Bytes of the replica file with its write-ahead log, read at scrape time.",
            peerSecondsSinceSync:
                "Seconds since the last push or pull answered 200 to each token, since the server started.",
            peerLagEvents:
                "Events the server holds beyond what each token's client knew after its last pull page (the knowledge it sent, with the page).",
            buildInfo: "The version of archive-sync that serves, as a label; always 1.",
            pullWaiting: "Pulls held now because their caller lacked nothing (wait_ms, a long poll).",
            pullWaits:
                "Pulls that waited, by how the wait ended: change (answered with something new), timeout, or stop.",
        ]
    }

    /// Which route a request went to, as a label: one of the server's paths or `other`, so that
    /// unknown paths cannot grow the label set.
    static func route(_ path: String) -> String {
        Self.routes.contains(path) ? path : "other"
    }

    static let routes: Set<String> = [
        WireProtocol.Path.health, WireProtocol.Path.info, WireProtocol.Path.push, WireProtocol.Path.pull,
        SyncRoutes.metricsPath,
    ]

    /// What the server knows of the client of one token.
    struct PeerActivity: Sendable {
        var lastSync: ContinuousClock.Instant
        /// What the client knew after its last pull page; nil while it has only pushed.
        var knowledge: VectorClock?
    }

    let registry: PrometheusCollectorRegistry
    let factory: PrometheusMetricsFactory
    private let inFlight: Meter
    private let pullWaiting: Meter
    private let eventsIn: CoreMetrics.Counter
    private let eventsOut: CoreMetrics.Counter
    private let applyDuration: CoreMetrics.Timer
    private let peers = NIOLockedValueBox<[String: PeerActivity]>([:])

    package init(version: String) {
        let registry = PrometheusCollectorRegistry()
        self.registry = registry
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets[Name.applyDuration] = [
            .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(50), .milliseconds(100),
            .milliseconds(500), .seconds(1), .seconds(5), .seconds(10), .seconds(30),
        ]
        factory.durationHistogramBuckets[Name.requestDuration] = [
            .milliseconds(5), .milliseconds(25), .milliseconds(100), .milliseconds(500), .seconds(1),
            .seconds(5), .seconds(15), .seconds(30), .seconds(60),
        ]
        self.factory = factory
        inFlight = Meter(label: Name.inFlight, factory: factory)
        pullWaiting = Meter(label: Name.pullWaiting, factory: factory)
        pullWaiting.set(0)
        eventsIn = CoreMetrics.Counter(label: Name.eventsIn, factory: factory)
        eventsOut = CoreMetrics.Counter(label: Name.eventsOut, factory: factory)
        applyDuration = CoreMetrics.Timer(label: Name.applyDuration, factory: factory)
        CoreMetrics.Gauge(label: Name.buildInfo, dimensions: [("version", version)], factory: factory).record(1)
        // Present from the first scrape, at zero.
        inFlight.set(0)
    }

    func requestStarted() {
        inFlight.increment()
    }

    /// Counts a request once the last byte of its answer is sent (or the sending failed).
    func requestFinished(
        route path: String, method: String, status: Int, facts: RequestRecord.Facts, duration: Duration,
        at instant: ContinuousClock.Instant
    ) {
        inFlight.decrement()
        let route = Self.route(path)
        CoreMetrics.Counter(
            label: Name.requests, dimensions: [("route", route), ("method", method), ("status", String(status))],
            factory: factory
        ).increment()
        CoreMetrics.Timer(label: Name.requestDuration, dimensions: [("route", route)], factory: factory)
            .recordNanoseconds(Self.nanoseconds(duration))
        CoreMetrics.Counter(label: Name.bytesIn, dimensions: [("route", route)], factory: factory).increment(
            by: facts.bytesIn)
        CoreMetrics.Counter(label: Name.bytesOut, dimensions: [("route", route)], factory: factory).increment(
            by: facts.bytesOut)
        guard status == 200 else { return }
        switch path {
        case WireProtocol.Path.push: eventsIn.increment(by: facts.events)
        case WireProtocol.Path.pull: eventsOut.increment(by: facts.events)
        default: return
        }
        guard let token = facts.token else { return }
        peers.withLockedValue { peers in
            let known = facts.knowledgeAfterPull ?? peers[token]?.knowledge
            peers[token] = PeerActivity(lastSync: instant, knowledge: known)
        }
    }

    /// Counts a long-poll pull starting or ending its wait.
    func recordWait(_ wait: ChangeBell.Wait) {
        switch wait {
        case .started:
            pullWaiting.increment()
        case .endedByChange, .endedByTimeout, .endedByStop:
            pullWaiting.decrement()
            CoreMetrics.Counter(label: Name.pullWaits, dimensions: [("ended", wait.rawValue)], factory: factory)
                .increment()
        }
    }

    /// Records how long one push took to check and apply.
    func recordApply(_ duration: Duration) {
        applyDuration.recordNanoseconds(Self.nanoseconds(duration))
    }

    var peerActivity: [String: PeerActivity] { peers.withLockedValue { $0 } }

    static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
