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

    @Test func aForkOfItsOwnOriginIsLocatedThenReported() throws {
        var machine = SyncSessionStateMachine(origin: me, localKnowledge: VectorClock())
        _ = machine.start()
        // The server refuses a push of event 5: the first differing event is at or before 5.
        let fork = WireProtocolError(.fork, "fork", event: "\(me.hex):5")
        guard case .checkLocalHash(let first) = machine.requestFailed(SyncClientError(.server, "fork", server: fork))
        else {
            Issue.record("not located")
            return
        }
        #expect(first.origin == me && machine.forkSearchRange?.upperBound == 5)
        // The search finds 3: the server's 3 differs from this replica's, its 2 does not.
        let three = try EventFactory.create(1, 3, hlc: 30)
        guard case .pullPeerEvent(let asked, _) = machine.localHashFound(.of([3])), asked == first, first.seq == 3,
            case .checkLocalHash(let second) = machine.pullReceived(page([three], more: true))
        else {
            Issue.record("no search")
            return
        }
        let two = try EventFactory.create(1, 2, hlc: 20)
        guard case .pullPeerEvent = machine.localHashFound(two.hash), second.seq == 2,
            case .failed(let error) = machine.pullReceived(page([two], more: true))
        else {
            Issue.record("not failed")
            return
        }
        #expect(error.code == .ownFork && error.event == Dot(origin: me, seq: 3))
        // A pulled event that breaks this replica's chain at 7: it differs at 6 or before.
        var local = SyncSessionStateMachine(origin: me, localKnowledge: VectorClock())
        _ = local.start()
        _ = local.pullReceived(page([try EventFactory.create(1, 7, hlc: 70)], more: false))
        let broken = EventJournalError(.brokenChain, "broken", event: Dot(origin: me, seq: 7))
        guard case .checkLocalHash = local.applyFailed(broken), let pulledUpTo = local.forkSearchRange?.upperBound
        else {
            Issue.record("not located")
            return
        }
        #expect(pulledUpTo == 6)
        // Another replica's events that differ here and there: a copy elsewhere must be reidentified.
        var foreign = SyncSessionStateMachine(origin: me, localKnowledge: VectorClock())
        _ = foreign.start()
        _ = foreign.pullReceived(page([try EventFactory.create(2, 2, hlc: 20)], more: false))
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
        guard case .checkLocalHash = machine.headsChecked(localHashes: [me: .of([2])]),
            let upTo = machine.forkSearchRange?.upperBound
        else {
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
