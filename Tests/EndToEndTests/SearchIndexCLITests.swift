import ArchiveModel
import ArticleGenerator
import Foundation
import Replica
import TestSupport
import Testing

/// The search index follows the journal through real processes: a pull indexes what it brought
/// before the sync ends, a server indexes what is pushed to it on a thread of its own, and
/// `search` orders newest first or by relevance.
struct SearchIndexCLITests {
    /// A capture with `body`, captured at `capturedAt` (ms), on `node`; returns its id.
    @discardableResult
    func capture(_ node: SyncNode, _ n: Int, title: String, body: String, capturedAt: Int64) throws -> String {
        try node.cli.ok([
            "capture", "--url", "https://news.example.org/s/\(n).html", "--title", title, "--body", body,
            "--captured-at", String(capturedAt), "--json",
        ]).json()["id"]?.stringValue ?? ""
    }

    func pending(_ node: SyncNode) throws -> Int64? {
        try node.cli.ok(["status", "--json"]).json()["search_pending"]?.integerValue
    }

    @Test func aPullIndexesWhatItBroughtAndAServerIndexesWhatIsPushedToIt() throws {
        let hub = try SyncNode("hub")
        let laptop = try SyncNode("laptop", serve: false)
        for n in 0..<12 {
            try capture(
                hub, n, title: "hub \(n)", body: "<p>朝鲜 report \(n)</p>", capturedAt: 1_700_000_000_000 + Int64(n))
        }
        #expect(try pending(hub) == 0, "a replica's own writes are indexed as they commit")
        let pulled = try laptop.cli.ok(["sync", hub.url, "--token-file", hub.tokenFile, "--json", "--batch-size", "5"])
            .json()
        #expect(pulled["pulled"]?.integerValue == 12)
        #expect(pulled["search_indexed_after_sync"]?.integerValue != nil)
        #expect(try pending(laptop) == 0, "the sync ends with its captures indexed")
        let hits = try laptop.cli.ok(["search", "朝鲜", "--json", "--limit", "3"]).jsonLines()
        #expect(hits.map { $0["title"]?.stringValue ?? "" } == ["hub 11", "hub 10", "hub 9"], "newest first")
        let ranked = try laptop.cli.ok(["search", "朝鲜", "--relevance", "--json", "--limit", "50"]).jsonLines()
        #expect(ranked.count == 12)

        // Pushed the other way: the hub indexes behind the push; status says what waits, and
        // search catches up before it looks in any case.
        try capture(laptop, 100, title: "laptop news", body: "<p>台湾 election</p>", capturedAt: 1_800_000_000_000)
        try laptop.syncOK(with: hub)
        let found = try hub.cli.ok(["search", "台湾", "--json"]).jsonLines()
        #expect(found.map { $0["title"]?.stringValue ?? "" } == ["laptop news"])
        #expect(try pending(hub) == 0)
        let verify = try hub.cli.run(["verify"])
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
    }
}
