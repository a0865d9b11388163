import Foundation
import TestSupport
import Testing

/// The image's entry point (docker/entrypoint.sh) run here with the built executable, so that the
/// docker files stay in step with the command line although no Docker engine runs on this machine.
struct DockerEntrypointTests {
    @Test func theHubMakesTokensAndServesAndAReplicaSyncLoopsWithIt() throws {
        let work = try TemporaryDirectory("docker")
        let script = TestPaths.repository.appendingPathComponent("docker/entrypoint.sh").path
        let binFolder = URL(fileURLWithPath: CLI.executable).deletingLastPathComponent().path
        try FileManager.default.createDirectory(atPath: work.file("tokens"), withIntermediateDirectories: true)
        var environment = ProcessInfo.processInfo.environment
        environment["PATH"] = binFolder + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
        environment["ARCHIVE_SYNC_TOKENS_DIR"] = work.file("tokens")

        let hub = Process()
        hub.executableURL = URL(fileURLWithPath: "/bin/sh")
        hub.arguments = [script, "serve"]
        var hubEnvironment = environment
        hubEnvironment["ARCHIVE_SYNC_DB"] = work.file("hub.db")
        hubEnvironment["ARCHIVE_SYNC_NAME"] = "hub"
        hubEnvironment["ARCHIVE_SYNC_PORT"] = "0"
        hubEnvironment["ARCHIVE_SYNC_CREATE_TOKENS"] = "replica-1:write"
        hub.environment = hubEnvironment
        let hubOut = Pipe()
        hub.standardOutput = hubOut
        hub.standardError = FileHandle.nullDevice
        try hub.run()
        defer {
            hub.terminate()
            hub.waitUntilExit()
        }
        var line = ""
        let deadline = Date().addingTimeInterval(30)
        while !(line.contains("Serving") && line.hasSuffix("\n")), Date() < deadline {
            let chunk = hubOut.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line += String(decoding: chunk, as: UTF8.self)
        }
        let url = try #require(
            line.range(of: #"http://[0-9.]+:\d+"#, options: .regularExpression).map { String(line[$0]) })
        // The port printed is the one bound, though --bind 0.0.0.0 was asked: reach it on loopback.
        let hubURL = url.replacingOccurrences(of: "0.0.0.0", with: "127.0.0.1")
        let token = work.file("tokens/replica-1.token")
        #expect(FileManager.default.fileExists(atPath: token))

        let replica = Process()
        replica.executableURL = URL(fileURLWithPath: "/bin/sh")
        replica.arguments = [script, "sync-loop"]
        var replicaEnvironment = environment
        replicaEnvironment["ARCHIVE_SYNC_DB"] = work.file("replica-1.db")
        replicaEnvironment["ARCHIVE_SYNC_NAME"] = "replica-1"
        replicaEnvironment["ARCHIVE_SYNC_HUB_URL"] = hubURL
        replicaEnvironment["ARCHIVE_SYNC_TOKEN_FILE"] = token
        replicaEnvironment["ARCHIVE_SYNC_INTERVAL"] = "1"
        replica.environment = replicaEnvironment
        replica.standardOutput = FileHandle.nullDevice
        replica.standardError = FileHandle.nullDevice
        try replica.run()
        defer {
            replica.terminate()
            replica.waitUntilExit()
        }
        // Something to sync: a capture on the hub must reach the replica.
        let hubCLI = try CLI("docker-hub")
        try hubCLI.run([
            "capture", "--db", work.file("hub.db"), "--url", "https://e.org/docker", "--title", "From the hub",
            "--body", "<p>x</p>\n",
        ])
        var synced = false
        let until = Date().addingTimeInterval(30)
        while !synced, Date() < until {
            Thread.sleep(forTimeInterval: 0.5)
            let status = try hubCLI.run(["status", "--json", "--db", work.file("replica-1.db")])
            synced = status.stdout.contains("\"articles\":1")
        }
        #expect(synced, "the replica never received the hub's article")
    }
}
