import ArchiveModel
import Replica
import SyncClient
import TestSupport
import Testing
import WireProtocol

/// The session driven end to end through `ReplicaTransport`: cut pages, busy servers, failures.
struct SyncSessionTests {
    @Test func aPageCutOffMidLineKeepsItsWholeLinesAndTheNextPullResumes() throws {
        let pair = try SyncPair()
        let written = try pair.capture(20, on: pair.hub, label: "hub")
        let firstLines = EventBatch.encode(Array(written.prefix(7)))
        pair.transport.faults = [.cut(afterBytes: firstLines.count + 10)]
        let report = try pair.session().run()
        #expect(try pair.converged())
        #expect(report.pulledEvents == 20 && report.retries == 0)
        // The cut page gave its 7 whole lines; the next pull asked from there.
        #expect(pair.transport.requests == [WireProtocol.Path.pull, WireProtocol.Path.pull])
    }

    @Test func aBusyServerIsAskedAgainAfterGrowingPauses() throws {
        let pair = try SyncPair()
        try pair.capture(3, on: pair.hub, label: "hub")
        try pair.capture(2, on: pair.laptop, label: "laptop")
        pair.transport.faults = [.status(503), .status(503)]
        let report = try pair.session().run()
        #expect(try pair.converged())
        #expect(report.retries == 2 && pair.pauses.seconds == [0.5, 1.0])
        #expect(report.pulledEvents == 3 && report.pushedEvents == 2)
    }

    @Test func aServerThatNeverAnswersEndsTheSyncWithAClearErrorAfterTheLastAttempt() throws {
        let pair = try SyncPair()
        try pair.capture(2, on: pair.laptop, label: "laptop")
        var configuration = SyncSessionStateMachine.Configuration()
        configuration.maxAttempts = 4
        pair.transport.faults = Array(repeating: .unreachable, count: 4)
        let session = pair.session(configuration)
        #expect {
            try session.run()
        } throws: { error in
            let error = error as? SyncClientError
            return error?.code == .transport && error?.message.contains("refused") == true
        }
        #expect(pair.transport.requests.count == 4 && pair.pauses.seconds == [0.5, 1.0, 2.0])
        #expect(try pair.hub.knowledge() == VectorClock())
    }
}
