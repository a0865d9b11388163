import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A TCP proxy on a loopback port that forwards to another port and can cut connections: after
/// `budget` bytes have crossed it (both directions), it closes both sides, like a network that
/// drops mid-transfer. Used to cut syncs off at chosen points.
///
/// It can also hold a request half sent (`hold(afterUpstreamBytes:)`): the moment a test kills a
/// process is then one where the server provably holds an incomplete request and the client
/// provably waits for its answer, with no sleep and no race.
package final class DroppingProxy: @unchecked Sendable {
    package let port: Int
    private let target: Int
    private let listener: Int32
    private let lock = NSCondition()
    private var budget: Int?
    private var closed = false
    private var loopStarted = false
    package private(set) var cutConnections = 0
    private var hold = Hold.none

    private enum Hold {
        case none
        /// Bytes from client to server still to forward before a request is held.
        case armed(Int)
        /// A connection is sending the part of the request that passes.
        case holding
        /// The connection held half sent, until `release()`.
        case held(Connection)
    }

    /// Starts listening; `target` is the port to forward to.
    package init(target: Int) throws {
        self.target = target
        (listener, port) = try LoopbackSocket.listen(reuseAddress: true)
        let thread = Thread { [weak self] in self?.acceptLoop() }
        thread.start()
    }

    /// Cut the connection that carries the `bytes`-th next byte, then forward everything again;
    /// nil forwards everything.
    package func cut(after bytes: Int?) {
        lock.lock()
        budget = bytes
        lock.unlock()
    }

    /// Holds the request that carries the `bytes`-th next byte from client to server: forwards
    /// part of that read (at least one byte of it, never all of it) and stops. A client sends one
    /// request at a time and a read never spans two of them, so the server then holds an
    /// incomplete request, every earlier request on the connection has been answered, and the
    /// client waits for an answer that cannot come. One connection is held at a time.
    package func hold(afterUpstreamBytes bytes: Int) {
        lock.lock()
        hold = .armed(max(0, bytes))
        lock.unlock()
    }

    /// Waits until a request is held (true), or until `release()` or the timeout (false).
    package func waitForHold(timeout: TimeInterval) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        lock.lock()
        defer { lock.unlock() }
        while !closed {
            switch hold {
            case .held: return true
            case .none: return false
            case .armed, .holding: if !lock.wait(until: deadline) { return false }
            }
        }
        return false
    }

    /// Lets the held connection go (it is then cut on both sides), withdraws a hold not yet
    /// reached, and wakes `waitForHold`. Safe to call at any time, any number of times.
    package func release() {
        lock.lock()
        if case .armed = hold { hold = .none }
        if case .held = hold { hold = .none }
        lock.broadcast()
        lock.unlock()
    }

    package func close() {
        // Shut down here, under the lock (it ends a blocked accept); the accept loop closes the
        // listener as it ends, under the lock too, so its descriptor number is never closed twice
        // nor reached after another file took it.
        lock.lock()
        let wasClosed = closed
        if !wasClosed { shutdown(listener, Int32(SHUT_RDWR)) }
        closed = true
        lock.unlock()
        if wasClosed { return }
        release()
    }

    deinit {
        close()
        // Only reached when the accept loop never ran (it holds the proxy while it runs).
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
            guard let upstream = LoopbackSocket.connect(port: target) else {
                Glibc.close(client)
                continue
            }
            let connection = Connection(client: client, upstream: upstream)
            Thread { self.pump(from: client, to: upstream, connection, upstream: true) }.start()
            Thread { self.pump(from: upstream, to: client, connection, upstream: false) }.start()
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

    /// How many bytes of a read of `count` bytes from the client to forward before holding, or nil
    /// to forward it all (counted against the hold). Called with the lock held.
    private func bytesBeforeHold(of count: Int) -> Int? {
        guard case .armed(let remaining) = hold else { return nil }
        if remaining >= count || count < 2 {
            hold = .armed(max(0, remaining - count))
            return nil
        }
        hold = .holding
        return min(max(1, remaining), count - 1)
    }

    private func pump(from source: Int32, to destination: Int32, _ connection: Connection, upstream: Bool) {
        var buffer = [UInt8](repeating: 0, count: 16 << 10)
        defer { connection.finished() }
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(source, $0.baseAddress, $0.count, 0) }
            if count <= 0 {
                shutdown(destination, Int32(SHUT_WR))
                return
            }
            lock.lock()
            if upstream, let partial = bytesBeforeHold(of: count) {
                lock.unlock()
                let sent = send(all: buffer, count: partial, to: destination)
                lock.lock()
                hold = sent ? .held(connection) : .none
                lock.broadcast()
                while case .held(let holding) = hold, holding === connection, !closed { lock.wait() }
                lock.unlock()
                connection.cut()
                return
            }
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
            guard send(all: buffer, count: allowed, to: destination) else { connection.cut(); return }
            if cutNow {
                connection.cut()
                return
            }
        }
    }

    /// Sends the first `count` bytes of `buffer`; false when the socket refuses them.
    private func send(all buffer: [UInt8], count: Int, to destination: Int32) -> Bool {
        var sent = 0
        while sent < count {
            let written = buffer.withUnsafeBytes { bytes -> Int in
                guard let base = bytes.baseAddress else { return -1 }
                return Glibc.send(destination, base + sent, count - sent, Int32(MSG_NOSIGNAL))
            }
            if written <= 0 { return false }
            sent += written
        }
        return true
    }
}
