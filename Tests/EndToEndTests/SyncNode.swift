import ArchiveModel
import Foundation
import Replica
import TestSupport
import Testing

/// A replica on its own: its file, its `archive-sync serve` process and a write token for it.
final class SyncNode: @unchecked Sendable {
    let name: String
    let cli: CLI
    let tokenFile: String
    private(set) var server: ServerProcess?

    init(_ name: String, serve: Bool = true) throws {
        self.name = name
        cli = try CLI("node-\(name)")
        try cli.ok(["init", "--name", name])
        let token = try cli.ok(["token", "create", "peers", "--scope", "write"]).stdout
        tokenFile = try cli.directory.write("peers.token", token)
        if serve { try start() }
    }

    /// Starts serving, on a free port or on `port` (to come back where clients look for it).
    func start(port: Int? = nil, arguments: [String] = []) throws {
        server = try ServerProcess(
            database: cli.database, directory: cli.directory,
            arguments: (port.map { ["--port", String($0)] } ?? []) + arguments)
    }

    func stop() {
        server?.stop()
        server = nil
    }

    var url: String { server?.url ?? "http://127.0.0.1:9" }

    /// The replica, opened in this process (the server process may have it open too).
    func replica() throws -> Replica { try Replica.open(at: cli.database) }

    /// `archive-sync sync` from this node to `other`'s server.
    @discardableResult
    func sync(with other: SyncNode, url: String? = nil) throws -> CLI.Result {
        try cli.run(["sync", url ?? other.url, "--token-file", other.tokenFile])
    }

    /// Starts `archive-sync sync` from this node to `other` (through `url`, e.g. a proxy) and
    /// returns without waiting; output is discarded. Used to kill a sync at a chosen moment.
    func startSync(
        with other: SyncNode, url: String? = nil, batchSize: Int, onExit: (@Sendable () -> Void)? = nil
    ) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLI.executable)
        process.arguments = [
            "sync", url ?? other.url, "--token-file", other.tokenFile, "--db", cli.database,
            "--batch-size", String(batchSize),
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        if let onExit { process.terminationHandler = { _ in onExit() } }
        try process.run()
        return process
    }

    /// Syncs and expects success.
    func syncOK(with other: SyncNode, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let result = try sync(with: other)
        #expect(result.status == 0, "\(name) → \(other.name): \(result.stderr)", sourceLocation: sourceLocation)
    }

    /// The set of (origin, seq, hash) this node holds.
    func journal() throws -> Set<String> {
        let replica = try replica()
        return Set(
            try replica.events(missingFrom: VectorClock(), limit: 1_000_000, maxBytes: .max).map {
                "\($0.origin.hex):\($0.seq):\($0.hash.hex)"
            })
    }
}
