import ArchiveModel
import ArticleGenerator
import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `archive-sync watch` as a person runs it: a real process on a laptop folder, a real
/// `archive-sync serve` hub, files written into the folder and edits made on the hub.
@Suite(.serialized)
struct WatchTests {
    /// A laptop replica with the hub added as a peer, its archive folder, and a watch on both.
    struct Laptop {
        let cli: CLI
        let folder: String

        init(_ name: String, hub: SyncNode) throws {
            cli = try CLI(name)
            try cli.ok(["init", "--name", name])
            try cli.ok(["peer", "add", "hub", hub.url, "--token-file", hub.tokenFile])
            folder = cli.directory.file("articles")
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        }

        func watch(_ extra: [String] = []) throws -> LongRunningProcess {
            let watch = try LongRunningProcess(
                ["watch", "--db", cli.database, "--folder", folder, "--wait", "5", "--max-backoff", "4"] + extra)
            // It says it watches once its folder watches are in place.
            #expect(watch.waitForLine(onStderr: true, timeout: 30) { $0.hasPrefix("Watching") } != nil)
            return watch
        }

        /// Writes an article file the way a capture pipeline does: written whole, then renamed in.
        func write(_ index: Int, seed: UInt64 = 7) throws -> (path: String, file: ArticleFile) {
            let article = ArticleGenerator(seed: seed).article(index)
            let target = folder + "/" + article.path
            try FileManager.default.createDirectory(
                atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            let temporary = folder + "/.incoming-\(index)"
            try Data(article.file.render()).write(to: URL(fileURLWithPath: temporary))
            try FileManager.default.moveItem(atPath: temporary, toPath: target)
            return article
        }
    }

    static func digest(_ cli: CLI) throws -> String? {
        try cli.ok(["status", "--json"]).json()["digest"]?.stringValue
    }

    @Test func aFileWrittenOnTheLaptopReachesTheHubAndAnEditOnTheHubReachesTheFolder() throws {
        let hub = try SyncNode("watch-hub")
        let laptop = try Laptop("watch-laptop", hub: hub)
        let watch = try laptop.watch()
        defer { watch.terminate() }

        let written = try laptop.write(1)
        let id = written.file.articleID.hex
        #expect(
            watch.waitForLine { $0.hasPrefix("imported new article ") && $0.contains(written.path) } != nil,
            "\(watch.errors)")
        #expect(watch.waitForLine { $0 == "pushed 1 event to hub" } != nil, "\(watch.errors)")
        let onHub = try hub.cli.ok(["show", String(id.prefix(12)), "--json"]).json()
        #expect(onHub["title"]?.stringValue == written.file.title)

        // An edit on the hub (a command run on its file while it serves) reaches the folder.
        let after = watch.output.count
        try hub.cli.ok(["edit", String(id.prefix(12)), "--title", "Corrected on the hub"])
        #expect(watch.waitForLine(after: after) { $0 == "pulled 1 event from hub" } != nil, "\(watch.errors)")
        #expect(watch.waitForLine(after: after) { $0.hasPrefix("wrote ") && $0.contains(written.path) } != nil)
        let text = try String(contentsOfFile: laptop.folder + "/" + written.path, encoding: .utf8)
        #expect(text.contains("Corrected on the hub"))
        // Writing the file back did not make a new event: a file written after it is imported
        // after anything the written file could have caused, and nothing was.
        let marker = try laptop.write(3)
        #expect(
            watch.waitForLine(after: after) { $0.contains("imported new article") && $0.contains(marker.path) } != nil)
        #expect(!watch.output.contains { $0.hasPrefix("imported updated") || $0.hasPrefix("imported moved") })
        #expect(watch.waitForLine(after: after) { $0 == "pushed 1 event to hub" } != nil)
        #expect(try Self.digest(laptop.cli) == Self.digest(hub.cli))
        // `status` tells the truth about the watched peer: its last round (the marker's push) ended in step.
        let peers = try laptop.cli.ok(["status", "--json"]).json()["peers"]?.arrayValue ?? []
        let hubLine = try #require(peers.first { $0["peer"]?.stringValue == "hub" })
        #expect(hubLine["standing"]?.stringValue == "in-step", "\(hubLine)")
        #expect(hubLine["local_lacks"]?.integerValue == 0 && hubLine["peer_lacks"]?.integerValue == 0)
        #expect(hubLine["sent_events"]?.integerValue == 1 && hubLine["received_events"]?.integerValue == 0)

        #expect(watch.terminate() == 0)
        #expect(watch.errors.last == "Stopped.")
    }

    @Test func aFileStillBeingWrittenIsImportedOnlyOnceItsWriterClosesIt() throws {
        let hub = try SyncNode("watch-slow-hub")
        let laptop = try Laptop("watch-slow", hub: hub)
        let watch = try laptop.watch(["--no-peers"])
        defer { watch.terminate() }
        let article = ArticleGenerator(seed: 9).article(0)
        let bytes = article.file.render()
        // Created and written through one open descriptor, as a capture pipeline writes a file.
        // (A writer that creates a file, closes it and opens it again to write may race the
        // import in between: the half file is then refused, and imported whole at its close.)
        let descriptor = open(laptop.folder + "/slow.md", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        #expect(descriptor >= 0)
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        // Half the file, flushed, and the writer still has it open.
        try handle.write(contentsOf: bytes[0..<(bytes.count / 2)])
        try handle.synchronize()
        // A second file written whole meanwhile is imported: the watch is awake, and the half file is not taken.
        let other = try laptop.write(2, seed: 9)
        #expect(watch.waitForLine { $0.contains(other.path) } != nil)
        #expect(!watch.output.contains { $0.contains("slow.md") })
        #expect(!watch.errors.contains { $0.contains("slow.md") })
        try handle.write(contentsOf: bytes[(bytes.count / 2)...])
        try handle.close()
        #expect(watch.waitForLine { $0.hasPrefix("imported new article") && $0.contains("slow.md") } != nil)
        let shown = try laptop.cli.ok(["show", String(article.file.articleID.hex.prefix(12)), "--raw"]).stdout
        #expect(Array(shown.utf8) == bytes)
        #expect(watch.terminate() == 0)
    }

    @Test func whileTheHubIsDownTheLaptopBacksOffAndBothCatchUpWithNothingLostOnceItIsBack() throws {
        let hub = try SyncNode("watch-down-hub")
        let laptop = try Laptop("watch-down", hub: hub)
        let watch = try laptop.watch()
        defer { watch.terminate() }
        let first = try laptop.write(1)
        #expect(watch.waitForLine { $0 == "pushed 1 event to hub" } != nil, "\(watch.errors)")
        let port = hub.server?.port ?? 0

        // The hub goes down; something on its port accepts connections and drops them.
        hub.stop()
        let counter = try ConnectionCounter(port: port)
        let second = try laptop.write(2)
        #expect(watch.waitForLine { $0.contains("imported new article") && $0.contains(second.path) } != nil)
        #expect(
            watch.waitForLine(onStderr: true, timeout: 30) { $0.hasPrefix("hub does not answer") } != nil,
            "\(watch.errors)")
        // Four tries take at least 1 + 2 + 4 s (each within ±20%): no tight loop.
        let tries = counter.waitFor(4, timeout: 60)
        #expect(tries.count >= 4)
        if let firstTry = tries.first, tries.count >= 4 {
            #expect(tries[3].timeIntervalSince(firstTry) >= (1 + 2 + 4) * 0.8 - 0.5)
        }
        // It said so once, not at every try.
        #expect(watch.errors.filter { $0.hasPrefix("hub does not answer") }.count == 1)
        // Meanwhile the hub's file is edited by hand.
        try hub.cli.ok(["edit", String(first.file.articleID.hex.prefix(12)), "--title", "Edited while down"])
        counter.stop()

        // Back on the same port: the laptop pushes what it imported and pulls the edit.
        let (errorsBefore, outputBefore) = (watch.errors.count, watch.output.count)
        try hub.start(port: port)
        #expect(
            watch.waitForLine(onStderr: true, after: errorsBefore, timeout: 30) { $0 == "hub answers again" } != nil,
            "\(watch.errors)")
        #expect(
            watch.waitForLine(after: outputBefore) { $0.hasPrefix("wrote ") && $0.contains(first.path) } != nil,
            "\(watch.output)")
        #expect(watch.waitForLine(after: outputBefore) { $0 == "pushed 1 event to hub" } != nil, "\(watch.output)")
        let text = try String(contentsOfFile: laptop.folder + "/" + first.path, encoding: .utf8)
        #expect(text.contains("Edited while down"))
        let listed = try hub.cli.ok(["list", "--json"]).jsonLines().compactMap { $0["id"]?.stringValue }
        #expect(listed.contains(second.file.articleID.hex))
        #expect(try Self.digest(laptop.cli) == Self.digest(hub.cli))
        #expect(watch.terminate() == 0)
    }
}
