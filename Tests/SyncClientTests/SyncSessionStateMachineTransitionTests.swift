import ArchiveModel
import EventJournal
import SyncClient
import TestSupport
import Testing
import WireProtocol

/// Every transition of the session's machine, driven by hand, and every input in every state
/// that does not expect it: no sockets, no files.
struct SyncSessionStateMachineTransitionTests {
    typealias Machine = SyncSessionStateMachine

    /// The states a machine can be driven to by legal inputs.
    enum Reached: String, CaseIterable, Sendable {
        case idle, pulling, applying, checkingHeads, pushing, awaitingLocalHash, awaitingPeerEvent, finished, failed
    }

    /// The inputs of the machine.
    enum Input: String, CaseIterable, Sendable {
        case start, pullReceived, applied, applyFailed, headsChecked, localHashFound, pushed, nothingToPush
        case requestFailed
    }

    /// The inputs each state expects; any other ends the session.
    static let legal: [Reached: Set<Input>] = [
        .idle: [.start], .pulling: [.pullReceived, .requestFailed], .applying: [.applied, .applyFailed],
        .checkingHeads: [.headsChecked], .pushing: [.pushed, .nothingToPush, .requestFailed],
        .awaitingLocalHash: [.localHashFound], .awaitingPeerEvent: [.pullReceived, .requestFailed],
        .finished: [], .failed: [],
    ]

    struct Case: Sendable, CustomTestStringConvertible {
        var state: Reached
        var input: Input
        var testDescription: String { "\(input.rawValue) while \(state.rawValue)" }
    }

    static let illegal: [Case] = Reached.allCases.flatMap { state in
        Input.allCases.filter { !(legal[state] ?? []).contains($0) }.map { Case(state: state, input: $0) }
    }

    static let me = EventFactory.origin(1)
    static let server = EventFactory.origin(2)
    var me: OriginID { Self.me }

    static func vector(_ entries: [Int: Int]) -> VectorClock {
        var clock = VectorClock()
        for (origin, seq) in entries { clock[EventFactory.origin(origin)] = seq }
        return clock
    }

    /// A pull page: events, then (unless `cut`) a trailer from the server `node`.
    static func page(
        _ events: [Event], more: Bool, knowledge: [Int: Int] = [:], heads: [OriginID: SHA256Digest] = [:],
        node: OriginID? = nil, cut: Bool = false
    ) throws -> PullPage {
        var bytes = EventBatch.encode(events)
        if !cut {
            PullTrailer(
                events: events.count, more: more, knowledge: vector(knowledge), heads: heads, node: node ?? server,
                name: "server", digest: "d"
            ).json.write(to: &bytes, sortKeys: false)
            bytes.append(0x0A)
        }
        return try PullPage(bytes)
    }

    static let transient = SyncClientError(.transport, "connection refused", isRetryable: true)
    static let final = SyncClientError(.server, "bad token", server: WireProtocolError(.unauthorized, "bad token"))

    /// A machine of replica 1 (holding 4 of its own events) driven to `state` by legal inputs,
    /// each answer checked on the way; the server holds the same 4, ending with `serverHead`.
    static func machine(in state: Reached, serverHead: SHA256Digest = .of([1])) throws -> Machine {
        var machine = Machine(origin: me, localKnowledge: vector([1: 4]))
        if state == .idle { return machine }
        try #require(machine.start().name == "pull")
        switch state {
        case .idle, .pulling:
            return machine
        case .applying:
            let event = try EventFactory.create(2, hlc: 10)
            try #require(machine.pullReceived(page([event], more: false, knowledge: [1: 4, 2: 1])).name == "apply")
            return machine
        case .failed:
            try #require(machine.requestFailed(final).name == "failed")
            return machine
        case .checkingHeads, .pushing, .awaitingLocalHash, .awaitingPeerEvent, .finished:
            break
        }
        let heads = [me: serverHead]
        try #require(machine.pullReceived(page([], more: false, knowledge: [1: 4], heads: heads)).name == "checkHeads")
        if state == .checkingHeads { return machine }
        if state == .pushing || state == .finished {
            try #require(machine.headsChecked(localHashes: [me: serverHead]).name == "push")
            if state == .finished { try #require(machine.nothingToPush().name == "finished") }
            return machine
        }
        // This replica's 4th event differs from the server's: a fork of its own origin, searched.
        try #require(machine.headsChecked(localHashes: [me: .of([9])]).name == "checkLocalHash")
        if state == .awaitingPeerEvent { try #require(machine.localHashFound(.of([9])).name == "pullPeerEvent") }
        return machine
    }

    /// Gives `input` to `machine` with arguments that would be right in a state expecting it.
    static func give(_ input: Input, to machine: inout Machine) throws -> Machine.Action {
        switch input {
        case .start: return machine.start()
        case .pullReceived: return machine.pullReceived(try page([], more: false))
        case .applied: return machine.applied([], knowledge: vector([1: 4]))
        case .applyFailed: return machine.applyFailed(SyncClientError(.local, "disk full"))
        case .headsChecked: return machine.headsChecked(localHashes: [:])
        case .localHashFound: return machine.localHashFound(.of([1]))
        case .pushed:
            return machine.pushed(
                PushResponse(applied: 0, alreadyHeld: 0, knowledge: vector([1: 4]), digest: ""), events: 0)
        case .nothingToPush: return machine.nothingToPush()
        case .requestFailed: return machine.requestFailed(transient)
        }
    }

    // MARK: Inputs out of turn

    @Test(arguments: SyncSessionStateMachineTransitionTests.illegal)
    func anInputTheStateDoesNotExpectEndsTheSessionWithAFailureThatSaysSo(_ test: Case) throws {
        var machine = try Self.machine(in: test.state)
        guard case .failed(let error) = try Self.give(test.input, to: &machine) else {
            Issue.record("\(test.testDescription) was accepted")
            return
        }
        #expect(error.code == .local && error.message.contains("while") && error.message.contains("bug"))
        // Failed is final: even the input the state expected is refused now.
        for input in Self.legal[test.state] ?? [] {
            #expect(try Self.give(input, to: &machine).name == "failed")
        }
    }

    // MARK: idle

    @Test func startAsksForWhatThisReplicaLacks() throws {
        var machine = Machine(origin: me, localKnowledge: Self.vector([1: 4, 2: 1]))
        guard case .pull(let request) = machine.start() else { Issue.record("no pull"); return }
        #expect(request == PullRequest(knowledge: Self.vector([1: 4, 2: 1]), maxBytes: 1 << 20))
    }

    // MARK: pulling

    @Test func aPageWithEventsIsAppliedAndItsTrailerKept() throws {
        var machine = try Self.machine(in: .pulling)
        let event = try EventFactory.create(2, hlc: 10)
        let page = try Self.page([event], more: true, knowledge: [1: 4, 2: 3], heads: [Self.server: .of([3])])
        guard case .apply(let events) = machine.pullReceived(page) else { Issue.record("no apply"); return }
        #expect(events == [event])
        #expect(machine.serverKnowledge == Self.vector([1: 4, 2: 3]) && machine.serverNode == Self.server)
        #expect(machine.serverHeads == [Self.server: .of([3])] && machine.serverDigest == "d")
    }

    @Test func anEmptyLastPageLeadsToTheHeadsCheck() throws {
        var machine = try Self.machine(in: .pulling)
        guard case .checkHeads(let knowledge) = machine.pullReceived(try Self.page([], more: false, knowledge: [2: 1]))
        else { Issue.record("no check"); return }
        #expect(knowledge == Self.vector([2: 1]))
    }

    @Test func aRetryKeepsPullingAndAnswersAreStillTaken() throws {
        var machine = try Self.machine(in: .pulling)
        guard case .retry(let delay, let because) = machine.requestFailed(Self.transient) else {
            Issue.record("no retry"); return
        }
        #expect(delay == 0.5 && because.code == .transport)
        #expect(machine.pullReceived(try Self.page([], more: false)).name == "checkHeads")
    }

    @Test func aForkAnsweredToAPullStartsTheSearch() throws {
        var machine = try Self.machine(in: .pulling)
        let fork = WireProtocolError(.brokenChain, "broken", event: "\(me.hex):3")
        guard case .checkLocalHash(let dot) = machine.requestFailed(SyncClientError(.server, "fork", server: fork))
        else { Issue.record("no search"); return }
        // A broken chain at 3 differs at 2 or before: the search halves 1...2.
        #expect(dot == Dot(origin: me, seq: 1) && machine.forkSearchRange == 1...2)
    }

    @Test func aForkAtTheFirstEventNeedsNoSearch() throws {
        var machine = try Self.machine(in: .pulling)
        let fork = WireProtocolError(.fork, "fork", event: "\(me.hex):1")
        guard case .failed(let error) = machine.requestFailed(SyncClientError(.server, "fork", server: fork)) else {
            Issue.record("not failed"); return
        }
        #expect(error.code == .ownFork && error.event == Dot(origin: me, seq: 1))
    }

    // MARK: applying

    @Test func appliedEventsLeadToTheNextPullWhenMoreIsLeft() throws {
        var machine = try Self.machine(in: .pulling)
        let event = try EventFactory.create(2, hlc: 10)
        _ = machine.pullReceived(try Self.page([event], more: true, knowledge: [1: 4, 2: 2]))
        guard case .pull(let next) = machine.applied([event], knowledge: Self.vector([1: 4, 2: 1])) else {
            Issue.record("no pull"); return
        }
        #expect(next.knowledge == Self.vector([1: 4, 2: 1]) && machine.pulledEvents == 1)
        #expect(machine.localKnowledge == Self.vector([1: 4, 2: 1]))
    }

    @Test func appliedEventsOfTheLastPageLeadToTheHeadsCheck() throws {
        var machine = try Self.machine(in: .applying)
        guard case .checkHeads(let knowledge) = machine.applied([], knowledge: Self.vector([1: 4, 2: 1])) else {
            Issue.record("no check"); return
        }
        #expect(knowledge == Self.vector([1: 4, 2: 1]))
    }

    @Test func aPageThatCannotBeAppliedForAnotherReasonEndsTheSession() throws {
        var machine = try Self.machine(in: .applying)
        guard case .failed(let error) = machine.applyFailed(SyncClientError(.local, "disk full")) else {
            Issue.record("not failed"); return
        }
        #expect(error.code == .local && error.message.contains("disk full"))
    }

    @Test func aForkOfThisReplicaFoundWhileApplyingStartsTheSearch() throws {
        var machine = try Self.machine(in: .applying)
        let fork = EventJournalError(.fork, "fork", event: Dot(origin: me, seq: 4))
        guard case .checkLocalHash(let dot) = machine.applyFailed(fork) else { Issue.record("no search"); return }
        #expect(dot == Dot(origin: me, seq: 2) && machine.forkSearchRange == 1...4)
    }

    // MARK: checkingHeads

    @Test func equalHeadsLeadToThePush() throws {
        var machine = try Self.machine(in: .checkingHeads)
        guard case .push(let knowledge, let maxEvents, let maxBytes) = machine.headsChecked(localHashes: [me: .of([1])])
        else { Issue.record("no push"); return }
        #expect(knowledge == Self.vector([1: 4]) && maxEvents == 1_000 && maxBytes == 1 << 20)
    }

    @Test func anotherReplicasHeadThatDiffersEndsTheSessionAskingForAReidentify() throws {
        var machine = Machine(origin: me, localKnowledge: Self.vector([2: 3]))
        _ = machine.start()
        _ = machine.pullReceived(try Self.page([], more: false, knowledge: [2: 3], heads: [Self.server: .of([1])]))
        guard case .failed(let error) = machine.headsChecked(localHashes: [Self.server: .of([2])]) else {
            Issue.record("not failed"); return
        }
        #expect(error.code == .server && error.message.contains("\(Self.server.short):3"))
    }

    // MARK: pushing

    @Test func aPushAnswerLeadsToTheNextBatchFromWhatTheServerNowHolds() throws {
        var machine = try Self.machine(in: .pushing)
        let after = Self.vector([1: 6])
        let answer = PushResponse(applied: 2, alreadyHeld: 0, knowledge: after, digest: "")
        guard case .push(let knowledge, _, _) = machine.pushed(answer, events: 2) else {
            Issue.record("no push"); return
        }
        // An answer without a digest keeps the one last reported.
        #expect(knowledge == after && machine.pushedEvents == 2 && machine.serverDigest == "d")
    }

    @Test func nothingLeftToPushFinishes() throws {
        var machine = try Self.machine(in: .pushing)
        #expect(machine.nothingToPush().name == "finished")
    }

    @Test func aPushIsRetriedAndAnAnswerStartsTheCountAgain() throws {
        var machine = try Self.machine(in: .pushing)
        let busy = SyncClientError(.server, "busy", isRetryable: true, server: WireProtocolError(.busy, "busy"))
        var delays: [Double] = []
        for _ in 0..<2 {
            guard case .retry(let delay, _) = machine.requestFailed(busy) else { Issue.record("no retry"); return }
            delays.append(delay)
        }
        // The batch must be sent again, not dropped, after a retry.
        var dropped = machine
        #expect(dropped.nothingToPush().name == "failed")
        _ = machine.pushed(
            PushResponse(applied: 1, alreadyHeld: 0, knowledge: Self.vector([1: 5]), digest: ""), events: 1)
        guard case .retry(let again, _) = machine.requestFailed(busy) else { Issue.record("no retry"); return }
        #expect(delays == [0.5, 1] && again == 0.5)
    }

    @Test func aForkAnsweredToAPushStartsTheSearch() throws {
        var machine = try Self.machine(in: .pushing)
        let fork = WireProtocolError(.fork, "fork", event: "\(me.hex):4")
        #expect(machine.requestFailed(SyncClientError(.server, "fork", server: fork)).name == "checkLocalHash")
        #expect(machine.forkSearchRange == 1...4)
    }

    // MARK: locatingFork

    @Test func theLocalHashLeadsToAPullOfTheServersEventAlone() throws {
        var machine = try Self.machine(in: .awaitingLocalHash)
        guard case .pullPeerEvent(let dot, let request) = machine.localHashFound(.of([9])) else {
            Issue.record("no pull"); return
        }
        // The search is over 1...4: its middle is 2, asked with a vector that stops just before it.
        #expect(dot == Dot(origin: me, seq: 2))
        #expect(request == PullRequest(knowledge: Self.vector([1: 1]), maxEvents: 1, maxBytes: 1, deltas: false))
    }

    @Test func theSearchHalvesItsRangeUntilOneSeqIsLeft() throws {
        // Here, events 1 and 2 are the server's; 3 and 4 differ.
        let serverEvents = try (1...4).map { try EventFactory.create(1, $0, hlc: Int64($0)) }
        func hashHere(_ seq: Int) -> SHA256Digest { seq <= 2 ? serverEvents[seq - 1].hash : .of([UInt8(seq)]) }
        var machine = try Self.machine(in: .awaitingLocalHash)
        var action = Machine.Action.checkLocalHash(Dot(origin: me, seq: 2))
        var asked: [Int] = []
        while case .checkLocalHash(let dot) = action, asked.count < 10 {
            asked.append(dot.seq)
            guard case .pullPeerEvent(let peer, _) = machine.localHashFound(hashHere(dot.seq)), peer == dot else {
                Issue.record("no pull of \(dot)"); return
            }
            action = machine.pullReceived(try Self.page([serverEvents[dot.seq - 1]], more: true))
        }
        #expect(asked == [2, 3])
        guard case .failed(let error) = action else { Issue.record("not failed"); return }
        #expect(error.code == .ownFork && error.event == Dot(origin: me, seq: 3))
        #expect(machine.forkSearchRange == nil)
    }

    @Test func aServerThatSendsAnotherEventThanTheOneAskedForEndsTheSearch() throws {
        var machine = try Self.machine(in: .awaitingPeerEvent)
        let wrong = try EventFactory.create(1, 3, hlc: 3)
        guard case .failed(let error) = machine.pullReceived(try Self.page([wrong], more: true)) else {
            Issue.record("not failed"); return
        }
        #expect(error.code == .badResponse && error.message.contains("\(me.short):2"))
        var empty = try Self.machine(in: .awaitingPeerEvent)
        #expect(empty.pullReceived(try Self.page([], more: false)).name == "failed")
    }

    @Test func aFailedRequestOfTheSearchIsNotRetried() throws {
        var machine = try Self.machine(in: .awaitingPeerEvent)
        guard case .failed(let error) = machine.requestFailed(Self.transient) else { Issue.record("retried"); return }
        #expect(error.code == .transport)
    }
}

extension SyncSessionStateMachine.Action {
    /// The case, for tests that check where the machine went.
    var name: String {
        switch self {
        case .pull: "pull"
        case .apply: "apply"
        case .checkHeads: "checkHeads"
        case .push: "push"
        case .retry: "retry"
        case .checkLocalHash: "checkLocalHash"
        case .pullPeerEvent: "pullPeerEvent"
        case .finished: "finished"
        case .failed: "failed"
        }
    }
}
