import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A real `archive-sync` process that runs until stopped (`watch`), whose output lines are
/// gathered as they come, so a test waits for the line that says a thing happened rather than
/// for a while.
final class LongRunningProcess: @unchecked Sendable {
    let process = Process()
    private let condition = NSCondition()
    private var stdoutLines: [String] = []
    private var stderrLines: [String] = []
    private var open = 2
    private let readers = DispatchGroup()

    init(_ arguments: [String], environment: [String: String] = [:], directory: URL? = nil) throws {
        process.executableURL = URL(fileURLWithPath: CLI.executable)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        process.environment = env
        if let directory { process.currentDirectoryURL = directory }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        gather(out.fileHandleForReading, isError: false)
        gather(err.fileHandleForReading, isError: true)
    }

    private func gather(_ handle: FileHandle, isError: Bool) {
        readers.enter()
        Thread { [self] in
            var pending = Data()
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                pending.append(chunk)
                while let newline = pending.firstIndex(of: 0x0A) {
                    let line = String(decoding: pending[pending.startIndex..<newline], as: UTF8.self)
                    pending.removeSubrange(pending.startIndex...newline)
                    condition.lock()
                    if isError { stderrLines.append(line) } else { stdoutLines.append(line) }
                    condition.broadcast()
                    condition.unlock()
                }
            }
            condition.lock()
            open -= 1
            condition.broadcast()
            condition.unlock()
            readers.leave()
        }.start()
    }

    var output: [String] {
        condition.lock()
        defer { condition.unlock() }
        return stdoutLines
    }

    var errors: [String] {
        condition.lock()
        defer { condition.unlock() }
        return stderrLines
    }

    /// Waits until a line of standard output (or error) after the first `after` ones satisfies
    /// `matches`, the process ends, or `timeout` passes; returns the line's index, or nil.
    func waitForLine(
        onStderr: Bool = false, after: Int = 0, timeout: TimeInterval = 60, _ matches: (String) -> Bool
    ) -> Int? {
        let deadline = Date().addingTimeInterval(timeout)
        condition.lock()
        defer { condition.unlock() }
        var checked = after
        while true {
            let lines = onStderr ? stderrLines : stdoutLines
            while checked < lines.count {
                if matches(lines[checked]) { return checked }
                checked += 1
            }
            if open == 0 || !condition.wait(until: deadline) { return nil }
        }
    }

    /// Sends SIGTERM and waits for the process and its output to end; returns its status.
    @discardableResult
    func terminate() -> Int32 {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        readers.wait()
        return process.terminationStatus
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}

/// A TCP listener on a chosen loopback port that accepts connections and closes them at once,
/// counting them: a server that is down but reachable, to count how often a client tries.
final class ConnectionCounter: @unchecked Sendable {
    private let listener: Int32
    private let condition = NSCondition()
    private var accepted: [Date] = []
    private var closed = false
    private let done = DispatchSemaphore(value: 0)

    init(port: Int) throws {
        listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var yes: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(listener, 16) == 0 else {
            close(listener)
            throw TestSetupError("cannot listen on 127.0.0.1:\(port)")
        }
        Thread { [self] in
            while let client = LoopbackSocket.accept(from: listener, isClosed: { isClosed }) {
                close(client)
                condition.lock()
                accepted.append(Date())
                condition.broadcast()
                condition.unlock()
            }
            done.signal()
        }.start()
    }

    private var isClosed: Bool {
        condition.lock()
        defer { condition.unlock() }
        return closed
    }

    /// The times of the connections accepted so far.
    var connections: [Date] {
        condition.lock()
        defer { condition.unlock() }
        return accepted
    }

    /// Waits until `count` connections came, or `timeout` passed; returns their times.
    func waitFor(_ count: Int, timeout: TimeInterval) -> [Date] {
        let deadline = Date().addingTimeInterval(timeout)
        condition.lock()
        defer { condition.unlock() }
        while accepted.count < count, condition.wait(until: deadline) {}
        return accepted
    }

    /// Stops listening (the port is free again) and waits for the accept loop to end.
    func stop() {
        condition.lock()
        closed = true
        condition.unlock()
        shutdown(listener, Int32(SHUT_RDWR))
        done.wait()
        close(listener)
    }
}
