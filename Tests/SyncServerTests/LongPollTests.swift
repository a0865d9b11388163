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

/// Pulls with `wait_ms` (SPEC.md, "Waiting for changes"): held while the server has nothing new,
/// answered as soon as it has.
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

    @Test func aPullWithNothingNewIsHeldUntilAPushBringsSomething() async throws {
        let fixture = try ServerFixture("long-poll-push")
        let knowledge = try fixture.replica.knowledge()
        var chain = EventChain()
        let event = try chain.create(body: "arrives while the pull waits")
        try await fixture.test { client in
            let started = ContinuousClock.now
            async let held = client.execute(
                uri: WireProtocol.Path.pull, method: .post, headers: fixture.headers(),
                body: Self.pullBody(knowledge, wait: 20_000))
            // The push is sent while the pull is held (it cannot be answered before: nothing is new).
            let push = try await client.execute(
                uri: WireProtocol.Path.push, method: .post,
                headers: fixture.headers([.contentType: WireProtocol.ndjsonContentType]),
                body: ServerFixture.ndjson([EventBatch.encode([event])]))
            #expect(push.status == .ok)
            let page = try await held
            #expect(page.status == .ok)
            #expect(Self.eventLines(page.body).count == 1)
            // Answered by the push, not by the wait running out.
            #expect(started.duration(to: .now) < .seconds(15))
        }
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
            #expect(started.duration(to: .now) >= .milliseconds(1_200))
        }
    }

    @Test func aPullOfACallerThatLacksSomethingIsAnsweredAtOnce() async throws {
        let fixture = try ServerFixture("long-poll-at-once")
        _ = try fixture.replica.capture(url: "https://news.example.org/held", title: "Held", body: "x")
        try await fixture.test { client in
            let started = ContinuousClock.now
            // The server's event is what an empty caller lacks.
            let page = try await client.execute(
                uri: WireProtocol.Path.pull, method: .post, headers: fixture.headers(),
                body: Self.pullBody(VectorClock(), wait: 20_000))
            #expect(page.status == .ok)
            #expect(!Self.eventLines(page.body).isEmpty)
            #expect(started.duration(to: .now) < .seconds(15))
        }
    }

    @Test func eventsWrittenByAnotherConnectionToTheFileEndTheWait() async throws {
        let fixture = try ServerFixture("long-poll-other-writer")
        let knowledge = try fixture.replica.knowledge()
        let other = try Replica.open(at: fixture.directory.file("server.db"))
        try await fixture.test { client in
            let started = ContinuousClock.now
            async let held = client.execute(
                uri: WireProtocol.Path.pull, method: .post, headers: fixture.headers(),
                body: Self.pullBody(knowledge, wait: 20_000))
            // A write the server's bell does not hear (another connection, as another process would).
            _ = try other.capture(url: "https://news.example.org/other-writer", title: "Written aside", body: "x")
            let page = try await held
            #expect(Self.eventLines(page.body).count == 1)
            #expect(started.duration(to: .now) < .seconds(15))
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
