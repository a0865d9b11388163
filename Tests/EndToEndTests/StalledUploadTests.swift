import ArchiveModel
import Foundation
import TestSupport
import Testing
import WireProtocol

#if canImport(Glibc)
import Glibc
#endif

/// Uploads that stop sending hold nothing another peer needs, and cannot keep `serve` running.
struct StalledUploadTests {
    static func pushHead(_ fixture: ServerTests.Fixture, length: Int) -> [UInt8] {
        RawConnection.head(
            "POST", WireProtocol.Path.push,
            fixture.writeHeaders.map { ($0.key, $0.value) } + [
                ("Content-Type", WireProtocol.ndjsonContentType), ("Content-Length", "\(length)"),
            ])
    }

    /// Opens a push that announces 100 kB, sends its head and 1 kB of it, and stops.
    static func stall(_ fixture: ServerTests.Fixture) throws -> RawConnection {
        let connection = try RawConnection(port: fixture.server.port)
        try connection.send(pushHead(fixture, length: 100_000) + [UInt8](repeating: 0x0A, count: 1_000))
        return connection
    }

    @Test func twoStalledUploadsDoNotHoldUpAThirdPush() throws {
        let fixture = try ServerTests.Fixture("stalled-two")
        let stalled = [try Self.stall(fixture), try Self.stall(fixture)]
        // A full answer on another connection: the server has read both stalled heads by now.
        _ = try fixture.snapshot()
        let body = try EventFactory.signedCreate(by: .fixed(9), hlc: 1_731_686_344_000).wireLine + [0x0A]
        let push = try RawConnection(port: fixture.server.port)
        let start = ContinuousClock.now
        try push.send(Self.pushHead(fixture, length: body.count) + body)
        let answer = push.response()
        let waited = start.duration(to: .now)
        print("third push answered after \(waited) while two uploads stalled")
        #expect(answer?.status == 200, "\(answer?.head ?? "no answer")")
        #expect(waited < .seconds(5))
        stalled.forEach { $0.close() }
    }

    @Test func aStalledUploadDoesNotKeepServeFromStoppingOnSIGTERM() throws {
        let fixture = try ServerTests.Fixture("stalled-stop", serveArguments: ["--shutdown-timeout", "2"])
        let stalled = try Self.stall(fixture)
        _ = try fixture.snapshot()
        let start = ContinuousClock.now
        kill(fixture.server.process.processIdentifier, SIGTERM)
        // Waits for the exit itself (not for a race): the bound is the assertion.
        while fixture.server.process.isRunning, start.duration(to: .now) < .seconds(20) {
            usleep(20_000)
        }
        let took = start.duration(to: .now)
        print("serve stopped \(took) after SIGTERM with a stalled upload")
        #expect(!fixture.server.process.isRunning)
        #expect(took < .seconds(8))
        stalled.close()
    }

    @Test func aHugeContentLengthIsRefusedBeforeAnyBodyIsSent() throws {
        let fixture = try ServerTests.Fixture("huge-length")
        let connection = try RawConnection(port: fixture.server.port)
        try connection.send(Self.pushHead(fixture, length: 10_000_000_000))
        let answer = connection.response()
        #expect(answer?.status == 413, "\(answer?.head ?? "no answer")")
        let json = try JSONParser.parse(answer?.body ?? [])
        #expect(json["error"]?.stringValue == "too-large")
        connection.close()
    }

    @Test func aBodyThatTakesTooLongIsRefusedWith408() throws {
        let fixture = try ServerTests.Fixture("body-timeout", serveArguments: ["--body-timeout", "1"])
        let connection = try Self.stall(fixture)
        let answer = connection.response()
        #expect(answer?.status == 408, "\(answer?.head ?? "no answer")")
        let json = try JSONParser.parse(answer?.body ?? [])
        #expect(json["error"]?.stringValue == "request-timeout")
        connection.close()
    }
}
