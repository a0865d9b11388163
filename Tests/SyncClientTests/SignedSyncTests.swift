import ArchiveModel
import EventJournal
import Foundation
import Replica
import SyncClient
import TestSupport
import Testing
import WireProtocol

/// What a sync takes from a server now that events are signed: no unsigned history unless asked
/// for, no event of this replica's own origin its key did not sign, no batch with one forgery.
struct SignedSyncTests {
    /// A session of `laptop` with a server that answers every pull with `page`, its challenges
    /// always `challenge` (so that the canned page can prove it).
    func session(_ laptop: Replica, page: [UInt8], challenge: [UInt8]) throws -> (SyncSession, CannedHTTPServer) {
        let server = try CannedHTTPServer(head: "HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson", body: page)
        let session = SyncSession(
            replica: laptop, transport: try CurlTransport(baseURL: server.url, token: nil), sleep: { _ in },
            challenges: { challenge })
        return (session, server)
    }

    @Test func unsignedHistoryIsNotTakenUnlessAskedFor() throws {
        let pair = try SyncPair()
        try pair.capture(2, on: pair.hub, label: "hub")
        // The hub holds events in the name of a phone's signed origin, without key or signatures.
        let phone = SigningKey.fixed(11).origin
        _ = try pair.hub.apply(
            try LegacyReplica.unsignedCreates(origin: phone, count: 3, label: "forged", name: "phone"))
        let before = try pair.laptop.knowledge()
        #expect {
            try pair.session().run()
        } throws: { error in
            let error = error as? SyncClientError
            return error?.code == .unsignedHistory && error?.message.contains("--accept-unsigned") == true
        }
        #expect(try pair.laptop.knowledge()[phone] == 0)
        #expect(try pair.laptop.knowledge().entries.count <= before.entries.count + 1)
        // Asked for, from the server that proved itself: taken.
        let session = SyncSession(
            replica: pair.laptop, transport: pair.transport, sleep: { _ in }, unsigned: .accept)
        _ = try session.run()
        #expect(try pair.laptop.knowledge()[phone] == 3)
        #expect(try pair.converged())
    }

    @Test func aBatchWithOneForgeryAmongManyIsRefusedWhole() throws {
        // 100 events: the signatures are checked on every core first, then by the journal.
        let pair = try SyncPair()
        let events = try pair.capture(100, on: pair.hub, label: "hub")
        var forged = events
        let target = forged[70]
        forged[70] = target.withSignature(SigningKey.fixed(12).sign(event: target.hash))
        #expect {
            _ = try pair.laptop.apply(forged)
        } throws: { error in
            (error as? EventJournalError)?.code == .badSignature
                && (error as? EventJournalError)?.event == target.dot
        }
        #expect(try pair.laptop.knowledge().entries.isEmpty)
        #expect(try pair.laptop.apply(events).appended == 100)
        #expect(try pair.laptop.verify().ok)
    }

    @Test func aServerCannotShowThisReplicaAForkOfItsOwnEventsWithoutItsKey() throws {
        let work = try TemporaryDirectory("own-fork-forged")
        let laptop = try Replica.create(at: work.file("laptop.db"), name: "laptop")
        let first = try laptop.capture(url: "https://news.example.org/1", title: "one", body: "<p>1</p>\n")
        let hub = try Replica.create(at: work.file("hub.db"), name: "hub")
        _ = try hub.apply([first])
        // "Event 2 of the laptop", chained correctly, signed by a key that is not the laptop's.
        var clock = VectorClock()
        clock[first.origin] = 1
        let unsigned = try Event.seal(
            Event.Draft(
                origin: first.origin, seq: 2,
                hlc: HybridTimestamp(milliseconds: first.hlc.milliseconds + 5, counter: 0),
                clock: clock, article: first.article, kind: .update, changes: [.set(.note, .text("not mine"))],
                prev: first.hash))
        let forged = unsigned.withSignature(SigningKey.fixed(13).sign(event: unsigned.hash))
        let challenge = [UInt8](repeating: 7, count: ServerProof.challengeBytes)
        var page = EventBatch.encode([forged])
        var knowledge = try hub.knowledge()
        knowledge[first.origin] = 2
        page += ServerProof.trailerLine(
            PullTrailer(
                events: 1, more: false, knowledge: knowledge, node: try hub.identity().origin, name: "hub",
                digest: try hub.digest().hex),
            page: page, challenge: challenge, key: try hub.signingKey())
        page.append(0x0A)
        let (session, server) = try session(laptop, page: page, challenge: challenge)
        defer { server.close() }
        #expect {
            try session.run()
        } throws: { error in
            (error as? SyncClientError)?.message.contains("not signed by this replica's key") == true
        }
        // Nothing recorded: the laptop writes on.
        #expect(try laptop.forkNotice() == nil)
        _ = try laptop.capture(url: "https://news.example.org/2", title: "two", body: "<p>2</p>\n")
    }

    @Test func aPageWhoseBytesWereChangedOnTheWayIsRefused() throws {
        let work = try TemporaryDirectory("page-changed")
        let hub = try Replica.create(at: work.file("hub.db"), name: "hub")
        let laptop = try Replica.create(at: work.file("laptop.db"), name: "laptop")
        let event = try hub.capture(url: "https://news.example.org/1", title: "one", body: "<p>1</p>\n")
        let challenge = [UInt8](repeating: 9, count: ServerProof.challengeBytes)
        var page = EventBatch.encode([event])
        let trailer = ServerProof.trailerLine(
            PullTrailer(
                events: 1, more: false, knowledge: try hub.knowledge(), node: try hub.identity().origin, name: "hub",
                digest: try hub.digest().hex),
            page: page, challenge: challenge, key: try hub.signingKey())
        // One byte added on the way (an empty line in front): the page no longer matches its proof.
        page = Array("\n".utf8) + page + trailer + [0x0A]
        let (session, server) = try session(laptop, page: page, challenge: challenge)
        defer { server.close() }
        #expect {
            try session.run()
        } throws: { error in (error as? SyncClientError)?.code == .unprovenServer }
        #expect(try laptop.knowledge().entries.isEmpty)
    }
}
