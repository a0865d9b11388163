import ArchiveModel
import Foundation
import GRDB
import Replica
import TestSupport
import Testing

extension SyncNode {
    /// Writes generated articles `range` into this node's folder and imports them.
    func importGenerated(_ range: Range<Int>, seed: UInt64 = 31) throws {
        try cli.ok([
            "generate", cli.directory.file("articles"), "--count", String(range.count), "--from",
            String(range.lowerBound), "--seed", String(seed),
        ])
        try cli.ok(["import", cli.directory.file("articles")])
    }

    /// `status --json`'s entry for `peer`.
    func peerStatus(_ peer: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> JSONValue {
        let status = try cli.ok(["status", "--json"]).json()
        let entry = status["peers"]?.arrayValue?.first { $0["peer"]?.stringValue == peer }
        return try #require(entry, "no peer \(peer) in \(status)", sourceLocation: sourceLocation)
    }

    /// The line of `status` for `peer`.
    func peerStatusLine(_ peer: String) throws -> String {
        try cli.ok(["status"]).lines.first { $0.hasPrefix("  \(peer) ") } ?? ""
    }
}

/// `status` per peer through the real executable and real servers: when it last synced, how that
/// ended, what travelled, and what each side still lacked when it ended.
struct PeerStatusTests {
    @Test func aSyncThatConvergedShowsNothingPendingAndWhatTheSyncReported() throws {
        let server = try SyncNode("server")
        let laptop = try SyncNode("laptop", serve: false)
        try server.importGenerated(0..<10)
        try laptop.importGenerated(10..<15)
        try laptop.cli.ok(["peer", "add", "server", server.url, "--token-file", server.tokenFile])
        let before = Replica.systemClock()
        let sync = try laptop.cli.ok(["sync", "server", "--json"]).json()
        #expect(sync["pulled"]?.integerValue == 10 && sync["pushed"]?.integerValue == 5)

        let peer = try laptop.peerStatus("server")
        #expect(peer["ok"]?.boolValue == true && peer["result"]?.stringValue == "ok")
        #expect(peer["standing"]?.stringValue == "in-step")
        #expect(peer["local_lacks"]?.integerValue == 0 && peer["peer_lacks"]?.integerValue == 0)
        #expect(peer["sent_events"]?.integerValue == sync["pushed"]?.integerValue)
        #expect(peer["received_events"]?.integerValue == sync["pulled"]?.integerValue)
        #expect(peer["sent_bytes"]?.integerValue == sync["bytes_sent"]?.integerValue)
        #expect(peer["received_bytes"]?.integerValue == sync["bytes_received"]?.integerValue)
        #expect(peer["local_digest"]?.stringValue == sync["digest"]?.stringValue)
        #expect(peer["server_digest"]?.stringValue == sync["digest"]?.stringValue)
        #expect(peer["local_knowledge"] == peer["server_knowledge"] && peer["local_knowledge"] == sync["knowledge"])
        #expect(try peer["server_origin"]?.stringValue == server.replica().identity().origin.hex)
        #expect(peer["url"]?.stringValue == server.url)
        let finished = try #require(peer["finished_at"]?.stringValue)
        // Fixed-width ISO 8601 times compare as text.
        #expect(ISODate.format(before) <= finished && finished <= ISODate.format(Replica.systemClock()))
        #expect(peer["contact_at"]?.stringValue == finished)

        let line = try laptop.peerStatusLine("server")
        #expect(line.contains("  ok  ") && line.contains("sent 5 events") && line.contains("received 10 "), "\(line)")
        #expect(line.contains("in step (0/0"), "\(line)")
    }

    @Test func aContactThatEndedWithTheServerHoldingMoreCountsWhatThisReplicaLacked() throws {
        let server = try SyncNode("server")
        let laptop = try SyncNode("laptop", serve: false)
        let phone = try SyncNode("phone", serve: false)
        try laptop.importGenerated(0..<30)
        try phone.importGenerated(100..<103)
        // The laptop's push is held half sent while the phone pushes to the server; then the
        // laptop's push goes through, and its answer shows the server holding the phone's events.
        let proxy = try DroppingProxy(target: server.server?.port ?? 0)
        proxy.hold(afterUpstreamBytes: 4_000)
        let url = "http://127.0.0.1:\(proxy.port)"
        let process = try laptop.startSync(with: server, url: url, batchSize: 1_000)
        #expect(proxy.waitForHold(timeout: 120), "the sync ended before the proxy held its push")
        try phone.syncOK(with: server)
        proxy.release()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)

        let peer = try laptop.peerStatus(url)
        #expect(peer["ok"]?.boolValue == true)
        #expect(peer["sent_events"]?.integerValue == 30 && peer["received_events"]?.integerValue == 0)
        #expect(peer["standing"]?.stringValue == "pending")
        #expect(peer["local_lacks"]?.integerValue == 3 && peer["peer_lacks"]?.integerValue == 0)
        #expect(peer["local_digest"]?.stringValue != peer["server_digest"]?.stringValue)
        let line = try laptop.peerStatusLine(url)
        #expect(line.contains("pending: this replica lacked 3, \(url) lacked 0"), "\(line)")

        // Synced again, both sides hold the same: nothing pending.
        try laptop.cli.ok(["sync", url, "--token-file", server.tokenFile])
        let again = try laptop.peerStatus(url)
        #expect(again["standing"]?.stringValue == "in-step" && again["local_lacks"]?.integerValue == 0)
        #expect(again["received_events"]?.integerValue == 3)
    }

    @Test func aFailedSyncShowsItsFailureWithTheCountsOfItsContactOrElseOfTheLastOne() throws {
        let server = try SyncNode("server")
        let laptop = try SyncNode("laptop", serve: false)
        try server.importGenerated(0..<4)
        try laptop.importGenerated(10..<16)
        // A read token: the pull goes through, the push is refused (403).
        let reader = try server.cli.ok(["token", "create", "reader", "--scope", "read"]).stdout
        let readerFile = try laptop.cli.directory.write("reader.token", reader)
        let failed = try laptop.cli.run(["sync", server.url, "--token-file", readerFile])
        #expect(failed.status == 1)

        let peer = try laptop.peerStatus(server.url)
        #expect(peer["ok"]?.boolValue == false)
        #expect(peer["result"]?.stringValue?.hasPrefix("failed: ") == true)
        #expect(peer["received_events"]?.integerValue == 4 && peer["sent_events"]?.integerValue == 0)
        #expect(peer["standing"]?.stringValue == "pending")
        #expect(peer["local_lacks"]?.integerValue == 0 && peer["peer_lacks"]?.integerValue == 6)
        let finished = try #require(peer["finished_at"]?.stringValue)
        #expect(peer["contact_at"]?.stringValue == finished)
        let line = try laptop.peerStatusLine(server.url)
        #expect(line.contains("FAILED") && line.contains("lacked 0, \(server.url) lacked 6"), "\(line)")

        // A sync the server refuses before saying anything of what it holds (an unknown token):
        // its failure is shown, with the counts of the last contact and their time.
        let strangerFile = try laptop.cli.directory.write("stranger.token", "not-a-token\n")
        #expect(try laptop.cli.run(["sync", server.url, "--token-file", strangerFile]).status == 1)
        let refused = try laptop.peerStatus(server.url)
        #expect(refused["ok"]?.boolValue == false)
        #expect(refused["result"]?.stringValue?.contains("the token is unknown or revoked") == true, "\(refused)")
        #expect(refused["local_lacks"]?.integerValue == 0 && refused["peer_lacks"]?.integerValue == 6)
        #expect(refused["contact_at"]?.stringValue == finished)
        #expect(refused["finished_at"]?.stringValue != nil)
        #expect(try laptop.peerStatusLine(server.url).contains(" as of "))
    }

    @Test func theSameEventsWithDifferentDigestsAreReportedAsAForkOrABugNotAsInStep() throws {
        let server = try SyncNode("server")
        let laptop = try SyncNode("laptop", serve: false)
        try server.importGenerated(0..<3)
        try laptop.syncOK(with: server)
        #expect(try laptop.peerStatus(server.url)["standing"]?.stringValue == "in-step")
        // As a server whose tables project its events wrongly would have answered.
        let database = try DatabaseQueue(path: laptop.cli.database)
        try database.write { db in
            try db.execute(
                sql: "UPDATE peer_sync SET server_digest = ?", arguments: [String(repeating: "0", count: 64)])
        }
        try database.close()
        let peer = try laptop.peerStatus(server.url)
        #expect(peer["standing"]?.stringValue == "digests-differ")
        #expect(peer["local_lacks"]?.integerValue == 0 && peer["peer_lacks"]?.integerValue == 0)
        let status = try laptop.cli.ok(["status"]).stdout
        #expect(status.contains("DIGESTS DIFFER") && !status.contains("in step"), "\(status)")
        #expect(status.contains("warning:   \(server.url) and this replica held the same events"), "\(status)")
    }

    @Test func aNamedPeerNeverSyncedWithIsListedAsSuch() throws {
        let laptop = try SyncNode("laptop", serve: false)
        try laptop.cli.ok(["peer", "add", "hub", "http://127.0.0.1:9", "--token-file", laptop.tokenFile])
        let peer = try laptop.peerStatus("hub")
        #expect(peer["standing"]?.stringValue == "unknown" && peer["finished_at"] == .null)
        #expect(try laptop.peerStatusLine("hub").contains("never synced"))
    }
}
