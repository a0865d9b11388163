import ArchiveModel
import Foundation
import Replica
import TestSupport
import Testing

/// `sync --dry-run` through the real executable and a real server: it says what a sync would
/// pull and push, writes nothing on either side, and is refused where a sync is.
struct DryRunTests {
    /// What a dry run must leave unchanged on a replica: digest, events, knowledge, the record of
    /// syncs and the peers with their pins.
    static func snapshot(_ node: SyncNode) throws -> String {
        let replica = try node.replica()
        let status = try replica.status()
        return "\(status.digest.hex) \(status.events) \(status.knowledge) \(try replica.syncRecords()) "
            + "\(try replica.peers())"
    }

    @Test func aDryRunSaysWhatASyncWouldPullAndPushThenTheSyncDoesExactlyThat() throws {
        let server = try SyncNode("server")
        let laptop = try SyncNode("laptop", serve: false)
        try server.importGenerated(0..<60)
        // 20 of them edited: a pull in pages of 10 would carry these edits as deltas against
        // creates of earlier pages, which a dry run does not apply; it asks for whole values.
        try server.cli.ok([
            "generate", server.cli.directory.file("articles"), "--count", "20", "--seed", "31", "--revision", "1",
        ])
        let updated = try server.cli.ok(["import", server.cli.directory.file("articles"), "--json"]).json()
        #expect(updated["updated"]?.integerValue == 20)
        try laptop.importGenerated(60..<65, seed: 32)
        try laptop.cli.ok(["peer", "add", "server", server.url, "--token-file", server.tokenFile])
        let (laptopBefore, serverBefore) = (try Self.snapshot(laptop), try Self.snapshot(server))
        let serverOrigin = try server.replica().identity().origin
        let laptopOrigin = try laptop.replica().identity().origin

        let dry = try laptop.cli.ok(["sync", "server", "--dry-run", "--json", "--batch-size", "10"]).json()
        #expect(dry["dry_run"]?.boolValue == true && dry["would_pin"]?.boolValue == true)
        #expect(dry["server_origin"]?.stringValue == serverOrigin.hex)
        let pull = try #require(dry["pull"])
        #expect(pull["events"]?.integerValue == 80)
        let pullOrigins = try #require(pull["origins"]?.arrayValue)
        #expect(pullOrigins.count == 1 && pullOrigins.first?["origin"]?.stringValue == serverOrigin.hex)
        #expect(pullOrigins.first?["name"]?.stringValue == "server")
        #expect(pullOrigins.first?["fingerprint"]?.stringValue == Fingerprint.of(serverOrigin))
        #expect(pullOrigins.first?["events"]?.integerValue == 80)
        let pulledArticles = try #require(pull["articles"]?.arrayValue)
        let edited = pulledArticles.filter { $0["events"]?.integerValue == 2 }
        #expect(edited.count == 20)
        #expect(edited.allSatisfy { $0["kinds"] == .array([.string("create"), .string("update")]) })
        let serverTitles = Set(try server.replica().list().map(\.title))
        #expect(pulledArticles.count == 60)
        #expect(Set(pulledArticles.compactMap { $0["title"]?.stringValue }) == serverTitles)
        let push = try #require(dry["push"])
        #expect(push["events"]?.integerValue == 5)
        let pushOrigins = try #require(push["origins"]?.arrayValue)
        #expect(pushOrigins.count == 1 && pushOrigins.first?["origin"]?.stringValue == laptopOrigin.hex)
        #expect(pushOrigins.first?["this_replica"]?.boolValue == true)
        let laptopTitles = Set(try laptop.replica().list().map(\.title))
        #expect(Set(push["articles"]?.arrayValue?.compactMap { $0["title"]?.stringValue } ?? []) == laptopTitles)

        // Text: counts per origin, one line per article up to 50, then how many more.
        let text = try laptop.cli.ok(["sync", "server", "--dry-run"]).stdout
        #expect(text.contains("Would pull 80 events of 60 articles:"), "\(text)")
        #expect(text.contains("server [\(Fingerprint.of(serverOrigin))]  80 events"), "\(text)")
        #expect(text.contains("and 10 more articles"), "\(text)")
        #expect(text.contains("Would push 5 events of 5 articles:"), "\(text)")
        #expect(text.contains("laptop [\(Fingerprint.of(laptopOrigin))] (this replica)  5 events"), "\(text)")
        #expect(text.contains("A sync would pin peer server"), "\(text)")
        // Titles are cut to 70 characters on a line.
        #expect(laptopTitles.allSatisfy { text.contains(String($0.prefix(40))) }, "\(text)")

        // Nothing written: not here (no event, no sync record, no pin), not there.
        #expect(try Self.snapshot(laptop) == laptopBefore)
        #expect(try Self.snapshot(server) == serverBefore)
        #expect(try laptop.cli.ok(["status", "--json"]).json()["peers"]?.arrayValue?.first?["finished_at"] == .null)

        let sync = try laptop.cli.ok(["sync", "server", "--json", "--batch-size", "10"]).json()
        #expect(sync["pulled"]?.integerValue == pull["events"]?.integerValue)
        #expect(sync["pushed"]?.integerValue == push["events"]?.integerValue)
        let idle = try laptop.cli.ok(["sync", "server", "--dry-run", "--json"]).json()
        #expect(idle["pull"]?["events"]?.integerValue == 0 && idle["push"]?["events"]?.integerValue == 0)
        #expect(idle["would_pin"]?.boolValue == false)
        #expect(try laptop.cli.ok(["sync", "server", "--dry-run"]).stdout.contains("Would pull nothing."))
    }

    @Test func aDryRunIsRefusedLikeASyncByAPinnedPeerThatChanged() throws {
        let hub = try SyncNode("hub")
        let laptop = try SyncNode("laptop", serve: false)
        try hub.importGenerated(0..<3)
        try laptop.cli.ok(["peer", "add", "hub", hub.url, "--token-file", hub.tokenFile])
        try laptop.cli.ok(["sync", "hub"])
        let hubOrigin = try hub.replica().identity().origin
        try laptop.cli.ok(["peer", "trust", "hub", OriginID.random().hex])
        try laptop.importGenerated(10..<12)
        let (laptopBefore, hubBefore) = (try Self.snapshot(laptop), try Self.snapshot(hub))
        let refused = try laptop.cli.run(["sync", "hub", "--dry-run"])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("peer trust hub \(hubOrigin.hex)"), "\(refused.stderr)")
        #expect(try Self.snapshot(laptop) == laptopBefore)
        #expect(try Self.snapshot(hub) == hubBefore)
    }

    @Test func aDryRunIsRefusedLikeASyncByAServerThatCannotProveWhoItIs() throws {
        let hub = try SyncNode("hub", serve: false)
        try hub.importGenerated(0..<3)
        // The file and its key copied elsewhere and served from there: the copy signs nothing.
        let copy = try CLI("hub-copy-dry")
        for suffix in ["", ".key"] {
            try FileManager.default.copyItem(atPath: hub.cli.database + suffix, toPath: copy.database + suffix)
        }
        let server = try ServerProcess(database: copy.database, directory: copy.directory)
        defer { server.stop() }
        let laptop = try SyncNode("laptop", serve: false)
        let before = try Self.snapshot(laptop)
        for arguments in [["--dry-run"], []] {
            let refused = try laptop.cli.run(["sync", server.url, "--token-file", hub.tokenFile] + arguments)
            #expect(refused.status == 1)
            #expect(refused.stderr.contains("did not prove that it holds the key"), "\(refused.stderr)")
            #expect(try laptop.journal().isEmpty)
            if arguments == ["--dry-run"] { #expect(try Self.snapshot(laptop) == before) }
        }
    }

    @Test func theHelpOfSyncShowsTheDryRunAndTheStatusPerPeer() throws {
        let cli = try CLI("sync-help")
        let help = try cli.ok(["sync", "--help"]).stdout
        #expect(help.contains("archive-sync sync server --dry-run"))
        #expect(help.contains("--dry-run") && help.contains("  archive-sync status"))
        #expect(help.contains("lacked"))
    }
}
