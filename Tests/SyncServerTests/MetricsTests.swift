import ArchiveModel
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import SyncServer
import TestSupport
import Testing
import WireProtocol

/// `/metrics`: Prometheus' text format, counters that move with the requests, and per-token lag.
struct MetricsTests {
    /// Scrapes `/metrics` with `token` (the read token unless given) and parses it strictly.
    func scrape(_ fixture: ServerFixture, _ client: some TestClientProtocol) async throws -> PrometheusText {
        let response = try await client.execute(
            uri: "/metrics", method: .get, headers: [.authorization: "Bearer \(fixture.readToken)"])
        #expect(response.status == .ok)
        #expect(response.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
        return try PrometheusText(String(buffer: response.body))
    }

    func push(_ events: [Event], _ fixture: ServerFixture, _ client: some TestClientProtocol) async throws {
        let push = try await client.execute(
            uri: WireProtocol.Path.push, method: .post, headers: fixture.headers(),
            body: ServerFixture.ndjson(events.map(\.wireLine)))
        #expect(push.status == .ok, "\(String(buffer: push.body))")
    }

    @Test func metricsParseAsPrometheusTextAndCountAPush() async throws {
        let fixture = try ServerFixture("metrics-push")
        var chain = EventChain()
        let events = [
            try chain.create(body: "<p>one</p>"), try chain.append(.update, [.set(.note, .text("a"))]),
            try chain.append(.update, [.set(.note, .text("b"))]),
        ]
        try await fixture.test { client in
            let before = try await scrape(fixture, client)
            #expect(before.types["archive_sync_events_in_total"] == "counter")
            #expect(before.value("archive_sync_events_in_total") == 0)
            #expect(before.value("archive_sync_journal_events") == 0)
            #expect(before.help["archive_sync_events_in_total"]?.isEmpty == false)
            try await push(events, fixture, client)
            let after = try await scrape(fixture, client)
            let pushed = ["route": "/v1/push", "method": "POST", "status": "200"]
            #expect(after.value("archive_sync_events_in_total") == 3)
            #expect(after.value("archive_sync_http_requests_total", pushed) == 1)
            #expect(before.value("archive_sync_http_requests_total", pushed) == nil)
            #expect((after.value("archive_sync_bytes_in_total", ["route": "/v1/push"]) ?? 0) > 0)
            #expect((after.value("archive_sync_bytes_out_total", ["route": "/v1/push"]) ?? 0) > 0)
            #expect(after.value("archive_sync_apply_duration_seconds_count") == 1)
            #expect(after.types["archive_sync_apply_duration_seconds"] == "histogram")
            #expect(after.value("archive_sync_journal_events") == 3)
            #expect((after.value("archive_sync_journal_file_bytes") ?? 0) > 0)
            // The first scrape is counted once its answer is sent, so the second one sees it.
            #expect(
                after.value(
                    "archive_sync_http_requests_total", ["route": "/metrics", "method": "GET", "status": "200"])
                    == 1)
            // Only this scrape is in flight while it is answered.
            #expect(after.value("archive_sync_http_requests_in_flight") == 1)
            #expect(after.value("archive_sync_build_info", ["version": "unknown"]) == 1)
        }
    }

    @Test func metricsNeedATokenOnTheServersOwnAddress() async throws {
        let fixture = try ServerFixture("metrics-token")
        try await fixture.test { client in
            let anonymous = try await client.execute(uri: "/metrics", method: .get)
            #expect(anonymous.status == .unauthorized)
            let unknown = try await client.execute(
                uri: "/metrics", method: .get, headers: [.authorization: "Bearer nope"])
            #expect(unknown.status == .unauthorized)
        }
    }

    @Test func theMetricsAddressAnswersWithoutATokenAndOnlyMetrics() async throws {
        let fixture = try ServerFixture("metrics-bind")
        let app = Application(router: fixture.server.makeMetricsRouter())
        try await app.test(.router) { client in
            let metrics = try await client.execute(uri: "/metrics", method: .get)
            #expect(metrics.status == .ok)
            let text = try PrometheusText(String(buffer: metrics.body))
            #expect(text.value("archive_sync_journal_events") == 0)
            let info = try await client.execute(uri: WireProtocol.Path.info, method: .get, headers: fixture.headers())
            #expect(info.status == .notFound)
        }
    }

    @Test func aPullSetsItsTokensLagAndAPushByAnotherTokenGrowsIt() async throws {
        let fixture = try ServerFixture("metrics-lag")
        var chain = EventChain()
        let first = [try chain.create(body: "<p>one</p>"), try chain.append(.update, [.set(.note, .text("a"))])]
        _ = try fixture.replica.apply(first)
        let later = try chain.append(.update, [.set(.note, .text("b"))])
        try await fixture.test { client in
            let before = try await scrape(fixture, client)
            #expect(before.value("archive_sync_peer_lag_events", ["token": "read"]) == nil)
            let pull = try await client.execute(
                uri: WireProtocol.Path.pull, method: .post, headers: fixture.headers(token: fixture.readToken),
                body: ByteBuffer(string: #"{"knowledge":{}}"#))
            #expect(pull.status == .ok)
            #expect(try PullPage(Array(pull.body.readableBytesView)).events.count == 2)
            let caughtUp = try await scrape(fixture, client)
            #expect(caughtUp.value("archive_sync_peer_lag_events", ["token": "read"]) == 0)
            #expect((caughtUp.value("archive_sync_peer_seconds_since_sync", ["token": "read"]) ?? -1) >= 0)
            #expect(caughtUp.value("archive_sync_events_out_total") == 2)
            try await push([later], fixture, client)
            let behind = try await scrape(fixture, client)
            #expect(behind.value("archive_sync_peer_lag_events", ["token": "read"]) == 1)
            // The pushing client said nothing of what it knows: it has a time, not a lag.
            #expect(behind.value("archive_sync_peer_lag_events", ["token": "write"]) == nil)
            #expect(behind.value("archive_sync_peer_seconds_since_sync", ["token": "write"]) != nil)
        }
    }

    @Test func twoServersInOneProcessCountApart() async throws {
        let one = try ServerFixture("metrics-one")
        let two = try ServerFixture("metrics-two")
        var chain = EventChain()
        let create = try chain.create(body: "<p>one</p>")
        try await one.test { client in try await push([create], one, client) }
        let scrapedOne = try await one.test { client in try await scrape(one, client) }
        let scrapedTwo = try await two.test { client in try await scrape(two, client) }
        #expect(scrapedOne.value("archive_sync_events_in_total") == 1)
        #expect(scrapedTwo.value("archive_sync_events_in_total") == 0)
    }

    @Test(arguments: [
        "# TYPE a counter\na 1", "a 1\n", "# TYPE a counter\na{b=\"1} 1\n", "# TYPE a counter\na{b=1} 1\n",
        "# TYPE a counter\na one\n", "# TYPE a gauge\n# TYPE a gauge\n", "# TYPE a counter\na{b=\"\\x\"} 1\n",
        "# TYPE a histogram\na_bucket 1\n", "# HELP a\n",
    ])
    func theTestsReaderRefusesWhatIsNotPrometheusText(_ text: String) {
        #expect(throws: PrometheusText.Malformed.self) { try PrometheusText(text) }
    }

    @Test func theTestsReaderReadsPrometheusText() throws {
        let text = try PrometheusText(
            "# HELP a_total A \\ help.\n# TYPE a_total counter\na_total{b=\"x\\\"y\\n\",c=\"\"} 2.5\n"
                + "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1\nh_sum 0.25\nh_count 1\n")
        #expect(text.value("a_total", ["b": "x\"y\n", "c": ""]) == 2.5)
        #expect(text.value("h_bucket", ["le": "+Inf"]) == 1)
        #expect(text.help["a_total"] == "A \\ help.")
    }
}
