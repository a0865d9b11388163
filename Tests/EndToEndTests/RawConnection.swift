import Foundation
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// One TCP connection to a loopback server, written and read byte by byte: to send a request's
/// head and part of its body and then stop, as a stalled upload does. Reads give up after
/// `timeout` seconds, so a test fails instead of hanging.
final class RawConnection {
    private let socket: Int32

    init(port: Int, timeout: Int = 20) throws {
        guard let socket = LoopbackSocket.connect(port: port) else {
            throw TestSetupError("cannot connect to 127.0.0.1:\(port)")
        }
        self.socket = socket
        var wait = timeval(tv_sec: timeout, tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &wait, socklen_t(MemoryLayout<timeval>.size))
    }

    private var closed = false

    /// Closes the connection (the server sees the upload end); also done when the value goes away.
    func close() {
        guard !closed else { return }
        closed = true
        Glibc.close(socket)
    }

    deinit { close() }

    /// The head of a request: request line, `headers`, and the blank line.
    static func head(_ method: String, _ path: String, _ headers: [(String, String)]) -> [UInt8] {
        let lines = ["\(method) \(path) HTTP/1.1", "Host: 127.0.0.1"] + headers.map { "\($0.0): \($0.1)" }
        return Array((lines.joined(separator: "\r\n") + "\r\n\r\n").utf8)
    }

    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(socket, $0.baseAddress, $0.count, 0) }
            guard sent > 0 else { throw TestSetupError("the server closed the connection") }
            offset += sent
        }
    }

    /// Reads one response (head and a `Content-Length` body); nil when the server answered nothing
    /// before the timeout or closed the connection.
    func response() -> (status: Int, head: String, body: [UInt8])? {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            if let end = bytes.firstRange(of: Array("\r\n\r\n".utf8))?.upperBound {
                let head = String(decoding: bytes[..<end], as: UTF8.self)
                let length =
                    head.split(separator: "\r\n").first {
                        $0.lowercased().hasPrefix("content-length:")
                    }.flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0
                if bytes.count - end >= length {
                    let status = Int(head.split(separator: " ").dropFirst().first ?? "") ?? 0
                    return (status, head, Array(bytes[end..<(end + length)]))
                }
            }
            let count = recv(socket, &buffer, buffer.count, 0)
            guard count > 0 else { return nil }
            bytes += buffer[0..<count]
        }
    }
}
