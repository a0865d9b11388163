import Foundation
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// A hostile HTTP server on a loopback port: it reads each request and answers every one with
/// the same canned head and body, then closes the connection. For what no real server sends.
final class CannedHTTPServer: @unchecked Sendable {
    let port: Int
    private let listener: Int32
    private let answer: [UInt8]
    private let lock = NSLock()
    private var closed = false
    private var served = 0
    private var loopStarted = false

    /// Starts listening; every request gets `head` (status line and headers, without the empty
    /// line) and `body`.
    init(head: String, body: [UInt8]) throws {
        answer = Array((head + "\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n").utf8) + body
        (listener, port) = try LoopbackSocket.listen()
        Thread { [weak self] in self?.acceptLoop() }.start()
    }

    var url: String { "http://127.0.0.1:\(port)" }

    /// How many requests were answered.
    var requests: Int {
        lock.lock()
        defer { lock.unlock() }
        return served
    }

    /// Stops accepting. Safe to call any number of times: the listener is shut down here (which
    /// ends a blocked accept) and closed once, by the accept loop as it ends, so its descriptor
    /// number is never closed twice nor used after another file took it.
    func close() {
        // Under the lock: the accept loop closes the listener under it too, so a shutdown here
        // never reaches a descriptor number already given back.
        lock.lock()
        if !closed { shutdown(listener, Int32(SHUT_RDWR)) }
        closed = true
        lock.unlock()
    }

    deinit {
        close()
        // Only reached when the accept loop never ran (it holds the server while it runs).
        lock.lock()
        let ran = loopStarted
        lock.unlock()
        if !ran { Glibc.close(listener) }
    }

    private var isClosed: Bool {
        lock.lock()
        defer { lock.unlock() }
        return closed
    }

    private func acceptLoop() {
        lock.lock()
        loopStarted = true
        lock.unlock()
        defer {
            lock.lock()
            Glibc.close(listener)
            lock.unlock()
        }
        while let client = LoopbackSocket.accept(from: listener, isClosed: { isClosed }) {
            readRequest(client)
            lock.lock()
            served += 1
            lock.unlock()
            var sent = 0
            while sent < answer.count {
                let count = answer[sent...].withUnsafeBytes {
                    send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
                }
                if count <= 0 { break }  // the client hung up: what a bounded client does
                sent += count
            }
            shutdown(client, Int32(SHUT_RDWR))
            Glibc.close(client)
        }
    }

    /// Reads the request head and its `Content-Length` bytes of body.
    private func readRequest(_ client: Int32) {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16 << 10)
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
            if count <= 0 { return }
            received += buffer[0..<count]
            guard let end = received.firstRange(of: separator)?.upperBound else { continue }
            let head = String(decoding: received[..<end], as: UTF8.self).lowercased()
            let length =
                head.components(separatedBy: "\r\n")
                .first { $0.hasPrefix("content-length:") }
                .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
            if received.count - end >= length { return }
        }
    }
}
