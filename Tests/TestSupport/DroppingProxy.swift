import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A TCP proxy on a loopback port that forwards to another port and can cut connections: after
/// `budget` bytes have crossed it (both directions), it closes both sides, like a network that
/// drops mid-transfer. Used to cut syncs off at random points.
public final class DroppingProxy: @unchecked Sendable {
    public let port: Int
    private let target: Int
    private let listener: Int32
    private let lock = NSLock()
    private var budget: Int?
    private var closed = false
    public private(set) var cutConnections = 0

    /// Starts listening; `target` is the port to forward to.
    public init(target: Int) throws {
        self.target = target
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.listener = listener
        var yes: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(listener, 16) == 0 else { throw TestSetupError("the proxy cannot listen") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        self.port = Int(UInt16(bigEndian: address.sin_port))
        let thread = Thread { [weak self] in self?.acceptLoop() }
        thread.start()
    }

    /// Cut the connection that carries the `bytes`-th next byte, then forward everything again;
    /// nil forwards everything.
    public func cut(after bytes: Int?) {
        lock.lock()
        budget = bytes
        lock.unlock()
    }

    public func close() {
        lock.lock()
        closed = true
        lock.unlock()
        shutdown(listener, Int32(SHUT_RDWR))
        Glibc.close(listener)
    }

    deinit { close() }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 {
                lock.lock()
                let done = closed
                lock.unlock()
                if done { return }
                continue
            }
            let upstream = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = UInt16(target).bigEndian
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(upstream, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            if connected != 0 {
                Glibc.close(client)
                Glibc.close(upstream)
                continue
            }
            let connection = Connection(client: client, upstream: upstream)
            Thread { self.pump(from: client, to: upstream, connection) }.start()
            Thread { self.pump(from: upstream, to: client, connection) }.start()
        }
    }

    private final class Connection: @unchecked Sendable {
        let client: Int32
        let upstream: Int32
        private let lock = NSLock()
        private var open = 2
        init(client: Int32, upstream: Int32) {
            self.client = client
            self.upstream = upstream
        }
        func cut() {
            shutdown(client, Int32(SHUT_RDWR))
            shutdown(upstream, Int32(SHUT_RDWR))
        }
        func finished() {
            lock.lock()
            open -= 1
            let last = open == 0
            lock.unlock()
            if last {
                Glibc.close(client)
                Glibc.close(upstream)
            }
        }
    }

    private func pump(from source: Int32, to destination: Int32, _ connection: Connection) {
        var buffer = [UInt8](repeating: 0, count: 16 << 10)
        defer { connection.finished() }
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(source, $0.baseAddress, $0.count, 0) }
            if count <= 0 {
                shutdown(destination, Int32(SHUT_WR))
                return
            }
            lock.lock()
            var allowed = count
            var cutNow = false
            if let remaining = budget {
                allowed = min(count, remaining)
                budget = remaining - allowed
                cutNow = budget == 0
                if cutNow {
                    cutConnections += 1
                    budget = nil
                }
            }
            lock.unlock()
            var sent = 0
            while sent < allowed {
                let written = buffer.withUnsafeBytes {
                    send(destination, $0.baseAddress! + sent, allowed - sent, Int32(MSG_NOSIGNAL))
                }
                if written <= 0 { connection.cut(); return }
                sent += written
            }
            if cutNow {
                connection.cut()
                return
            }
        }
    }
}
