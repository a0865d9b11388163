import ArchiveModel
import Replica
import SyncBookkeeping
import SyncClient
import TestSupport
import Testing
import WireProtocol

/// `sync --dry-run` in process: what a sync would pull and push, per origin and article, found
/// with the checks of a sync and without writing anything.
struct SyncPreviewTests {
    /// Everything a dry run must leave as it was, on one replica.
    static func snapshot(_ replica: Replica) throws -> String {
        let status = try replica.status()
        return "\(status.knowledge) \(status.digest.hex) \(status.events) \(try replica.syncRecords()) "
            + "\(try replica.peers()) \(String(describing: try replica.forkNotice()))"
    }

    /// Answers as `inner`, with one byte added in front of every pull page: the page no longer
    /// matches the server's proof.
    final class AlteringTransport: SyncTransport {
        let inner: ReplicaTransport
        init(_ inner: ReplicaTransport) { self.inner = inner }

        func send(_ request: HTTPRequest, maxResponseBytes: Int) throws -> HTTPResponse {
            var response = try inner.send(request, maxResponseBytes: maxResponseBytes)
            if request.path == WireProtocol.Path.pull { response.body = [0x0A] + response.body }
            return response
        }
    }

    @Test func aDryRunListsWhatASyncWouldExchangeWritesNothingAndTheSyncThenDoesExactlyThat() throws {
        let pair = try SyncPair()
        try pair.capture(4, on: pair.hub, label: "hub")
        // An article created and edited on the hub, pulled in pages of 2: the dry run's requests
        // name events it saw but did not apply, so it asks for whole values (no deltas).
        let long = String(repeating: "<p>A long paragraph of the article.</p>\n", count: 20)
        let created = try pair.hub.capture(
            url: "https://news.example.org/long", title: "The long one", body: long, capturedAt: 5_000)
        _ = try pair.hub.edit(created.article, values: [(.body, .text(long + "<p>One more.</p>\n"))])
        let phone = try Replica.create(at: pair.work.file("phone.db"), name: "phone")
        _ = try pair.hub.apply(try pair.capture(2, on: phone, label: "phone"))
        let pushed = try pair.capture(3, on: pair.laptop, label: "laptop")
        let (laptopBefore, hubBefore) = (try Self.snapshot(pair.laptop), try Self.snapshot(pair.hub))

        var configuration = SyncSessionStateMachine.Configuration()
        configuration.pullEvents = 2
        let preview = try SyncPreview(
            replica: pair.laptop, transport: pair.transport, configuration: configuration, sleep: { _ in }
        ).run()

        #expect(try Self.snapshot(pair.laptop) == laptopBefore)
        #expect(try Self.snapshot(pair.hub) == hubBefore)
        #expect(pair.transport.pulls.count == 4 && pair.transport.pulls.allSatisfy { !$0.deltas })
        #expect(pair.transport.requests.allSatisfy { $0 == WireProtocol.Path.pull })

        let (hubOrigin, phoneOrigin) = (try pair.hub.identity().origin, try phone.identity().origin)
        let laptopOrigin = try pair.laptop.identity().origin
        #expect(preview.serverName == "hub" && preview.serverNode == hubOrigin)
        #expect(preview.pull.events == 8)
        #expect(
            preview.pull.origins == [
                .init(origin: hubOrigin, name: "hub", signed: true, events: 6),
                .init(origin: phoneOrigin, name: "phone", signed: true, events: 2),
            ])
        #expect(preview.pull.articles.count == 7)
        let longArticle = try #require(preview.pull.articles.first { $0.id == created.article })
        #expect(
            longArticle.title == "The long one" && longArticle.events == 2 && longArticle.kinds == [.create, .update])
        #expect(preview.pull.articles.first?.title == "hub 0")
        #expect(preview.push.events == 3)
        #expect(preview.push.origins == [.init(origin: laptopOrigin, name: "laptop", signed: true, events: 3)])
        #expect(preview.push.articles.map(\.id) == pushed.map(\.article))
        #expect(preview.push.articles.map(\.title) == ["laptop 0", "laptop 1", "laptop 2"])
        #expect(preview.stops.isEmpty)
        #expect(try preview.serverKnowledge == pair.hub.knowledge())

        let report = try SyncSession(
            replica: pair.laptop, transport: pair.transport, configuration: configuration, sleep: { _ in }
        ).run()
        #expect(report.pulledEvents == preview.pull.events && report.pushedEvents == preview.push.events)
        #expect(try pair.converged())

        let idle = try SyncPreview(replica: pair.laptop, transport: pair.transport, sleep: { _ in }).run()
        #expect(idle.pull.events == 0 && idle.push.events == 0 && idle.pull.articles.isEmpty)
    }

    @Test func aDryRunTitlesAnEditedArticleFromWhatThisReplicaHolds() throws {
        let pair = try SyncPair()
        let created = try pair.capture(1, on: pair.hub, label: "hub")
        _ = try pair.laptop.apply(created)
        _ = try pair.hub.edit(created[0].article, values: [(.note, .text("a note"))])
        let preview = try SyncPreview(replica: pair.laptop, transport: pair.transport, sleep: { _ in }).run()
        #expect(preview.pull.articles.map(\.title) == ["hub 0"])
        #expect(preview.pull.articles.map(\.kinds) == [[.update]])
    }

    @Test func aDryRunIsRefusedByAPinnedPeerThatIsNowAnotherOrigin() throws {
        let pair = try SyncPair()
        try pair.capture(2, on: pair.hub, label: "hub")
        try pair.capture(1, on: pair.laptop, label: "laptop")
        let before = try Self.snapshot(pair.laptop)
        let pinned = OriginID.random()
        let preview = SyncPreview(
            replica: pair.laptop, transport: pair.transport, sleep: { _ in }, pin: (peer: "hub", origin: pinned))
        #expect {
            try preview.run()
        } throws: { error in
            let error = error as? SyncClientError
            return error?.code == .serverChanged && error?.message.contains("peer trust hub") == true
        }
        #expect(try Self.snapshot(pair.laptop) == before)
        // The same pin stops a sync the same way.
        let session = SyncSession(
            replica: pair.laptop, transport: pair.transport, sleep: { _ in }, pin: (peer: "hub", origin: pinned))
        #expect(throws: SyncClientError.self) { try session.run() }
    }

    @Test func aDryRunIsRefusedByAServerWhosePagesDoNotMatchItsProof() throws {
        let pair = try SyncPair()
        try pair.capture(2, on: pair.hub, label: "hub")
        let before = try Self.snapshot(pair.laptop)
        let preview = SyncPreview(replica: pair.laptop, transport: AlteringTransport(pair.transport), sleep: { _ in })
        #expect {
            try preview.run()
        } throws: { error in (error as? SyncClientError)?.code == .unprovenServer }
        #expect(try Self.snapshot(pair.laptop) == before)
    }

    @Test func aDryRunSaysWhereASyncWouldStopForUnsignedHistory() throws {
        let pair = try SyncPair()
        try pair.capture(1, on: pair.hub, label: "hub")
        let phone = SigningKey.fixed(21).origin
        _ = try pair.hub.apply(try LegacyReplica.unsignedCreates(origin: phone, count: 2, label: "old", name: "phone"))
        let refusing = try SyncPreview(replica: pair.laptop, transport: pair.transport, sleep: { _ in }).run()
        #expect(refusing.pull.origins.first { $0.origin == phone }?.signed == false)
        #expect(refusing.stops.count == 1 && refusing.stops.first?.contains("--accept-unsigned") == true)
        let accepting = try SyncPreview(
            replica: pair.laptop, transport: pair.transport, sleep: { _ in }, unsigned: .accept
        ).run()
        #expect(accepting.stops.isEmpty && accepting.pull.events == 3)
    }
}
