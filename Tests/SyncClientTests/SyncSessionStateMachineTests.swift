import ArchiveModel
import EventJournal
import SyncClient
import TestSupport
import Testing
import WireProtocol

/// The session's decisions, fed by hand: no sockets, no files.
struct SyncSessionStateMachineTests {
    let me = EventFactory.origin(1)
    let server = EventFactory.origin(2)

    func vector(_ entries: [Int: Int]) -> VectorClock {
        var clock = VectorClock()
        for (origin, seq) in entries { clock[EventFactory.origin(origin)] = seq }
        return clock
    }

    /// A pull page: events, then (unless `cut`) a trailer from the server `node`.
    func page(
        _ events: [Event], more: Bool, knowledge: [Int: Int] = [:], heads: [OriginID: SHA256Digest] = [:],
        node: OriginID? = nil, cut: Bool = false
    ) -> PullPage {
        var bytes = EventBatch.encode(events)
        if !cut {
            PullTrailer(
                events: events.count, more: more, knowledge: vector(knowledge), heads: heads, node: node ?? server,
                name: "server", digest: "d"
            ).json.write(to: &bytes, sortKeys: false)
            bytes.append(0x0A)
        }
        do { return try PullPage(bytes) } catch { preconditionFailure("a page encoded here decodes: \(error)") }
    }

    @Test func pullsUntilNothingIsLeftChecksHeadsThenPushesUntilNothingIsLeft() throws {
        var machine = SyncSessionStateMachine(origin: me, localKnowledge: VectorClock())
        guard case .pull(let first) = machine.start() else { Issue.record("pull"); return }
        #expect(first.knowledge == VectorClock())
        let event = try EventFactory.create(2, hlc: 10)
        guard case .apply(let events) = machine.pullReceived(page([event], more: true, knowledge: [2: 2])) else {
            Issue.record("apply")
            return
        }
        #expect(events.count == 1 && machine.serverName == "server")
        guard case .pull(let second) = machine.applied(events, knowledge: vector([2: 1])) else {
            Issue.record("pull 2"); return
        }
        #expect(second.knowledge == vector([2: 1]))
        guard case .checkHeads(let knowledge) = machine.pullReceived(page([], more: false, knowledge: [2: 2])) else {
            Issue.record("check heads")
            return
        }
        #expect(knowledge == vector([2: 2]))
        guard case .push(let serverKnowledge, _, _) = machine.headsChecked(localHashes: [:]) else {
            Issue.record("push")
            return
        }
        #expect(serverKnowledge == vector([2: 2]))
        let after = vector([1: 4, 2: 2])
        guard
            case .push(let next, _, _) = machine.pushed(
                PushResponse(applied: 4, alreadyHeld: 0, knowledge: after, digest: "after"), events: 4)
        else { Issue.record("push 2"); return }
        #expect(next == after && machine.serverDigest == "after")
        guard case .finished = machine.nothingToPush() else { Issue.record("finish"); return }
        #expect(machine.pulledEvents == 1 && machine.pushedEvents == 4)
    }

    @Test func refusesToSyncWithItself() {
        var machine = SyncSessionStateMachine(origin: me, localKnowledge: VectorClock())
        _ = machine.start()
        guard case .failed(let error) = machine.pullReceived(page([], more: false, node: me)) else {
            Issue.record("not refused")
            return
        }
        #expect(error.code == .sameIdentity && error.message.contains("reidentify"))
    }

    @Test func noticesItWasRestoredFromAnOlderCopy() {
        var machine = SyncSessionStateMachine(origin: me, localKnowledge: vector([1: 3]))
        _ = machine.start()
        _ = machine.pullReceived(page([], more: false, knowledge: [1: 7]))
        #expect(machine.ownEventsBehind == 4)
    }

    @Test func retriesTransientFailuresWithGrowingPausesThenGivesUp() {
        var configuration = SyncSessionStateMachine.Configuration()
        configuration.maxAttempts = 4
        var machine = SyncSessionStateMachine(origin: me, localKnowledge: VectorClock(), configuration: configuration)
        _ = machine.start()
        let failure = SyncClientError(.transport, "connection refused", isRetryable: true)
        var delays: [Double] = []
        for _ in 0..<3 {
            guard case .retry(let delay, _) = machine.requestFailed(failure) else { Issue.record("no retry"); return }
            delays.append(delay)
        }
        #expect(delays == [0.5, 1, 2])
        guard case .failed = machine.requestFailed(failure) else { Issue.record("did not give up"); return }
    }

    @Test func aFinalErrorIsNotRetried() {
        var machine = SyncSessionStateMachine(origin: me, localKnowledge: VectorClock())
        _ = machine.start()
        let refused = SyncClientError(.server, "bad token", server: WireProtocolError(.unauthorized, "bad token"))
        guard case .failed(let error) = machine.requestFailed(refused) else { Issue.record("retried"); return }
        #expect(error.code == .server)
    }

    @Test func aForkOfItsOwnOriginIsLocatedThenReported() {
        var machine = SyncSessionStateMachine(origin: me, localKnowledge: VectorClock())
        _ = machine.start()
        // The server refuses a push of event 5: the first differing event is at or before 5.
        let fork = WireProtocolError(.fork, "fork", event: "\(me.hex):5")
        guard
            case .locateFork(let origin, let upTo, _) = machine.requestFailed(
                SyncClientError(.server, "fork", server: fork))
        else {
            Issue.record("not located")
            return
        }
        #expect(origin == me && upTo == 5)
        guard case .failed(let error) = machine.forkLocated(at: 3) else { Issue.record("not failed"); return }
        #expect(error.code == .ownFork && error.event == Dot(origin: me, seq: 3))
        // A pulled event that breaks this replica's chain at 7: it differs at 6 or before.
        var local = SyncSessionStateMachine(origin: me, localKnowledge: VectorClock())
        _ = local.start()
        let broken = EventJournalError(.brokenChain, "broken", event: Dot(origin: me, seq: 7))
        guard case .locateFork(_, let pulledUpTo, _) = local.applyFailed(broken) else {
            Issue.record("not located"); return
        }
        #expect(pulledUpTo == 6)
        // Another replica's events that differ here and there: a copy elsewhere must be reidentified.
        var foreign = SyncSessionStateMachine(origin: me, localKnowledge: VectorClock())
        _ = foreign.start()
        guard
            case .failed(let other) = foreign.applyFailed(
                EventJournalError(.fork, "fork", event: Dot(origin: server, seq: 2)))
        else { Issue.record("not failed"); return }
        #expect(other.message.contains("reidentify"))
    }

    @Test func aForkTheVectorsCannotShowIsFoundByComparingHeads() {
        var machine = SyncSessionStateMachine(origin: me, localKnowledge: vector([1: 4]))
        _ = machine.start()
        guard case .checkHeads = machine.pullReceived(page([], more: false, knowledge: [1: 4], heads: [me: .of([1])]))
        else {
            Issue.record("no check")
            return
        }
        guard case .locateFork(_, let upTo, _) = machine.headsChecked(localHashes: [me: .of([2])]) else {
            Issue.record("not found")
            return
        }
        #expect(upTo == 4)
        var same = SyncSessionStateMachine(origin: me, localKnowledge: vector([1: 4]))
        _ = same.start()
        _ = same.pullReceived(page([], more: false, knowledge: [1: 4], heads: [me: .of([1])]))
        guard case .push = same.headsChecked(localHashes: [me: .of([1])]) else {
            Issue.record("equal heads must not stop the sync")
            return
        }
    }

    @Test func aCutOffPageKeepsItsEventsAndAsksAgain() throws {
        var machine = SyncSessionStateMachine(origin: me, localKnowledge: VectorClock())
        _ = machine.start()
        let event = try EventFactory.create(2, hlc: 10)
        guard case .apply = machine.pullReceived(page([event], more: true, cut: true)) else {
            Issue.record("apply"); return
        }
        guard case .pull(let again) = machine.applied([event], knowledge: vector([2: 1])) else {
            Issue.record("pull"); return
        }
        #expect(again.knowledge == vector([2: 1]))
        // A cut-off page with nothing in it counts as a failure to retry.
        guard case .retry = machine.pullReceived(page([], more: true, cut: true)) else {
            Issue.record("no retry"); return
        }
    }

    @Test func aServerThatSaysMoreButSendsNothingIsNotFollowedForever() {
        var machine = SyncSessionStateMachine(origin: me, localKnowledge: VectorClock())
        _ = machine.start()
        var actions = 0
        var action = machine.pullReceived(page([], more: true, knowledge: [2: 5]))
        while case .retry = action, actions < 20 {
            actions += 1
            action = machine.pullReceived(page([], more: true, knowledge: [2: 5]))
        }
        guard case .failed = action else { Issue.record("looped"); return }
        #expect(actions < 10)
    }
}
