import Foundation
import SyncClient
import TestSupport
import Testing

/// A real `archive-sync serve` on a free loopback port, stopped when the value goes away.
final class ServerProcess: @unchecked Sendable {
    let process = Process()
    let port: Int
    let stderrURL: URL
    var url: String { "http://127.0.0.1:\(port)" }

    /// Starts serving the replica at `database`; waits until it listens.
    init(database: String, directory: TemporaryDirectory, arguments: [String] = []) throws {
        process.executableURL = URL(fileURLWithPath: CLI.executable)
        process.arguments = ["serve", "--db", database, "--port", "0"] + arguments
        let out = Pipe()
        stderrURL = directory.url.appendingPathComponent("serve-\(UUID().uuidString.prefix(6)).log")
        FileManager.default.createFile(atPath: stderrURL.path, contents: nil)
        process.standardOutput = out
        process.standardError = try FileHandle(forWritingTo: stderrURL)
        try process.run()
        // The first line says where it listens: "… on http://127.0.0.1:PORT; …".
        var line = Data()
        let deadline = Date().addingTimeInterval(30)
        while !line.contains(0x0A), Date() < deadline {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
        }
        let text = String(decoding: line, as: UTF8.self)
        guard let range = text.range(of: #"127\.0\.0\.1:(\d+)"#, options: .regularExpression),
            let port = Int(text[range].split(separator: ":").last ?? "")
        else {
            process.terminate()
            let log = (try? String(contentsOf: stderrURL, encoding: .utf8)) ?? ""
            throw TestSetupError("serve did not start: \(text) \(log)")
        }
        self.port = port
    }

    /// The server's log so far.
    var log: String { (try? String(contentsOf: stderrURL, encoding: .utf8)) ?? "" }

    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }

    deinit { stop() }
}

/// Raw HTTP exchanges with a server through the project's libcurl transport.
struct RawClient {
    let transport: CurlTransport

    init(_ server: ServerProcess) throws {
        transport = try CurlTransport(baseURL: server.url, token: nil)
    }

    func send(
        _ method: HTTPRequest.Method, _ path: String, headers: [String: String] = [:], body: [UInt8]? = nil
    ) throws -> HTTPResponse {
        try transport.send(
            HTTPRequest(method: method, path: path, headers: headers.map { ($0.key, $0.value) }, body: body),
            maxResponseBytes: 64 << 20)
    }
}
