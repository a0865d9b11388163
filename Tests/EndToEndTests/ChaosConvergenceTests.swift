import ArchiveModel
import ArticleGenerator
import Foundation
import Replica
import TestSupport
import Testing

/// Convergence under chaos: 3 to 5 replicas, each served by its own `archive-sync serve`, write
/// random edits offline and sync between random pairs with the real client; some syncs go
/// through a proxy that drops the connection mid-transfer, some clients are killed while a request is half sent,
/// some syncs are repeated. After a full round of syncs every replica holds the same journal,
/// the same knowledge vector and byte-identical digests, and passes `verify`.
struct ChaosConvergenceTests {
    static let seeds: [UInt64] = [101, 202, 303, 404, 505, 606]

    @Test(arguments: seeds)
    func replicasConvergeWhateverHappensToTheirSyncs(seed: UInt64) throws {
        var random = SplitMix64(seed: seed)
        let count = 3 + Int(seed % 3)
        let nodes = try (0..<count).map { try SyncNode("chaos\(seed)-\($0)") }
        let proxies = try nodes.map { try DroppingProxy(target: $0.server?.port ?? 0) }
        let replicas = try nodes.map { try $0.replica() }
        let editor = RandomEditor()
        var cuts = 0
        var kills = 0
        var syncs = 0
        // Overlapping archives captured offline: the same articles created on several replicas.
        let generator = ArticleGenerator(seed: seed)
        for (index, node) in nodes.enumerated() {
            for article in (index * 10)..<(index * 10 + 40) {
                let (path, file) = generator.article(article)
                try node.cli.directory.write("archive/\(path)", file.render())
            }
            _ = try replicas[index].importFiles([node.cli.directory.file("archive")])
        }

        for _ in 0..<40 {
            let roll = random.next() % 100
            let a = Int(random.next() % UInt64(count))
            var b = Int(random.next() % UInt64(count - 1))
            if b >= a { b += 1 }
            switch roll {
            case 0..<45:
                for _ in 0...(random.next() % 4) { try editor.act(on: replicas[a], random: &random) }
            case 45..<75:
                let result = try nodes[a].sync(with: nodes[b], url: "http://127.0.0.1:\(proxies[b].port)")
                #expect(result.status == 0, "seed \(seed): \(nodes[a].name) → \(nodes[b].name): \(result.stderr)")
                syncs += 1
            case 75..<88:
                // The connection drops somewhere in the transfer; the sync may recover or fail.
                proxies[b].cut(after: Int(random.next() % 40_000) + 200)
                _ = try nodes[a].sync(with: nodes[b], url: "http://127.0.0.1:\(proxies[b].port)")
                proxies[b].cut(after: nil)
                cuts += 1
            default:
                // The client is killed mid-transfer: the proxy holds a request half sent at a seeded
                // byte count, and the client is killed while it waits for the answer. A sync that
                // sends fewer bytes ends first, and its end withdraws the hold.
                let proxy = proxies[b]
                proxy.hold(afterUpstreamBytes: Int(random.next() % 40_000) + 200)
                let process = try nodes[a].startSync(
                    with: nodes[b], url: "http://127.0.0.1:\(proxy.port)", batchSize: 3, onExit: { proxy.release() })
                if proxy.waitForHold(timeout: 120) {
                    kill(process.processIdentifier, SIGKILL)
                    kills += 1
                }
                process.waitUntilExit()
                proxy.release()
            }
        }

        // A full round: everyone to the first replica, then everyone from it.
        for round in 0..<2 {
            for index in 1..<count {
                let result = try nodes[index].sync(with: nodes[0])
                #expect(result.status == 0, "seed \(seed) round \(round): \(nodes[index].name): \(result.stderr)")
            }
        }
        let journal = try nodes[0].journal()
        let knowledge = try replicas[0].knowledge()
        let digest = try replicas[0].digest()
        #expect(journal.count > 100, "seed \(seed): the history is too small to say anything")
        for (index, replica) in replicas.enumerated() {
            #expect(try nodes[index].journal() == journal, "seed \(seed): replica \(index) holds another journal")
            #expect(try replica.knowledge() == knowledge, "seed \(seed): replica \(index) knows something else")
            #expect(try replica.digest() == digest, "seed \(seed): replica \(index) has another digest")
            let report = try replica.verify()
            #expect(report.ok, "seed \(seed): replica \(index) fails verify: \(report.checks.filter { !$0.ok })")
        }
        print(
            "chaos seed \(seed): \(count) replicas, \(journal.count) events, \(syncs) syncs, \(cuts) cut, \(kills) killed"
        )
    }
}
