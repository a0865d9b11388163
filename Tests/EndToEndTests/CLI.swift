import ArchiveModel
import Foundation
import TestSupport
import Testing

/// Runs the built `archive-sync` executable, as a person or a script would.
struct CLI {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
        var lines: [String] { stdout.split(separator: "\n").map(String.init) }

        /// Each output line parsed as JSON.
        func jsonLines() throws -> [JSONValue] { try lines.map { try JSONParser.parse($0) } }
        func json() throws -> JSONValue { try JSONParser.parse(stdout) }
    }

    let database: String
    let directory: TemporaryDirectory

    init(_ label: String) throws {
        directory = try TemporaryDirectory("e2e-\(label)")
        database = directory.file("replica.db")
    }

    /// The executable beside the test bundle (`swift test` builds it), or $ARCHIVE_SYNC_BIN.
    static let executable: String = {
        if let path = ProcessInfo.processInfo.environment["ARCHIVE_SYNC_BIN"], !path.isEmpty { return path }
        var candidates: [URL] = []
        if let bundle = Bundle.allBundles.first(where: { $0.bundlePath.hasSuffix(".xctest") }) {
            candidates.append(bundle.bundleURL.deletingLastPathComponent().appendingPathComponent("archive-sync"))
        }
        let first = URL(fileURLWithPath: CommandLine.arguments[0])
        candidates.append(first.deletingLastPathComponent().appendingPathComponent("archive-sync"))
        let built = TestPaths.repository.appendingPathComponent(".build/debug/archive-sync")
        candidates.append(built)
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }?.path ?? built.path
    }()

    /// Runs `archive-sync ARGUMENTS` against this test's replica, with `input` on standard input.
    @discardableResult
    func run(_ arguments: [String], input: String? = nil, environment: [String: String] = [:]) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.executable)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env["ARCHIVE_SYNC_DB"] = database
        for (key, value) in environment { env[key] = value }
        process.environment = env
        process.currentDirectoryURL = directory.url
        let out = Pipe()
        let err = Pipe()
        let inPipe = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = inPipe
        try process.run()
        if let input { inPipe.fileHandleForWriting.write(Data(input.utf8)) }
        try inPipe.fileHandleForWriting.close()
        // Read both pipes to the end before waiting, so a large output cannot block the child.
        let group = DispatchGroup()
        nonisolated(unsafe) var stdoutData = Data()
        nonisolated(unsafe) var stderrData = Data()
        group.enter()
        DispatchQueue.global().async {
            stdoutData = out.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        stderrData = err.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus, stdout: String(decoding: stdoutData, as: UTF8.self),
            stderr: String(decoding: stderrData, as: UTF8.self))
    }

    /// Runs and expects success; returns the result.
    @discardableResult
    func ok(
        _ arguments: [String], input: String? = nil, sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> Result {
        let result = try run(arguments, input: input)
        #expect(
            result.status == 0, "archive-sync \(arguments.joined(separator: " ")): \(result.stderr)",
            sourceLocation: sourceLocation)
        return result
    }
}
