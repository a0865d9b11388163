import Foundation
import SyncClient
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

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
        // The first line says where it listens: "… on http://127.0.0.1:PORT; …". Read with a
        // deadline (poll(2)), so a server that never prints fails the test instead of hanging it.
        let line = Self.readLine(from: out.fileHandleForReading.fileDescriptor, timeout: 30)
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

    /// Reads until a newline, end of file or the timeout; returns what arrived.
    private static func readLine(from descriptor: Int32, timeout: TimeInterval) -> Data {
        var line = Data()
        let deadline = Date().addingTimeInterval(timeout)
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !line.contains(0x0A) {
            let remaining = deadline.timeIntervalSinceNow
            if remaining <= 0 { break }
            var request = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            let ready = poll(&request, 1, Int32(min(remaining, 60) * 1000) + 1)
            if ready < 0, errno == EINTR { continue }
            if ready <= 0 { break }
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            if count <= 0 { break }
            line.append(contentsOf: buffer[0..<count])
        }
        return line
    }

    /// Kills the server with SIGKILL, as a crash or a power cut would, and waits for it to end.
    func kill() {
        guard process.isRunning else { return }
        Glibc.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

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
