import ArchiveModel
import Foundation
import SyncClient
import TestSupport
import Testing
import WireProtocol

/// A real `archive-sync serve` holding a pull open (`wait_ms`, SPEC.md "Waiting for changes"):
/// answered by a push that brings something new, and by a write another process makes to its
/// file. How each wait ended is read from the server's `/metrics`, so nothing here depends on how
/// long anything took.
struct LongPollServerTests {
    /// The value of the metric line that starts with `prefix` (0 when there is none yet).
    static func metric(_ prefix: String, of hub: SyncNode) throws -> Double {
        let token = try String(contentsOfFile: hub.tokenFile, encoding: .utf8).trimmingCharacters(
            in: .whitespacesAndNewlines)
        let scrape = try CurlTransport(baseURL: hub.url, token: token).send(
            HTTPRequest(method: .get, path: "/metrics"), maxResponseBytes: 1 << 20)
        let text = String(decoding: scrape.body, as: UTF8.self)
        let line = text.split(separator: "\n").first { $0.hasPrefix(prefix + " ") }
        return line.flatMap { Double($0.split(separator: " ").last ?? "") } ?? 0
    }

    /// Sends a pull that asks to be held 30 s from a thread of its own; `finished` gets its answer.
    static func heldPull(
        to hub: SyncNode, knowing knowledge: VectorClock, finished: @escaping @Sendable (HTTPResponse?) -> Void
    ) throws {
        let token = try String(contentsOfFile: hub.tokenFile, encoding: .utf8).trimmingCharacters(
            in: .whitespacesAndNewlines)
        var request = PullRequest(knowledge: knowledge)
        request.waitMilliseconds = 30_000
        var body: [UInt8] = []
        request.json.write(to: &body, sortKeys: false)
        let transport = try CurlTransport(baseURL: hub.url, token: token)
        let pull = HTTPRequest(
            method: .post, path: WireProtocol.Path.pull,
            headers: [
                (WireProtocol.versionHeader, String(WireProtocol.version)), ("Content-Type", "application/json"),
            ], body: body)
        nonisolated(unsafe) let unsafeTransport = transport
        Thread { finished(try? unsafeTransport.send(pull, maxResponseBytes: 1 << 20)) }.start()
    }

    /// Waits until the server holds `count` pulls, looking at its metrics every 50 ms, at most 60 s.
    static func waitUntilHeld(_ count: Double, by hub: SyncNode) throws -> Bool {
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            if try metric("archive_sync_pull_waiting", of: hub) == count { return true }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return false
    }

    static func eventLines(_ response: HTTPResponse?) -> Int {
        guard let response else { return -1 }
        return String(decoding: response.body, as: UTF8.self).split(separator: "\n")
            .filter { !$0.hasPrefix(#"{"end""#) }.count
    }

    @Test func aHeldPullIsAnsweredByAPushAndByAWriteOfAnotherProcess() throws {
        let hub = try SyncNode("long-poll-hub")
        let answers = AnswerBox()

        // 1. Held while the hub holds nothing the caller lacks; a laptop's push answers it.
        try Self.heldPull(to: hub, knowing: VectorClock()) { answers.put($0) }
        #expect(try Self.waitUntilHeld(1, by: hub))
        let laptop = try CLI("long-poll-laptop")
        try laptop.ok(["init", "--name", "laptop"])
        try laptop.ok(["capture", "--url", "https://news.example.org/held/1", "--title", "Pushed", "--body", "x"])
        try laptop.ok(["sync", hub.url, "--token-file", hub.tokenFile])
        let first = answers.take()
        #expect(first?.status == 200)
        #expect(Self.eventLines(first) == 1)
        #expect(try Self.metric(#"archive_sync_pull_waits_total{ended="change"}"#, of: hub) == 1)
        #expect(try Self.metric(#"archive_sync_pull_waits_total{ended="timeout"}"#, of: hub) == 0)

        // 2. Held again; an `archive-sync capture` on the hub's file (another process) answers it.
        let knowledge = try hub.replica().knowledge()
        try Self.heldPull(to: hub, knowing: knowledge) { answers.put($0) }
        #expect(try Self.waitUntilHeld(1, by: hub))
        try hub.cli.ok(["capture", "--url", "https://news.example.org/held/2", "--title", "Local", "--body", "y"])
        let second = answers.take()
        #expect(Self.eventLines(second) == 1)
        let secondText = String(decoding: second?.body ?? [], as: UTF8.self)
        #expect(secondText.contains("held/2"))
        #expect(try Self.metric(#"archive_sync_pull_waits_total{ended="change"}"#, of: hub) == 2)
        #expect(try Self.metric(#"archive_sync_pull_waits_total{ended="timeout"}"#, of: hub) == 0)
        #expect(try Self.metric("archive_sync_pull_waiting", of: hub) == 0)
    }
}

/// One answer handed from the pulling thread to the test.
final class AnswerBox: @unchecked Sendable {
    private let condition = NSCondition()
    private var answer: HTTPResponse??

    func put(_ response: HTTPResponse?) {
        condition.lock()
        answer = .some(response)
        condition.broadcast()
        condition.unlock()
    }

    /// The answer, once it came (at most 90 s: the pull asked to be held 30 s).
    func take() -> HTTPResponse? {
        let deadline = Date().addingTimeInterval(90)
        condition.lock()
        defer {
            answer = nil
            condition.unlock()
        }
        while answer == nil, condition.wait(until: deadline) {}
        return answer ?? nil
    }
}
