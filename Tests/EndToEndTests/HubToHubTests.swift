import ArchiveModel
import Foundation
import TestSupport
import Testing

/// Two hubs that keep themselves in step (`serve --upstream`), three laptops syncing with one or
/// the other, edits everywhere, and one hub restarted: every replica ends holding the same.
struct HubToHubTests {
    static func digest(_ cli: CLI) throws -> String {
        try cli.ok(["status", "--json"]).json()["digest"]?.stringValue ?? ""
    }

    /// Waits until `condition` holds, looking again every 200 ms, for at most `timeout` seconds.
    /// The hubs converge on their own (that is what is tested), so there is no event to wait on
    /// from outside but their state.
    static func eventually(timeout: TimeInterval = 60, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try condition() { return true }
            Thread.sleep(forTimeInterval: 0.2)
        }
        return try condition()
    }

    @Test func twoHubsAndThreeLaptopsConvergeWithEditsEverywhereAndOneHubRestarted() throws {
        let hubA = try SyncNode("hub-a")
        let hubB = try SyncNode("hub-b", serve: false)
        try hubB.cli.ok(["peer", "add", "hub-a", hubA.url, "--token-file", hubA.tokenFile])
        try hubB.start(arguments: ["--upstream", "hub-a"])
        let laptops = try (1...3).map { try SyncNode("laptop-\($0)", serve: false) }
        let homes = [hubA, hubA, hubB]
        for (index, laptop) in laptops.enumerated() {
            let folder = laptop.cli.directory.file("articles")
            try laptop.cli.ok(["generate", folder, "--count", "15", "--seed", String(40 + index)])
            try laptop.cli.ok(["import", folder])
        }
        for (laptop, home) in zip(laptops, homes) { try laptop.syncOK(with: home) }
        #expect(try Self.eventually { try Self.digest(hubA.cli) == Self.digest(hubB.cli) }, "\(hubB.server?.log ?? "")")
        #expect(try hubA.cli.ok(["list", "--json"]).jsonLines().count == 45)

        // Edits everywhere: each laptop edits an article another laptop made, and each hub's
        // file is edited by hand while it serves.
        for (index, laptop) in laptops.enumerated() { try laptop.syncOK(with: homes[index]) }
        let ids = try laptops[0].cli.ok(["list", "--json"]).jsonLines().compactMap { $0["id"]?.stringValue }
        #expect(ids.count == 45)
        for (index, laptop) in laptops.enumerated() {
            try laptop.cli.ok(["edit", String(ids[index * 7].prefix(12)), "--title", "Edited on laptop \(index + 1)"])
        }
        try hubA.cli.ok(["tag", String(ids[30].prefix(12)), "--add", "from-hub-a"])
        try hubB.cli.ok(["tag", String(ids[31].prefix(12)), "--add", "from-hub-b"])
        // The same article edited on two laptops at once, through different hubs: a conflict
        // both hubs and every laptop end up holding alike.
        try laptops[0].cli.ok(["edit", String(ids[40].prefix(12)), "--title", "One side"])
        try laptops[2].cli.ok(["edit", String(ids[40].prefix(12)), "--title", "Other side"])
        try laptops[0].syncOK(with: hubA)

        // Hub B restarts on its port; meanwhile laptop 2 syncs with hub A.
        let portB = try #require(hubB.server?.port)
        hubB.stop()
        try laptops[1].syncOK(with: hubA)
        try hubB.start(port: portB, arguments: ["--upstream", "hub-a"])
        try laptops[2].syncOK(with: hubB)
        #expect(try Self.eventually { try Self.digest(hubA.cli) == Self.digest(hubB.cli) }, "\(hubB.server?.log ?? "")")

        for (laptop, home) in zip(laptops, homes) { try laptop.syncOK(with: home) }
        let digests = try (laptops + [hubA, hubB]).map { try Self.digest($0.cli) }
        #expect(Set(digests).count == 1, "\(digests)")
        let journals = try (laptops + [hubA, hubB]).map { try $0.journal() }
        #expect(journals.allSatisfy { $0 == journals[0] })
        // The concurrent edit is the same conflict everywhere.
        let conflicts = try (laptops + [hubA, hubB]).map { try $0.cli.ok(["conflicts", "--json"]).stdout }
        #expect(conflicts[0].contains("One side") && conflicts[0].contains("Other side"), "\(conflicts[0])")
        #expect(Set(conflicts).count == 1)
        #expect(hubB.server?.log.contains("upstream hub-a") == true)
    }
}
