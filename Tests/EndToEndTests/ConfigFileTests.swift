import ArticleGenerator
import Foundation
import SyncClient
import TestSupport
import Testing

/// `serve --config` and `watch --config`: the file's settings taken, flags winning over them, and
/// a file that is not right refused with the file, section and key named, before anything starts.
struct ConfigFileTests {
    @Test func serveTakesItsReplicaAddressAndPortFromTheFileAndFlagsWin() throws {
        let cli = try CLI("config-serve")
        try cli.ok(["init", "--name", "from-config"])
        let config = try cli.directory.write(
            "serve.toml",
            """
            db = "\(cli.database)"

            [serve]
            bind = "127.0.0.1"
            port = 1            # overridden by --port below
            allow_anonymous = true
            log_format = "json"
            """)
        // No --db: the file names the replica; --port 0 wins over the file's port.
        let serve = try LongRunningProcess(
            ["serve", "--config", config, "--port", "0"], environment: ["ARCHIVE_SYNC_DB": ""])
        defer { serve.terminate() }
        let line = try #require(serve.waitForLine(timeout: 30) { $0.hasPrefix("Serving") }.map { serve.output[$0] })
        #expect(line.contains("\"from-config\""), "\(line) \(serve.errors)")
        #expect(line.contains("without authentication"))
        #expect(!line.contains(":1;"))
        let port = try #require(line.split(separator: ":").last?.prefix { $0.isNumber })
        // The file's log format: a JSON line per request.
        let health = try CurlTransport(baseURL: "http://127.0.0.1:\(port)", token: nil).send(
            HTTPRequest(method: .get, path: "/v1/health"), maxResponseBytes: 1 << 16)
        #expect(health.status == 200 && String(decoding: health.body, as: UTF8.self).contains("\"ok\""))
        #expect(
            serve.waitForLine(onStderr: true, timeout: 30) { $0.hasPrefix("{") && $0.contains("/v1/health") } != nil)
        #expect(serve.terminate() == 0)
    }

    @Test func watchTakesItsFoldersFromTheFile() throws {
        let cli = try CLI("config-watch")
        try cli.ok(["init", "--name", "laptop"])
        let folder = cli.directory.file("articles")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let config = try cli.directory.write(
            "watch.toml",
            """
            db = "\(cli.database)"
            [watch]
            folders = ["\(folder)"]
            no_peers = true
            """)
        let watch = try LongRunningProcess(["watch", "--config", config], environment: ["ARCHIVE_SYNC_DB": ""])
        defer { watch.terminate() }
        #expect(watch.waitForLine(onStderr: true, timeout: 30) { $0.hasPrefix("Watching \(folder)") } != nil)
        let article = ArticleGenerator(seed: 4).article(0)
        try Data(article.file.render()).write(to: URL(fileURLWithPath: folder + "/one.md"))
        #expect(watch.waitForLine { $0.hasPrefix("imported new article") && $0.contains("one.md") } != nil)
        #expect(watch.terminate() == 0)
    }

    @Test(arguments: [
        ("[serve]\nport = \"8080\"\n", "[serve] \"port\" must be an integer"),
        ("[serve]\nprot = 8080\n", "[serve] \"prot\", which is not a setting"),
        ("[watch]\nfolders = \"/tmp\"\n", "[watch] \"folders\" must be an array of strings"),
        ("[watch]\nwait = 99\n", "[watch] wait must be from 1 to 30 seconds"),
        ("[serve]\nlog_format = \"xml\"\n", "[serve] log_format must be \"logfmt\" or \"json\""),
        ("dbx = \"a.db\"\n", "\"dbx\", which is not a setting"),
        ("[serve\nport = 1\n", "is not valid TOML"),
        ("[[serve]]\nport = 1\n", "not a setting"),
    ])
    func aFileThatIsNotRightIsRefusedNamingTheKey(_ text: String, _ expected: String) throws {
        let cli = try CLI("config-bad")
        try cli.ok(["init", "--name", "x"])
        let config = try cli.directory.write("bad.toml", text)
        let command = text.contains("[watch]") ? ["watch", "--config", config] : ["serve", "--config", config]
        let result = try cli.run(command)
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stderr.contains(expected), "\(result.stderr)")
        #expect(result.stderr.contains(config), "\(result.stderr)")
        #expect(result.stdout.isEmpty)
    }

    @Test func theExampleConfigurationsOfTheSystemdUnitsAreAccepted() throws {
        let cli = try CLI("config-examples")
        try cli.ok(["init", "--name", "x"])
        let examples = TestPaths.repository.appendingPathComponent("deploy/systemd")
        // Read whole and accepted: each then stops on what this machine lacks, not on the file.
        let watch = try cli.run(
            ["watch", "--config", examples.appendingPathComponent("watch.toml").path, "--db", cli.database])
        #expect(watch.status == 1 && watch.stderr.contains("there is no folder /home/alice"), "\(watch.stderr)")
        let serve = try cli.run(
            ["serve", "--config", examples.appendingPathComponent("serve.toml").path, "--db", cli.database])
        #expect(serve.status == 1 && serve.stderr.contains("there is no active token"), "\(serve.stderr)")
    }

    @Test func aFileTooLargeOrNotTextIsRefusedBeforeItIsParsed() throws {
        let cli = try CLI("config-large")
        try cli.ok(["init", "--name", "x"])
        let large = try cli.directory.write("large.toml", String(repeating: "# padding\n", count: 110_000))
        let result = try cli.run(["serve", "--config", large])
        #expect(result.status == 1 && result.stderr.contains("larger than 1 MiB"), "\(result.stderr)")
        let binary = try cli.directory.write("binary.toml", [0x5B, 0x73, 0x00, 0xFF, 0xFE])
        let refused = try cli.run(["watch", "--config", binary])
        #expect(refused.status == 1 && refused.stderr.contains("not UTF-8 text"), "\(refused.stderr)")
        let missing = try cli.run(["serve", "--config", cli.directory.file("nowhere.toml")])
        #expect(missing.status == 1 && missing.stderr.contains("cannot read the configuration file"))
    }
}
