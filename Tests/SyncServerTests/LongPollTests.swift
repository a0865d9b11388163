import ArchiveModel
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Replica
import SyncServer
import TestSupport
import Testing
import WireProtocol

/// Pulls with `wait_ms` (SPEC.md, "Waiting for changes"), in process: what the server accepts, a
/// wait that runs out, a caller that lacks something answered without a wait. A wait ended by a
/// push or by another process's write is tested with a real server (`LongPollServerTests`), whose
/// timing no other test in this process can hold up.
struct LongPollTests {
    static func pullBody(_ knowledge: VectorClock, wait: Int?) -> ByteBuffer {
        var request = PullRequest(knowledge: knowledge)
        request.waitMilliseconds = wait ?? 0
        var bytes: [UInt8] = []
        request.json.write(to: &bytes, sortKeys: false)
        return ByteBuffer(bytes: bytes)
    }

    /// The event lines of a pull page (the trailer left out).
    static func eventLines(_ body: ByteBuffer) -> [String] {
        String(buffer: body).split(separator: "\n").map(String.init).filter { !$0.hasPrefix(#"{"end""#) }
    }

    /// The value of the metric line starting with `prefix` in the server's /metrics, or nil.
    static func metric(
        _ prefix: String, _ client: any TestClientProtocol, _ fixture: ServerFixture
    ) async throws
        -> Double?
    {
        let scrape = try await client.execute(
            uri: "/metrics", method: .get, headers: [.authorization: "Bearer \(fixture.readToken)"])
        let line = String(buffer: scrape.body).split(separator: "\n").first { $0.hasPrefix(prefix + " ") }
        return line.flatMap { Double($0.split(separator: " ").last ?? "") }
    }

    @Test func aPullWithNothingNewIsAnsweredEmptyWhenTheWaitRunsOut() async throws {
        let fixture = try ServerFixture("long-poll-timeout")
        let knowledge = try fixture.replica.knowledge()
        try await fixture.test { client in
            let started = ContinuousClock.now
            let page = try await client.execute(
                uri: WireProtocol.Path.pull, method: .post, headers: fixture.headers(),
                body: Self.pullBody(knowledge, wait: 1_200))
            #expect(page.status == .ok)
            #expect(Self.eventLines(page.body).isEmpty)
            #expect(String(buffer: page.body).contains(#""end":true"#))
            // Held at least as long as asked (a busy machine only makes it longer).
            #expect(started.duration(to: .now) >= .milliseconds(1_200))
            #expect(try await Self.metric(#"archive_sync_pull_waits_total{ended="timeout"}"#, client, fixture) == 1)
            #expect(try await Self.metric("archive_sync_pull_waiting", client, fixture) == 0)
        }
    }

    @Test func aPullOfACallerThatLacksSomethingIsAnsweredAtOnce() async throws {
        let fixture = try ServerFixture("long-poll-at-once")
        _ = try fixture.replica.capture(url: "https://news.example.org/held", title: "Held", body: "x")
        try await fixture.test { client in
            // The server's event is what an empty caller lacks: answered without waiting at all.
            let page = try await client.execute(
                uri: WireProtocol.Path.pull, method: .post, headers: fixture.headers(),
                body: Self.pullBody(VectorClock(), wait: 30_000))
            #expect(page.status == .ok)
            #expect(Self.eventLines(page.body).count == 1)
            #expect(try await Self.metric("archive_sync_pull_waiting", client, fixture) == 0)
            let scrape = try await client.execute(
                uri: "/metrics", method: .get, headers: [.authorization: "Bearer \(fixture.readToken)"])
            #expect(!String(buffer: scrape.body).contains("archive_sync_pull_waits_total{"))
        }
    }

    @Test func pullsPastTheMostThatMayWaitAreRefusedAsBusy() async throws {
        let fixture = try ServerFixture("long-poll-cap") { $0.maxWaitingPulls = 1 }
        let knowledge = try fixture.replica.knowledge()
        var chain = EventChain()
        let event = try chain.create(body: "ends the first wait")
        try await fixture.test { client in
            async let first = client.execute(
                uri: WireProtocol.Path.pull, method: .post, headers: fixture.headers(),
                body: Self.pullBody(knowledge, wait: 30_000))
            // Once the first one waits, a second one is one too many.
            var waiting = false
            for _ in 0..<600 where !waiting {
                waiting = try await Self.metric("archive_sync_pull_waiting", client, fixture) == 1
                if !waiting { try await Task.sleep(for: .milliseconds(50)) }
            }
            #expect(waiting)
            let second = try await client.execute(
                uri: WireProtocol.Path.pull, method: .post, headers: fixture.headers(),
                body: Self.pullBody(knowledge, wait: 30_000))
            #expect(second.status == .serviceUnavailable)
            #expect(String(buffer: second.body).contains("busy"))
            // A push ends the first wait with its event.
            let push = try await client.execute(
                uri: WireProtocol.Path.push, method: .post,
                headers: fixture.headers([.contentType: WireProtocol.ndjsonContentType]),
                body: ServerFixture.ndjson([EventBatch.encode([event])]))
            #expect(push.status == .ok)
            #expect(Self.eventLines(try await first.body).count == 1)
            #expect(try await Self.metric(#"archive_sync_pull_waits_total{ended="change"}"#, client, fixture) == 1)
        }
    }

    @Test(arguments: [#""wait_ms":30001"#, #""wait_ms":-1"#, #""wait_ms":"5""#, #""wait_ms":null"#])
    func aWaitOutsideTheLimitIsRefused(_ field: String) async throws {
        let fixture = try ServerFixture("long-poll-bad")
        try await fixture.test { client in
            let body = #"{"knowledge":{},"# + field + "}"
            let page = try await client.execute(
                uri: WireProtocol.Path.pull, method: .post, headers: fixture.headers(),
                body: ByteBuffer(string: body))
            #expect(page.status == .badRequest)
            #expect(String(buffer: page.body).contains("wait_ms"))
        }
    }

    @Test func infoNamesTheLongestWait() async throws {
        let fixture = try ServerFixture("long-poll-info")
        try await fixture.test { client in
            let info = try await client.execute(uri: WireProtocol.Path.info, method: .get, headers: fixture.headers())
            let json = try JSONParser.parse(Array(buffer: info.body))
            #expect(json["limits"]?["max_wait_ms"]?.integerValue == 30_000)
        }
    }
}
