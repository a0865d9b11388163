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

    @Test func aPageCutOffBeforeItsFirstWholeLineIsAskedAgainAfterAPause() throws {
        let pair = try SyncPair()
        try pair.capture(5, on: pair.hub, label: "hub")
        pair.transport.faults = [.cut(afterBytes: 10)]
        let report = try pair.session().run()
        #expect(try pair.converged())
        #expect(report.pulledEvents == 5 && report.retries == 1 && pair.pauses.seconds == [0.5])
        #expect(pair.transport.requests == [WireProtocol.Path.pull, WireProtocol.Path.pull])
        #expect(pair.transport.pulls.map(\.knowledge) == [VectorClock(), VectorClock()])
    }

    @Test func aBusyServerRefusingAPushIsSentTheSameBatchAgain() throws {
        let pair = try SyncPair()
        try pair.capture(3, on: pair.laptop, label: "laptop")
        pair.transport.faults = [.served, .status(503), .status(503)]
        let report = try pair.session().run()
        #expect(try pair.converged())
        #expect(report.retries == 2 && pair.pauses.seconds == [0.5, 1.0] && report.pushedEvents == 3)
        let push = WireProtocol.Path.push
        #expect(pair.transport.requests == [WireProtocol.Path.pull, push, push, push])
    }

    /// The laptop, and a copy of it under the same identity (`twin`) that wrote events of its own
    /// after the first `shared` ones and synced them to the hub; then the laptop writes `own`.
    func forkedPair(shared: Int, twin twinEvents: Int, own: Int, hubEvents: Int) throws -> SyncPair {
        let pair = try SyncPair()
        try pair.capture(shared, on: pair.laptop, label: "shared")
        _ = try pair.session().run()
        let twin = try Replica.create(
            at: pair.work.file("twin.db"), name: "twin", signingKey: try pair.laptop.signingKey())
        _ = try SyncSession(replica: twin, transport: pair.transport, sleep: { _ in }).run()
        try pair.capture(hubEvents, on: pair.hub, label: "hub")
        try pair.capture(twinEvents, on: twin, label: "twin")
        _ = try SyncSession(replica: twin, transport: pair.transport, sleep: { _ in }).run()
        try pair.capture(own, on: pair.laptop, label: "laptop")
        return pair
    }

    /// Syncs the laptop of `pair` in pages of 10 events and expects it to stop at a fork of its
    /// own event 3, located by two single-event pulls (laptop:2, then laptop:1) and recorded;
    /// returns the session and the pulls it made.
    func syncIntoOwnForkAt3(
        _ pair: SyncPair, sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> (session: SyncSession, pulls: [PullRequest]) {
        let origin = try pair.laptop.identity().origin
        let before = pair.transport.pulls.count
        var configuration = SyncSessionStateMachine.Configuration()
        configuration.pullEvents = 10
        let session = pair.session(configuration)
        #expect(sourceLocation: sourceLocation) {
            try session.run()
        } throws: { error in
            let error = error as? SyncClientError
            return error?.code == .ownFork && error?.event == Dot(origin: origin, seq: 3)
        }
        let pulls = Array(pair.transport.pulls.dropFirst(before))
        let probes = pulls.suffix(2)
        #expect(probes.map { $0.knowledge[origin] } == [2, 1], sourceLocation: sourceLocation)
        #expect(probes.allSatisfy { $0.maxEvents == 1 && !$0.deltas }, sourceLocation: sourceLocation)
        #expect(try pair.laptop.forkNotice() == Dot(origin: origin, seq: 3), sourceLocation: sourceLocation)
        return (session, pulls)
    }

    @Test func aForkFoundMidPullIsLocatedBySingleEventPullsAndRecorded() throws {
        // The hub holds laptop:1...2, then 25 of its own, then the twin's laptop:3...6.
        let pair = try forkedPair(shared: 2, twin: 4, own: 3, hubEvents: 25)
        let (session, pulls) = try syncIntoOwnForkAt3(pair)
        // Two pages applied, the third refused at the twin's laptop:6, then the search over 1...5:
        // the hub's 3 differs from the laptop's, its 2 does not.
        #expect(session.report.pulledEvents == 20)
        #expect(pulls.count == 5)
    }

    @Test func aForkInAPageAppliedWhileTheNextIsFetchedTakesTheSessionBackAndIsLocated() throws {
        // As above, with 15 more hub events after the twin's: the refused page is not the last,
        // so the next page was asked for while it was applied. That answer is dropped, and the
        // machine goes back to the refused page to locate the fork.
        let pair = try forkedPair(shared: 2, twin: 4, own: 3, hubEvents: 25)
        try pair.capture(15, on: pair.hub, label: "hub-late")
        let origin = try pair.laptop.identity().origin
        let knowledgeBefore = try pair.laptop.knowledge()
        let (session, pulls) = try syncIntoOwnForkAt3(pair)
        #expect(session.report.pulledEvents == 20)
        #expect(pulls.count == 6)
        // The fourth pull was sent while the third page was applied, as if it would be.
        #expect(pulls[3].knowledge[origin] == 6)
        // Only the first two pages were applied.
        let after = try pair.laptop.knowledge()
        #expect(after[origin] == knowledgeBefore[origin])
        let (heldAfter, heldBefore) = (after.entries.values.reduce(0, +), knowledgeBefore.entries.values.reduce(0, +))
        #expect(heldAfter == heldBefore + 20)
    }

    @Test func aForkTheVectorsCannotShowIsFoundByTheHeadsAndLocated() throws {
        // The laptop and its twin both hold laptop:1...5; they differ from 4.
        let pair = try forkedPair(shared: 3, twin: 2, own: 2, hubEvents: 0)
        let origin = try pair.laptop.identity().origin
        let (before, requestsBefore) = (pair.transport.pulls.count, pair.transport.requests.count)
        let session = pair.session()
        #expect {
            try session.run()
        } throws: { error in
            (error as? SyncClientError)?.event == Dot(origin: origin, seq: 4)
        }
        // One page with nothing new, then the search over 1...5: 3 is equal, 4 differs.
        let pulls = pair.transport.pulls.dropFirst(before)
        #expect(pulls.dropFirst().map { $0.knowledge[origin] } == [2, 3])
        #expect(!pair.transport.requests.dropFirst(requestsBefore).contains(WireProtocol.Path.push))
        #expect(try pair.laptop.forkNotice() == Dot(origin: origin, seq: 4))
    }
}
