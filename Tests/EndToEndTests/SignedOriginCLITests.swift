import ArchiveModel
import Foundation
import GRDB
import Replica
import TestSupport
import Testing
import WireProtocol

/// Signed origins through the real executable and a real `archive-sync serve`: nobody writes in
/// another replica's name, a server proves who it is, a peer stays the origin it was pinned to.
struct SignedOriginCLITests {
    @Test func aPushInTheServersOwnNameSignedWithAnotherKeyIsRefusedAndChangesNothing() throws {
        let fixture = try ServerTests.Fixture("forged-own")
        try fixture.cli.ok([
            "capture", "--url", "https://news.example.org/hub/1", "--title", "Hub's own", "--body", "<p>hub</p>",
        ])
        let hub = try Replica.open(at: fixture.cli.database)
        let identity = try hub.identity()
        let head = try #require(try hub.hashes(ofEventsEnding: try hub.knowledge())[identity.origin])
        let before = try fixture.snapshot()
        // A writer with a write token chains a note onto the hub's own origin, as /v1/info tells
        // it how, and signs it with a key of its own.
        let article = try #require(try hub.list().first).id
        var clock = try hub.knowledge()
        clock[identity.origin] = 1
        let draft = Event.Draft(
            origin: identity.origin, seq: 2, hlc: HybridTimestamp(milliseconds: Replica.systemClock(), counter: 0),
            clock: clock, article: article, kind: .update, changes: [.set(.note, .text("written in the hub's name"))],
            prev: head)
        let unsigned = try Event.seal(draft)
        for forged in [
            unsigned.withSignature(SigningKey().sign(event: unsigned.hash)), unsigned,
        ] {
            let push = try fixture.push(EventBatch.encode([forged]))
            let answer = try JSONParser.parse(push.body)
            #expect(push.status == 400 && answer["error"]?.stringValue == "bad-signature", "\(answer)")
            #expect(answer["event"]?.stringValue == "\(identity.origin.hex):2")
            #expect(try fixture.snapshot() == before)
        }
        #expect(try fixture.cli.ok(["verify"]).stdout.contains("every signature valid"))
    }

    @Test func aPeerIsPinnedAtItsFirstSyncAndAnotherOriginThereStopsTheSyncUntilConfirmed() throws {
        let hub = try SyncNode("hub")
        let laptop = try SyncNode("laptop", serve: false)
        try laptop.cli.ok(["peer", "add", "hub", hub.url, "--token-file", hub.tokenFile])
        let hubOrigin = try hub.replica().identity().origin
        let first = try laptop.cli.ok(["sync", "hub"])
        #expect(first.stdout.contains("Pinned peer hub") && first.stdout.contains(Fingerprint.of(hubOrigin)))
        let peers = try laptop.cli.ok(["peer", "list", "--json"]).jsonLines()
        #expect(peers.first?["origin"]?.stringValue == hubOrigin.hex)

        // The address now answers as another origin (here: the pin is changed to pretend the
        // server was replaced): the sync stops before anything is exchanged, and says how to go on.
        let other = OriginID.random()
        try laptop.cli.ok(["peer", "trust", "hub", other.hex])
        try laptop.cli.ok([
            "capture", "--url", "https://news.example.org/laptop/1", "--title", "Laptop's", "--body", "<p>l</p>",
        ])
        let before = try laptop.journal()
        let refused = try laptop.cli.run(["sync", "hub"])
        #expect(refused.status == 1)
        #expect(
            refused.stderr.contains("not \(other.hex)") && refused.stderr.contains("peer trust hub \(hubOrigin.hex)"))
        #expect(try laptop.journal() == before && hub.journal().isEmpty)

        try laptop.cli.ok(["peer", "trust", "hub", hubOrigin.hex])
        let resumed = try laptop.cli.ok(["sync", "hub", "--json"]).json()
        #expect(resumed["pushed"]?.integerValue == 1)
        #expect(resumed["server_origin"]?.stringValue == hubOrigin.hex)
    }

    @Test func aCopyOfTheServersFileCannotPoseAsIt() throws {
        let hub = try SyncNode("hub", serve: false)
        try hub.cli.ok(["capture", "--url", "https://news.example.org/1", "--title", "One", "--body", "<p>1</p>"])
        // The file and its key copied elsewhere (cp -a of both) and served from there.
        let copy = try CLI("hub-copy")
        for suffix in ["", ".key"] {
            try FileManager.default.copyItem(atPath: hub.cli.database + suffix, toPath: copy.database + suffix)
        }
        let server = try ServerProcess(database: copy.database, directory: copy.directory)
        defer { server.stop() }
        let laptop = try SyncNode("laptop", serve: false)
        let refused = try laptop.cli.run(["sync", server.url, "--token-file", hub.tokenFile])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("did not prove that it holds the key"), "\(refused.stderr)")
        #expect(try laptop.journal().isEmpty)
    }

    @Test func namesCarryKeyFingerprintsInStatusHistoryAndLog() throws {
        let hub = try SyncNode("hub")
        let first = try SyncNode("twin", serve: false)
        let second = try SyncNode("twin", serve: false)
        try first.cli.ok(["capture", "--url", "https://news.example.org/t", "--title", "T", "--body", "<p>1</p>"])
        try first.syncOK(with: hub)
        try second.syncOK(with: hub)
        let id = try #require(try second.replica().list().first).id.hex
        try second.cli.ok(["note", id, "from the second twin"])
        try second.syncOK(with: hub)
        let origins = [try first.replica().identity().origin, try second.replica().identity().origin]
        // Two replicas named "twin", told apart by their keys' fingerprints everywhere.
        let labels = origins.map { "twin [\(Fingerprint.of($0))]" }
        let history = try hub.cli.ok(["history", id]).stdout
        let log = try hub.cli.ok(["log"]).stdout
        let status = try hub.cli.ok(["status"]).stdout
        for label in labels {
            #expect(history.contains(label) && log.contains(label) && status.contains(label), "\(label)")
        }
        let hubStatus = try hub.cli.ok(["status", "--json"]).json()
        #expect(hubStatus["keys"]?.objectValue?.count == 2)
        let synced = try second.cli.ok(["sync", hub.url, "--token-file", hub.tokenFile]).stdout
        #expect(synced.contains("\"hub\" [\(Fingerprint.of(try hub.replica().identity().origin))]"), "\(synced)")
    }

    @Test func aReplicaFileMadeBeforeSigningIsUpgradedAtItsFirstCommandWithNothingLost() throws {
        let cli = try CLI("legacy-cli")
        let legacy = try LegacyReplica.make(at: cli.database)
        let upgraded = try cli.run(["status"])
        #expect(upgraded.status == 0)
        #expect(upgraded.stderr.contains("now signs every event") && upgraded.stderr.contains(legacy.hex))
        #expect(!(try cli.run(["status"]).stderr.contains("now signs")))
        let verify = try cli.run(["verify"])
        #expect(verify.stdout.contains("unsigned history"), "\(verify.stdout)")
        try cli.ok(["capture", "--url", "https://news.example.org/new", "--title", "New", "--body", "<p>n</p>"])
        let replica = try Replica.open(at: cli.database)
        #expect(try replica.identity().origin != legacy && replica.identity().key != nil)
        #expect(try replica.list().count == 3)
    }
}
