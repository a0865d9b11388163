import ArchiveModel
import Foundation
import TestSupport
import Testing

/// The image's entry point (docker/entrypoint.sh) run here with the built executable, so that the
/// docker files stay in step with the command line although no Docker engine runs on this machine.
struct DockerEntrypointTests {
    /// Whether the executable has the `watch` command that the compose replicas run: its help is
    /// the command's own (an unknown command's --help prints the general help, and succeeds).
    static let executableHasWatch: Bool = {
        let process = Process()
        let output = Pipe()
        process.executableURL = URL(fileURLWithPath: CLI.executable)
        process.arguments = ["watch", "--help"]
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        let help = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return process.terminationStatus == 0 && help.contains("USAGE: archive-sync watch")
    }()

    @Test func theHubMakesTokensAndServesAndASyncLoopReplicaSyncsWithIt() throws {
        let entrypoint = try Entrypoint()
        let hub = try entrypoint.startHub()
        defer { hub.process.stop() }
        #expect(FileManager.default.fileExists(atPath: entrypoint.token))
        let replica = try entrypoint.startReplica("sync-loop", hub: hub.url, ["ARCHIVE_SYNC_INTERVAL": "1"])
        defer { replica.stop() }
        try entrypoint.captureOnHub()
        #expect(try entrypoint.replicaReceivesTheArticle(), "the replica never received the hub's article")
    }

    @Test(.enabled(if: executableHasWatch, "needs the watch command"))
    func aWatchReplicaReceivesTheHubsArticleInItsReplicaAndItsFolder() throws {
        let entrypoint = try Entrypoint()
        let hub = try entrypoint.startHub()
        defer { hub.process.stop() }
        let folder = entrypoint.work.file("replica-1-articles")
        let replica = try entrypoint.startReplica("watch", hub: hub.url, ["ARCHIVE_SYNC_FOLDERS": folder])
        defer { replica.stop() }
        try entrypoint.captureOnHub()
        #expect(try entrypoint.replicaReceivesTheArticle(), "the replica never received the hub's article")
        var written: [String] = []
        let until = Date().addingTimeInterval(30)
        while written.isEmpty, Date() < until {
            Thread.sleep(forTimeInterval: 0.5)
            written = (FileManager.default.subpaths(atPath: folder) ?? []).filter { path in
                var isFolder: ObjCBool = false
                let exists = FileManager.default.fileExists(atPath: folder + "/" + path, isDirectory: &isFolder)
                return exists && !isFolder.boolValue && !URL(fileURLWithPath: path).lastPathComponent.hasPrefix(".")
            }
        }
        #expect(!written.isEmpty, "the hub's article was never written to the replica's folder")
    }

    /// A container restart runs the entry point again: the hub's origin, pinned at the first sync,
    /// must stay pinned (adding the peer again would clear it).
    @Test func aRestartedReplicaKeepsTheOriginItPinnedForTheHub() throws {
        let entrypoint = try Entrypoint()
        let hub = try entrypoint.startHub()
        let first = try entrypoint.startReplica("sync-loop", hub: hub.url, ["ARCHIVE_SYNC_INTERVAL": "1"])
        try entrypoint.captureOnHub()
        let synced = try entrypoint.replicaReceivesTheArticle()
        first.stop()
        hub.process.stop()
        try #require(synced, "the replica never received the hub's article")
        let pinned = try #require(try entrypoint.hubPeerOrigin(), "the first sync pinned no origin")

        // Without its token (and with the hub down) the restarted replica syncs with nobody, so
        // nothing can pin the hub again: what is pinned after the restart was kept.
        try FileManager.default.moveItem(atPath: entrypoint.token, toPath: entrypoint.token + ".away")
        let again = try entrypoint.startReplica("sync-loop", hub: hub.url, ["ARCHIVE_SYNC_INTERVAL": "1"])
        defer { again.stop() }
        #expect(
            again.read(until: "waiting for the token").contains("waiting for the token"),
            "the restarted replica never reached its loop")
        #expect(try entrypoint.hubPeerOrigin() == pinned)
    }
}

/// One run of the entry point's hub and replica in a temporary folder, as the compose file runs them.
private struct Entrypoint {
    let work: TemporaryDirectory
    let script = TestPaths.repository.appendingPathComponent("docker/entrypoint.sh").path
    let environment: [String: String]
    var token: String { work.file("tokens/replica-1.token") }
    var replicaDatabase: String { work.file("replica-1.db") }

    init() throws {
        work = try TemporaryDirectory("docker")
        try FileManager.default.createDirectory(atPath: work.file("tokens"), withIntermediateDirectories: true)
        let binFolder = URL(fileURLWithPath: CLI.executable).deletingLastPathComponent().path
        var environment = ProcessInfo.processInfo.environment
        environment["PATH"] = binFolder + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
        environment["ARCHIVE_SYNC_TOKENS_DIR"] = work.file("tokens")
        self.environment = environment
    }

    /// Starts `entrypoint.sh serve` on a free port, making a write token for replica-1, and
    /// returns once it serves, with the URL it serves on.
    func startHub() throws -> (process: RunningEntrypoint, url: String) {
        let hub = try RunningEntrypoint(
            script, ["serve"],
            environment.merging(
                [
                    "ARCHIVE_SYNC_DB": work.file("hub.db"), "ARCHIVE_SYNC_NAME": "hub", "ARCHIVE_SYNC_PORT": "0",
                    "ARCHIVE_SYNC_CREATE_TOKENS": "replica-1:write",
                ], uniquingKeysWith: { $1 }), reading: .standardOutput)
        let line = hub.read(until: "Serving", finishedBy: "\n")
        guard let range = line.range(of: #"http://[0-9.]+:\d+"#, options: .regularExpression) else {
            hub.stop()
            throw EntrypointTestError(message: "the hub never said where it serves: \(line)")
        }
        // The port printed is the one bound, though --bind 0.0.0.0 was asked: reach it on loopback.
        return (hub, String(line[range]).replacingOccurrences(of: "0.0.0.0", with: "127.0.0.1"))
    }

    /// Starts `entrypoint.sh MODE` for replica-1 with the hub at `hub` and the extra variables.
    func startReplica(_ mode: String, hub: String, _ extra: [String: String]) throws -> RunningEntrypoint {
        try RunningEntrypoint(
            script, [mode],
            environment.merging(
                [
                    "ARCHIVE_SYNC_DB": replicaDatabase, "ARCHIVE_SYNC_NAME": "replica-1", "ARCHIVE_SYNC_HUB_URL": hub,
                    "ARCHIVE_SYNC_TOKEN_FILE": token,
                ].merging(extra, uniquingKeysWith: { $1 }), uniquingKeysWith: { $1 }), reading: .standardError)
    }

    /// Something for the replica to receive: a capture on the hub.
    func captureOnHub() throws {
        try CLI("docker-hub").run([
            "capture", "--db", work.file("hub.db"), "--url", "https://e.org/docker", "--title", "From the hub",
            "--body", "<p>x</p>\n",
        ])
    }

    /// Whether replica-1 holds the hub's article within 30 seconds.
    func replicaReceivesTheArticle() throws -> Bool {
        let cli = try CLI("docker-replica")
        let until = Date().addingTimeInterval(30)
        while Date() < until {
            Thread.sleep(forTimeInterval: 0.5)
            let status = try cli.run(["status", "--json", "--db", replicaDatabase])
            if status.stdout.contains("\"articles\":1") { return true }
        }
        return false
    }

    /// The origin replica-1 pinned for its peer "hub", if any.
    func hubPeerOrigin() throws -> String? {
        let peers = try CLI("docker-peers").run(["peer", "list", "--json", "--db", replicaDatabase]).jsonLines()
        return peers.first { $0["name"]?.stringValue == "hub" }?["origin"]?.stringValue
    }
}

/// The entry point running under /bin/sh, with one of its outputs in a pipe to read (the other is
/// dropped, so that nothing unread can fill a pipe and stall it).
private final class RunningEntrypoint {
    enum Read { case standardOutput, standardError }
    let process = Process()
    let pipe = Pipe()

    init(_ script: String, _ arguments: [String], _ environment: [String: String], reading: Read) throws {
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = [script] + arguments
        process.environment = environment
        process.standardOutput = reading == .standardOutput ? pipe : FileHandle.nullDevice
        process.standardError = reading == .standardError ? pipe : FileHandle.nullDevice
        try process.run()
    }

    /// What the pipe carried until it said `text` (or 30 seconds passed, or it closed).
    func read(until text: String, finishedBy suffix: String = "") -> String {
        var said = ""
        let deadline = Date().addingTimeInterval(30)
        while !(said.contains(text) && said.hasSuffix(suffix)), Date() < deadline {
            let chunk = pipe.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            said += String(decoding: chunk, as: UTF8.self)
        }
        return said
    }

    func stop() {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }
}

private struct EntrypointTestError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
