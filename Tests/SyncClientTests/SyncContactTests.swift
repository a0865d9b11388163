import ArchiveModel
import Replica
import SyncBookkeeping
import SyncClient
import TestSupport
import Testing
import WireProtocol

/// What `status` says each side lacked at the end of a sync: from both knowledge vectors and both
/// digests as the sync ended, kept in the replica's record of its syncs.
struct SyncContactTests {
    static let (a, b, c) = (OriginID.random(), OriginID.random(), OriginID.random())

    static func vector(_ pairs: [(OriginID, Int)]) -> VectorClock {
        var vector = VectorClock()
        for (origin, seq) in pairs { vector[origin] = seq }
        return vector
    }

    /// (this replica's vector, the peer's, same digest?) → the standing.
    static let cases: [(VectorClock, VectorClock, Bool, SyncContact.Standing)] = [
        (vector([(a, 3), (b, 2)]), vector([(a, 3), (b, 2)]), true, .inStep),
        (vector([]), vector([]), true, .inStep),
        (vector([(a, 3)]), vector([(a, 3), (b, 2)]), false, .pending(localLacks: 2, peerLacks: 0)),
        (vector([(a, 5), (b, 2)]), vector([(a, 3), (b, 2)]), false, .pending(localLacks: 0, peerLacks: 2)),
        (vector([(a, 5), (c, 1)]), vector([(a, 3), (b, 4)]), false, .pending(localLacks: 4, peerLacks: 3)),
        // Different events under the same numbers: never shown as in step.
        (vector([(a, 3), (b, 2)]), vector([(a, 3), (b, 2)]), false, .digestsDiffer),
        // A zero entry is no event.
        (vector([(a, 3), (b, 0)]), vector([(a, 3)]), true, .inStep),
    ]

    @Test(arguments: cases.indices)
    func standingFollowsBothVectorsAndDigests(_ index: Int) {
        let (local, server, sameDigest, expected) = Self.cases[index]
        let contact = SyncContact(
            at: 1, localKnowledge: local, serverKnowledge: server, localDigest: String(repeating: "a", count: 64),
            serverDigest: String(repeating: sameDigest ? "a" : "b", count: 64))
        #expect(contact.standing == expected)
        // The counts are zero exactly when nothing was pending, and then only in step if the
        // digests matched.
        if case .pending(let localLacks, let peerLacks) = expected {
            #expect(contact.localLacks == localLacks && contact.peerLacks == peerLacks)
        } else {
            #expect(contact.localLacks == 0 && contact.peerLacks == 0)
        }
    }

    @Test func vectorsRoundTripThroughTheirStoredForm() {
        for vector in [Self.vector([]), Self.vector([(Self.a, 1)]), Self.vector([(Self.a, 7), (Self.b, 12_345)])] {
            #expect(SyncContact.decode(SyncContact.encode(vector)) == vector)
        }
        for bad in ["x", "\(Self.a.hex)", "\(Self.a.hex):", "\(Self.a.hex):-1", "\(Self.a.hex):1:2", "ABC:1"] {
            #expect(SyncContact.decode(bad) == nil, "\(bad)")
        }
    }

    @Test func aRecordKeepsItsContactAndASyncThatNeverReachedThePeerKeepsTheLastOne() throws {
        let work = try TemporaryDirectory("sync-contact")
        let replica = try Replica.create(at: work.file("laptop.db"), name: "laptop")
        let first = SyncContact(
            at: 1_000, localKnowledge: Self.vector([(Self.a, 3)]),
            serverKnowledge: Self.vector([(Self.a, 3), (Self.b, 2)]),
            localDigest: String(repeating: "1", count: 64), serverDigest: String(repeating: "2", count: 64),
            serverOrigin: Self.b.hex)
        try replica.record(
            SyncRecord(
                peer: "hub", startedAt: 900, finishedAt: 1_000, sentEvents: 1, sentBytes: 10, receivedEvents: 2,
                receivedBytes: 20, result: "ok", contact: first))
        #expect(try replica.syncRecords().first?.contact == first)
        #expect(first.standing == .pending(localLacks: 2, peerLacks: 0))

        // A failed sync that heard nothing from the peer: its result, the earlier contact.
        try replica.record(
            SyncRecord(
                peer: "hub", startedAt: 2_000, finishedAt: 2_500, sentEvents: 0, sentBytes: 0, receivedEvents: 0,
                receivedBytes: 0, result: "failed: connection refused", contact: nil))
        let failed = try #require(try replica.syncRecords().first)
        #expect(failed.result == "failed: connection refused" && failed.finishedAt == 2_500)
        #expect(failed.contact == first)

        // A sync that reached it replaces the contact.
        let second = SyncContact(
            at: 3_000, localKnowledge: Self.vector([(Self.a, 3), (Self.b, 2)]),
            serverKnowledge: Self.vector([(Self.a, 3), (Self.b, 2)]), localDigest: String(repeating: "2", count: 64),
            serverDigest: String(repeating: "2", count: 64), serverOrigin: nil)
        try replica.record(
            SyncRecord(
                peer: "hub", startedAt: 2_900, finishedAt: 3_000, sentEvents: 0, sentBytes: 5, receivedEvents: 2,
                receivedBytes: 50, result: "ok", contact: second))
        let records = try replica.syncRecords()
        #expect(records.count == 1 && records.first?.contact == second && records.first?.contact?.standing == .inStep)

        // Another peer has its own record; one recorded without any contact has none.
        try replica.record(
            SyncRecord(
                peer: "http://127.0.0.1:9", startedAt: 1, finishedAt: 2, sentEvents: 0, sentBytes: 0,
                receivedEvents: 0, receivedBytes: 0, result: "failed: unreachable"))
        let other = try #require(try replica.syncRecords().first { $0.peer == "http://127.0.0.1:9" })
        #expect(other.contact == nil)
        #expect(
            try Replica.open(at: work.file("laptop.db")).syncRecords().first { $0.peer == "hub" }?.contact == second)
    }
}

/// The session keeps what the server last said it held, so that a contact records it truly.
struct SyncReportContactTests {
    /// Serves as `ReplicaTransport`, but lets `third` push to the hub just before the laptop's
    /// first push is served: the server moves on between the laptop's pull and its end.
    final class MovingOnTransport: SyncTransport {
        let inner: ReplicaTransport
        let hub: Replica
        var pending: [Event]

        init(_ inner: ReplicaTransport, hub: Replica, arriving: [Event]) {
            self.inner = inner
            self.hub = hub
            pending = arriving
        }

        func send(_ request: HTTPRequest, maxResponseBytes: Int) throws -> HTTPResponse {
            if request.path == WireProtocol.Path.push, !pending.isEmpty {
                _ = try hub.apply(pending)
                pending = []
            }
            return try inner.send(request, maxResponseBytes: maxResponseBytes)
        }
    }

    @Test func aSyncThatConvergesEndsInStep() throws {
        let pair = try SyncPair()
        try pair.capture(4, on: pair.hub, label: "hub")
        try pair.capture(3, on: pair.laptop, label: "laptop")
        let report = try pair.session().run()
        let serverKnowledge = try #require(report.serverKnowledge)
        let contact = SyncContact(
            at: 1, localKnowledge: report.knowledge, serverKnowledge: serverKnowledge,
            localDigest: report.digest.hex, serverDigest: report.serverDigest)
        #expect(contact.standing == .inStep)
        #expect(try serverKnowledge == pair.hub.knowledge() && report.knowledge == pair.laptop.knowledge())
        #expect(report.pulledEvents == 4 && report.pushedEvents == 3)
    }

    @Test func aServerThatMovedOnDuringTheSyncLeavesEventsThisReplicaLacks() throws {
        let pair = try SyncPair()
        try pair.capture(4, on: pair.hub, label: "hub")
        try pair.capture(3, on: pair.laptop, label: "laptop")
        let phone = try Replica.create(at: pair.work.file("phone.db"), name: "phone")
        let arriving = try pair.capture(5, on: phone, label: "phone")
        let transport = MovingOnTransport(pair.transport, hub: pair.hub, arriving: arriving)
        let session = SyncSession(replica: pair.laptop, transport: transport, sleep: { _ in })
        let report = try session.run()
        #expect(report.pulledEvents == 4 && report.pushedEvents == 3)
        let serverKnowledge = try #require(report.serverKnowledge)
        #expect(try serverKnowledge == pair.hub.knowledge())
        let contact = SyncContact(
            at: 1, localKnowledge: report.knowledge, serverKnowledge: serverKnowledge,
            localDigest: report.digest.hex, serverDigest: report.serverDigest)
        #expect(contact.standing == .pending(localLacks: 5, peerLacks: 0))
        #expect(report.digest.hex != report.serverDigest)
    }

    @Test func aFailedSyncKeepsWhatTheServerLastSaid() throws {
        let pair = try SyncPair()
        try pair.capture(2, on: pair.hub, label: "hub")
        try pair.capture(3, on: pair.laptop, label: "laptop")
        // The pull is served; the push is answered 500 until the session gives up.
        var configuration = SyncSessionStateMachine.Configuration()
        configuration.maxAttempts = 2
        pair.transport.faults = [.served, .status(500), .status(500)]
        let session = pair.session(configuration)
        #expect(throws: SyncClientError.self) { try session.run() }
        let report = session.report
        let serverKnowledge = try #require(report.serverKnowledge)
        let contact = SyncContact(
            at: 1, localKnowledge: try pair.laptop.knowledge(), serverKnowledge: serverKnowledge,
            localDigest: try pair.laptop.digest().hex, serverDigest: report.serverDigest)
        #expect(contact.standing == .pending(localLacks: 0, peerLacks: 3))
        #expect(try report.serverNode == pair.hub.identity().origin)
    }

    @Test func aSyncThatNeverHeardFromTheServerHasNoServerKnowledge() throws {
        let pair = try SyncPair()
        var configuration = SyncSessionStateMachine.Configuration()
        configuration.maxAttempts = 1
        pair.transport.faults = [.unreachable]
        let session = pair.session(configuration)
        #expect(throws: SyncClientError.self) { try session.run() }
        #expect(session.report.serverKnowledge == nil)
    }
}
