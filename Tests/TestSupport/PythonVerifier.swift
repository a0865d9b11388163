import Foundation

/// The independent proof verifier, `protocol/reference/verify_proof.py`, run as a person would.
///
/// It needs a python with the `cryptography` module: `$ARCHIVE_SYNC_PYTHON` when set (scripts/test
/// points it at a venv it makes), else `python3`. Like the corpus tests, every test that runs it
/// carries `.enabled(if: PythonVerifier.testsRun, "needs … cryptography …")`: skipped with that
/// comment when the module is missing, except under `CI`, where the test runs and fails with
/// `requireReady()`'s message.
package enum PythonVerifier {
    /// The python to run.
    package static var python: String {
        let chosen = ProcessInfo.processInfo.environment["ARCHIVE_SYNC_PYTHON"] ?? ""
        return chosen.isEmpty ? "python3" : chosen
    }

    /// The verifier script.
    package static var script: String {
        TestPaths.repository.appendingPathComponent("protocol/reference/verify_proof.py").path
    }

    /// Whether `python` can import `cryptography` (asked once).
    package static let hasCryptography: Bool = {
        (try? run(["-c", "import cryptography"]).status) == 0
    }()

    /// Whether the verifier tests run: the module is there, or `CI` is set.
    package static var testsRun: Bool { hasCryptography || TestPaths.runningInCI }

    /// Throws, saying how to get the module, when `python` cannot import `cryptography`.
    package static func requireReady() throws {
        guard hasCryptography else {
            throw TestSetupError(
                "\(python) cannot import the cryptography module, which protocol/reference/verify_proof.py needs: "
                    + "run scripts/test (it makes a venv in .build/python), or `pip install cryptography`, or set "
                    + "ARCHIVE_SYNC_PYTHON to a python that has it")
        }
    }

    /// The outcome of one run.
    package struct Result: Sendable {
        package var status: Int32
        package var stdout: String
        package var stderr: String
    }

    /// Runs `verify_proof.py ARGUMENTS`.
    package static func verify(_ arguments: [String]) throws -> Result {
        try run([script] + arguments)
    }

    /// Runs `python ARGUMENTS`, reading both pipes to the end before waiting.
    package static func run(_ arguments: [String]) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [python] + arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let group = DispatchGroup()
        nonisolated(unsafe) var stdoutData = Data()
        group.enter()
        DispatchQueue.global().async {
            stdoutData = out.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let stderrData = err.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus, stdout: String(decoding: stdoutData, as: UTF8.self),
            stderr: String(decoding: stderrData, as: UTF8.self))
    }
}
