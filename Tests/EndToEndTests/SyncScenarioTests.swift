import ArchiveModel
import ArticleGenerator
import Foundation
import Replica
import TestSupport
import Testing

/// Real replicas syncing through real `archive-sync serve` processes with the real client.
struct SyncScenarioTests {
    /// Writes generated articles `range` into the node's folder and imports them.
    func importGenerated(_ node: SyncNode, _ range: Range<Int>, seed: UInt64 = 21) throws {
        try node.cli.ok([
            "generate", node.cli.directory.file("articles"), "--count", String(range.count), "--from",
            String(range.lowerBound), "--seed", String(seed),
        ])
        try node.cli.ok(["import", node.cli.directory.file("articles")])
    }

    func id(_ index: Int, seed: UInt64 = 21) -> String {
        ArticleGenerator(seed: seed).article(index).file.articleID.hex
    }

    @Test func concurrentEditsMergeByFieldConflictOnTheSameFieldAndResolveEverywhere() throws {
        let server = try SyncNode("server")
        let laptop = try SyncNode("laptop", serve: false)
        try importGenerated(server, 0..<30)
        try importGenerated(laptop, 20..<50)  // 20..<30 captured on both, offline
        try laptop.syncOK(with: server)
        let (a, b, c, d) = (id(21), id(22), id(23), id(24))
        // Different fields of one article.
        try laptop.cli.ok(["edit", a, "--title", "Laptop title for A"])
        try server.cli.ok(["note", a, "server note on A"])
        // The same field of one article.
        try laptop.cli.ok(["edit", b, "--title", "Laptop title for B"])
        try server.cli.ok(["edit", b, "--title", "Server title for B"])
        // An edit concurrent with a delete.
        try laptop.cli.ok(["delete", c])
        try server.cli.ok(["note", c, "still relevant"])
        // A tag removed on one side while the other adds it.
        try server.cli.ok(["tag", d, "--add", "korea"])
        try laptop.syncOK(with: server)
        try server.cli.ok(["tag", d, "--remove", "korea"])
        try laptop.cli.ok(["tag", d, "--add", "korea", "--add", "asia"])

        try laptop.syncOK(with: server)
        for node in [laptop, server] {
            let replica = try node.replica()
            let stateA = try replica.article(ArticleID(hex: a)!).state
            #expect(stateA.text(.title) == "Laptop title for A" && stateA.text(.note) == "server note on A")
            #expect(stateA.conflictedFields.isEmpty)
            let stateB = try replica.article(ArticleID(hex: b)!).state
            #expect(stateB.conflictedFields == [.title])
            let stateC = try replica.article(ArticleID(hex: c)!).state
            #expect(!stateC.isDeleted && stateC.text(.note) == "still relevant")
            let stateD = try replica.article(ArticleID(hex: d)!).state
            #expect(stateD.tags.map(\.text) == ["asia", "korea"])
        }
        // The conflict keeps both values; the one shown is the later write by (hlc, origin).
        let conflict = try #require(try laptop.replica().conflicts(of: ArticleID(hex: b)).first)
        #expect(Set(conflict.heads.compactMap(\.value.text)) == ["Laptop title for B", "Server title for B"])
        let winner = try #require(
            conflict.heads.max { ($0.head.hlc, $0.head.dot.origin) < ($1.head.hlc, $1.head.dot.origin) })
        #expect(winner.shown)
        #expect(try laptop.replica().digest() == server.replica().digest())

        // Resolving on the laptop ends the conflict on the server after the next sync.
        let serverHead = try #require(conflict.heads.first { $0.value == .text("Server title for B") })
        try laptop.cli.ok([
            "resolve", b, "title", "--take", "\(serverHead.head.dot.origin.short):\(serverHead.head.dot.seq)",
        ])
        try laptop.syncOK(with: server)
        #expect(try server.replica().conflicts(of: ArticleID(hex: b)).isEmpty)
        #expect(try server.replica().article(ArticleID(hex: b)!).state.text(.title) == "Server title for B")
        #expect(try laptop.replica().digest() == server.replica().digest())
        for node in [laptop, server] { #expect(try node.replica().verify().ok) }
    }

    @Test func eventsAndReplicaNamesTravelThroughTheMesh() throws {
        let server = try SyncNode("hub")
        let first = try SyncNode("first-laptop", serve: false)
        let second = try SyncNode("second-laptop", serve: false)
        try importGenerated(first, 0..<5)
        try first.cli.ok(["edit", id(2), "--title", "Edited on the first laptop"])
        try first.syncOK(with: server)
        try second.syncOK(with: server)
        let history = try second.cli.ok(["history", id(2)]).stdout
        #expect(history.contains("first-laptop"))
        #expect(history.contains("Edited on the first laptop"))
        try second.cli.ok(["note", id(2), "seen on the second laptop"])
        try second.syncOK(with: server)
        try first.syncOK(with: server)
        #expect(try first.cli.ok(["history", id(2)]).stdout.contains("second-laptop"))
        #expect(try first.journal() == second.journal())
        #expect(try first.replica().digest() == second.replica().digest())
        let status = try first.cli.ok(["status"]).stdout
        #expect(status.contains("second-laptop") && status.contains(server.url))
    }

    @Test func aDroppedConnectionIsRetriedAndAKilledClientResumesWhereItStopped() throws {
        let server = try SyncNode("server")
        let laptop = try SyncNode("laptop", serve: false)
        try importGenerated(laptop, 0..<200)
        // The connection drops mid-transfer once: the client (libcurl or the session) tries again and completes.
        let proxy = try DroppingProxy(target: server.server?.port ?? 0)
        proxy.cut(after: 30_000)
        let dropped = try laptop.cli.ok([
            "sync", "http://127.0.0.1:\(proxy.port)", "--token-file", server.tokenFile, "--batch-size", "40", "--json",
        ]).json()
        #expect(proxy.cutConnections == 1)
        #expect(dropped["pushed"]?.integerValue == 200)
        #expect(try laptop.journal() == server.journal())
        // The same on the way back: a second laptop's pull is cut inside a page.
        let other = try SyncNode("other", serve: false)
        proxy.cut(after: 60_000)
        let pulled = try other.cli.ok([
            "sync", "http://127.0.0.1:\(proxy.port)", "--token-file", server.tokenFile, "--json",
        ]).json()
        #expect(proxy.cutConnections == 2)
        #expect(pulled["pulled"]?.integerValue == 200)
        #expect(try other.journal() == server.journal())

        // A client killed mid-sync: the next run sends only what is still missing. The proxy holds
        // a push request half sent, about halfway through the push (the first push of 200 events
        // measured the bytes), so the client is provably mid-transfer when it is killed.
        try importGenerated(laptop, 200..<400)
        let pushBytes = Int(dropped["bytes_sent"]?.integerValue ?? 0)
        #expect(pushBytes > 10_000, "the first push did not report its bytes")
        proxy.hold(afterUpstreamBytes: pushBytes / 2)
        let process = try laptop.startSync(with: server, url: "http://127.0.0.1:\(proxy.port)", batchSize: 5)
        let heldMidPush = proxy.waitForHold(timeout: 120)
        #expect(heldMidPush, "the sync ended before the proxy held a request")
        #expect(process.isRunning, "the sync finished before it could be killed")
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        proxy.release()
        #expect(process.terminationReason == .uncaughtSignal)
        let serverReplica = try server.replica()
        let held = try serverReplica.knowledge().total
        #expect(held > 200 && held < 400)
        let resumed = try laptop.cli.ok(["sync", server.url, "--token-file", server.tokenFile, "--json"]).json()
        #expect(resumed["pushed"]?.integerValue == Int64(400 - held))
        #expect(try laptop.journal() == server.journal())
        #expect(try laptop.replica().verify().ok)

        // With nothing to send, a sync is a few small requests.
        let idle = try laptop.cli.ok(["sync", server.url, "--token-file", server.tokenFile, "--json"]).json()
        #expect(idle["pushed"]?.integerValue == 0 && idle["pulled"]?.integerValue == 0)
        #expect((idle["bytes_sent"]?.integerValue ?? .max) < 4_000)
        let status = try laptop.cli.ok(["status", "--json"]).json()
        #expect(status["peers"]?.arrayValue?.first?["result"]?.stringValue == "ok")
    }
}

extension SyncScenarioTests {
    @Test func editedBodiesTravelAsDeltasBothWays() throws {
        let server = try SyncNode("server")
        let writer = try SyncNode("writer", serve: false)
        let reader = try SyncNode("reader", serve: false)
        try importGenerated(writer, 0..<30)
        try writer.syncOK(with: server)
        try reader.syncOK(with: server)
        // Revision 1 of 20 articles: a sentence added to each body (and some titles changed).
        try writer.cli.ok([
            "generate", writer.cli.directory.file("articles"), "--count", "20", "--seed", "21", "--revision", "1",
        ])
        let imported = try writer.cli.ok(["import", writer.cli.directory.file("articles"), "--json"]).json()
        #expect(imported["updated"]?.integerValue == 20)
        let pushed = try writer.cli.ok(["sync", server.url, "--token-file", server.tokenFile, "--json"]).json()
        #expect(pushed["pushed"]?.integerValue == 20)
        // Whole bodies would be about 50 kB compressed; deltas, signatures (about 70 bytes an event
        // compressed) and the requests' overhead stay far below.
        #expect((pushed["bytes_sent"]?.integerValue ?? .max) < 16_000, "the 20 edits were not sent as deltas")
        let pulled = try reader.cli.ok(["sync", server.url, "--token-file", server.tokenFile, "--json"]).json()
        #expect(pulled["pulled"]?.integerValue == 20)
        #expect((pulled["bytes_received"]?.integerValue ?? .max) < 16_000, "the 20 edits were not pulled as deltas")
        #expect(try reader.journal() == writer.journal())
        #expect(try reader.replica().digest() == writer.replica().digest())
        #expect(try reader.replica().verify().ok)
    }
}
