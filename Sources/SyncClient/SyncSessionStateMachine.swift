import ArchiveModel
import EventJournal
import WireProtocol

/// The sync session as a value: what happened goes in, what to do next comes out.
///
/// The order is: pull pages of the events this replica lacks until the server says nothing is
/// left (each page's trailer also says who the server is and what it holds, so no other request
/// is needed); compare the hashes that end each origin's chain here and there (a fork the
/// vectors cannot show); then push batches of the events the server lacks until none are left.
/// A transport failure or a retryable server error repeats the last request after a growing
/// pause, a few times; a page cut off mid-way keeps its whole lines and asks again. A fork of this
/// replica's own origin is located by a binary search over single-event pulls before the session
/// fails. The knowledge vectors are the only state that matters: a session that stops anywhere can
/// simply be started again. No sockets and no files here: `SyncSession` performs the actions and
/// feeds their results back as inputs.
///
/// ```
///   idle --start--> pulling --pullReceived (events)--> applying --applied (more left, or cut off)--> pulling
///   pulling  --pullReceived (none left)--> checkingHeads      applying --applied (none left)--> checkingHeads
///   checkingHeads --headsChecked (equal)--> pushing --pushed--> pushing --nothingToPush--> finished
///   pulling, applying, checkingHeads, pushing --a fork of this replica's origin--> locatingFork
///   locatingFork (local hash) --localHashFound--> locatingFork (the server's event)
///   locatingFork (the server's event) --pullReceived--> locatingFork (local hash), or failed at one seq
///   pulling, pushing --requestFailed (retryable, attempts left)--> the same state, after `.retry`
///   any --an error that is not retried, or an input the state does not expect--> failed
/// ```
///
/// Every input switches on the state: an input the state does not expect (the driver asking out
/// of turn) is not ignored but ends the session with a failure that says so. A retry keeps the
/// state: the driver repeats the request and feeds the answer to the same input.
package struct SyncSessionStateMachine: Sendable {
    package struct Configuration: Sendable {
        package var pullEvents = 1_000
        /// A page's payload bytes: at most two pages are held at a time (one being applied, the
        /// next arriving), so this bounds the client's memory (and costs one round trip per MiB,
        /// nothing on a fast link).
        package var pullBytes = 1 << 20
        package var pushEvents = 1_000
        package var pushBytes = 1 << 20
        /// Attempts of one request before the session gives up.
        package var maxAttempts = 6
        /// The first pause before a retry, doubled each time (capped at 30 s).
        package var firstDelay = 0.5
        package init() {}
    }

    /// What the driver must do next.
    package enum Action: Sendable {
        /// Send this pull, then call `pullReceived` with the page or `requestFailed`.
        case pull(PullRequest)
        /// Apply these events locally in one transaction, then call `applied` or `applyFailed`.
        case apply([Event])
        /// Look up the hash of event (origin, seq) here for every entry of the server's knowledge
        /// this replica holds, then call `headsChecked`.
        case checkHeads(serverKnowledge: VectorClock)
        /// Send the events the server lacks, given what it holds, in batches of at most these sizes;
        /// call `pushed` with the answer, `requestFailed`, or `nothingToPush`.
        case push(serverKnowledge: VectorClock, maxEvents: Int, maxBytes: Int)
        /// Wait, then repeat the last request and feed its answer to the same input.
        case retry(after: Double, because: SyncClientError)
        /// Fork search: read the hash of this event here (nil when it is not held), then call
        /// `localHashFound`.
        case checkLocalHash(Dot)
        /// Fork search: send this pull, which asks the server for event `Dot` alone, then call
        /// `pullReceived` with the page or `requestFailed` (not retried).
        case pullPeerEvent(Dot, PullRequest)
        case finished
        case failed(SyncClientError)
    }

    /// Where the session is, and what it waits for.
    enum State: Sendable {
        /// Not started.
        case idle
        /// A pull was asked for; `attempts` failed attempts so far.
        case pulling(attempts: Int)
        /// A page's events are being applied; what its end said decides what follows.
        case applying(PageEnd)
        /// The hashes ending the server's chains are being looked up here.
        case checkingHeads
        /// A batch is being prepared or sent; `attempts` failed attempts of it so far.
        case pushing(attempts: Int)
        /// A fork of this replica's own origin is being located.
        case locatingFork(ForkSearch)
        case finished
        case failed
    }

    /// How a page ended: cut off (no trailer), or with a trailer that says whether more is left.
    struct PageEnd: Sendable {
        var complete: Bool
        var more: Bool
    }

    /// A binary search for the first seq of this replica's origin whose event differs here and
    /// on the server, knowing that `high` does: hash chains make "equal at k" mean "equal up to k".
    struct ForkSearch: Sendable {
        enum Step: Sendable {
            /// The hash here of the event at `middle` was asked for.
            case localHash
            /// The server's event at `middle` was asked for; its hash here is `local`.
            case peerEvent(local: SHA256Digest?)
        }

        var low: Int
        var high: Int
        var step = Step.localHash
        var middle: Int { (low + high) / 2 }
    }

    package let origin: OriginID
    package let configuration: Configuration
    package private(set) var localKnowledge: VectorClock
    package private(set) var serverKnowledge = VectorClock()
    package private(set) var serverHeads: [OriginID: SHA256Digest] = [:]
    package private(set) var serverName = ""
    package private(set) var serverNode: OriginID?
    /// The server's digest as last reported (by a pull trailer or a push answer).
    package private(set) var serverDigest = ""
    /// Events of this replica's own origin the server held and this replica did not (it was
    /// restored from an older copy): they come back with the pull.
    package private(set) var ownEventsBehind = 0
    package private(set) var pulledEvents = 0
    package private(set) var pushedEvents = 0
    private(set) var state = State.idle

    /// While a fork is being located, the seqs of this replica's own origin it may be at.
    package var forkSearchRange: ClosedRange<Int>? {
        guard case .locatingFork(let search) = state, search.low <= search.high else { return nil }
        return search.low...search.high
    }

    package init(origin: OriginID, localKnowledge: VectorClock, configuration: Configuration = Configuration()) {
        self.origin = origin
        self.localKnowledge = localKnowledge
        self.configuration = configuration
    }

    // MARK: Inputs

    package mutating func start() -> Action {
        switch state {
        case .idle:
            return nextPull(attempts: 0)
        case .pulling, .applying, .checkingHeads, .pushing, .locatingFork, .finished, .failed:
            return unexpected("start")
        }
    }

    /// A page answered to `.pull` or `.pullPeerEvent`.
    package mutating func pullReceived(_ page: PullPage) -> Action {
        switch state {
        case .pulling(let attempts):
            return pageReceived(page, attempts: attempts)
        case .locatingFork(let search):
            guard case .peerEvent(let local) = search.step else { return unexpected("a pulled page") }
            return peerEventReceived(page, local: local, search: search)
        case .idle, .applying, .checkingHeads, .pushing, .finished, .failed:
            return unexpected("a pulled page")
        }
    }

    package mutating func applied(_ events: [Event], knowledge: VectorClock) -> Action {
        switch state {
        case .applying(let end):
            localKnowledge = knowledge
            pulledEvents += events.count
            return afterPage(end, progress: true, attempts: 0)
        case .idle, .pulling, .checkingHeads, .pushing, .locatingFork, .finished, .failed:
            return unexpected("applied events")
        }
    }

    package mutating func applyFailed(_ error: any Error) -> Action {
        switch state {
        case .applying:
            if let journalError = error as? EventJournalError, let dot = journalError.event,
                journalError.code == .fork || journalError.code == .brokenChain
            {
                // A fork shows at the event itself; a broken chain at the event before it.
                let differing = journalError.code == .fork ? dot.seq : dot.seq - 1
                if dot.origin == origin, differing >= 1 { return locateFork(upTo: differing) }
                return fail(foreignFork(Dot(origin: dot.origin, seq: differing)))
            }
            return fail(SyncClientError(.local, "a pulled page could not be applied here: \(error)"))
        case .idle, .pulling, .checkingHeads, .pushing, .locatingFork, .finished, .failed:
            return unexpected("a failure to apply")
        }
    }

    /// The hashes here of the events that end the server's chains (see `checkHeads`): a different
    /// hash is a fork that the knowledge vectors alone cannot show.
    package mutating func headsChecked(localHashes: [OriginID: SHA256Digest]) -> Action {
        switch state {
        case .checkingHeads:
            for (other, hash) in localHashes.sorted(by: { $0.key < $1.key }) {
                guard let theirs = serverHeads[other], theirs != hash else { continue }
                let seq = serverKnowledge[other]
                if other == origin { return locateFork(upTo: seq) }
                return fail(foreignFork(Dot(origin: other, seq: seq)))
            }
            return nextPush(attempts: 0)
        case .idle, .pulling, .applying, .pushing, .locatingFork, .finished, .failed:
            return unexpected("the hashes of the heads")
        }
    }

    /// The hash here of the event `.checkLocalHash` named; nil when this replica does not hold it.
    package mutating func localHashFound(_ hash: SHA256Digest?) -> Action {
        switch state {
        case .locatingFork(var search):
            guard case .localHash = search.step else { return unexpected("a local hash") }
            search.step = .peerEvent(local: hash)
            state = .locatingFork(search)
            let dot = Dot(origin: origin, seq: search.middle)
            var vector = serverKnowledge
            vector[origin] = search.middle - 1
            return .pullPeerEvent(dot, PullRequest(knowledge: vector, maxEvents: 1, maxBytes: 1, deltas: false))
        case .idle, .pulling, .applying, .checkingHeads, .pushing, .finished, .failed:
            return unexpected("a local hash")
        }
    }

    package mutating func pushed(_ response: PushResponse, events: Int) -> Action {
        switch state {
        case .pushing:
            pushedEvents += response.applied
            serverKnowledge = response.knowledge
            if !response.digest.isEmpty { serverDigest = response.digest }
            return nextPush(attempts: 0)
        case .idle, .pulling, .applying, .checkingHeads, .locatingFork, .finished, .failed:
            return unexpected("a push answer")
        }
    }

    package mutating func nothingToPush() -> Action {
        switch state {
        case .pushing(let attempts) where attempts == 0:
            state = .finished
            return .finished
        case .pushing:
            // After a retry the driver must send the same batch again, not prepare none.
            return unexpected("nothing to push while retrying a batch")
        case .idle, .pulling, .applying, .checkingHeads, .locatingFork, .finished, .failed:
            return unexpected("nothing to push")
        }
    }

    /// A request failed: retried when it may help, else the session fails. A fork of this
    /// replica's own origin, answered by the server, is located then reported as `.ownFork`. A
    /// request of the fork search is not retried.
    package mutating func requestFailed(_ error: SyncClientError) -> Action {
        switch state {
        case .pulling(let attempts):
            return failedRequest(error, attempts: attempts) { .pulling(attempts: $0) }
        case .pushing(let attempts):
            return failedRequest(error, attempts: attempts) { .pushing(attempts: $0) }
        case .locatingFork(let search):
            guard case .peerEvent = search.step else { return unexpected("a failed request") }
            return fail(error)
        case .idle, .applying, .checkingHeads, .finished, .failed:
            return unexpected("a failed request")
        }
    }

    // MARK: Transitions

    private mutating func pageReceived(_ page: PullPage, attempts: Int) -> Action {
        var attempts = attempts
        if let trailer = page.trailer {
            if !page.events.isEmpty || !trailer.more { attempts = 0 }
            if let node = trailer.node, node == origin {
                return fail(
                    SyncClientError(
                        .sameIdentity,
                        "the server is this replica or a copy of it (both have origin \(origin.short)); run `archive-sync reidentify` on the copy"
                    ))
            }
            if serverNode == nil { ownEventsBehind = max(0, trailer.knowledge[origin] - localKnowledge[origin]) }
            serverNode = trailer.node
            serverName = trailer.name
            serverKnowledge = trailer.knowledge
            serverHeads = trailer.heads
            serverDigest = trailer.digest
        }
        let end = PageEnd(complete: page.trailer != nil, more: page.trailer?.more ?? true)
        if end.complete, end.more, page.events.isEmpty {
            return failedRequest(
                SyncClientError(.badResponse, "the server said events were left but sent none", isRetryable: true),
                attempts: attempts
            ) { .pulling(attempts: $0) }
        }
        if !page.events.isEmpty {
            state = .applying(end)
            return .apply(page.events)
        }
        return afterPage(end, progress: false, attempts: attempts)
    }

    private mutating func afterPage(_ end: PageEnd, progress: Bool, attempts: Int) -> Action {
        if !end.complete {
            // The page was cut off: ask again from where we are now; give up if nothing moves.
            guard progress else {
                let error = SyncClientError(.transport, "the pull page was cut off before its end", isRetryable: true)
                return failedRequest(error, attempts: attempts) { .pulling(attempts: $0) }
            }
            return nextPull(attempts: 0)
        }
        if end.more { return nextPull(attempts: attempts) }
        state = .checkingHeads
        return .checkHeads(serverKnowledge: serverKnowledge)
    }

    /// A retry in the state `retrying` makes with the attempts counted, a fork located, or a failure.
    private mutating func failedRequest(
        _ error: SyncClientError, attempts: Int, retrying: (Int) -> State
    ) -> Action {
        if let server = error.server, server.code == .fork || server.code == .brokenChain, let text = server.event,
            let (prefix, seq) = Dot.parse(text), let forkOrigin = OriginID(hex: prefix), forkOrigin == origin
        {
            // A fork shows at the event itself; a broken chain at the event before it.
            let differing = server.code == .fork ? seq : seq - 1
            if differing >= 1 { return locateFork(upTo: differing) }
        }
        guard error.isRetryable, attempts + 1 < configuration.maxAttempts else { return fail(error) }
        state = retrying(attempts + 1)
        let delay = min(30, configuration.firstDelay * Double(1 << attempts))
        return .retry(after: delay, because: error)
    }

    private mutating func locateFork(upTo seq: Int) -> Action {
        nextForkStep(ForkSearch(low: 1, high: seq))
    }

    private mutating func nextForkStep(_ search: ForkSearch) -> Action {
        guard search.low < search.high else {
            let dot = Dot(origin: origin, seq: search.low)
            return fail(
                SyncClientError(
                    .ownFork, "this replica's own event \(origin.short):\(dot.seq) differs from the server's",
                    event: dot))
        }
        var search = search
        search.step = .localHash
        state = .locatingFork(search)
        return .checkLocalHash(Dot(origin: origin, seq: search.middle))
    }

    private mutating func peerEventReceived(_ page: PullPage, local: SHA256Digest?, search: ForkSearch) -> Action {
        var search = search
        let middle = search.middle
        guard let event = page.events.first, event.origin == origin, event.seq == middle else {
            return fail(
                SyncClientError(
                    .badResponse, "the server did not send event \(origin.short):\(middle) when asked for it"))
        }
        if event.hash == local { search.low = middle + 1 } else { search.high = middle }
        return nextForkStep(search)
    }

    private mutating func nextPull(attempts: Int) -> Action {
        state = .pulling(attempts: attempts)
        return .pull(
            PullRequest(
                knowledge: localKnowledge, maxEvents: configuration.pullEvents, maxBytes: configuration.pullBytes))
    }

    private mutating func nextPush(attempts: Int) -> Action {
        state = .pushing(attempts: attempts)
        return .push(
            serverKnowledge: serverKnowledge, maxEvents: configuration.pushEvents, maxBytes: configuration.pushBytes)
    }

    private func foreignFork(_ dot: Dot) -> SyncClientError {
        SyncClientError(
            .server,
            "the events of replica \(dot.origin.short) differ here and on the server (at or before \(dot.origin.short):\(dot.seq)): "
                + "a copy of that replica wrote under its identity; run `archive-sync reidentify` on the copy, then sync it with both"
        )
    }

    private mutating func fail(_ error: SyncClientError) -> Action {
        state = .failed
        return .failed(error)
    }

    /// An input the state does not expect: only a driver that performs actions out of turn gives
    /// one, so the session stops rather than guess.
    private mutating func unexpected(_ input: String) -> Action {
        fail(
            SyncClientError(
                .local, "the sync session was given \(input) while \(state.description); the sync stopped (a bug)"))
    }
}

extension SyncSessionStateMachine.State: CustomStringConvertible {
    var description: String {
        switch self {
        case .idle: "not started"
        case .pulling: "pulling"
        case .applying: "applying a page"
        case .checkingHeads: "checking the heads"
        case .pushing: "pushing"
        case .locatingFork(let search):
            switch search.step {
            case .localHash: "locating a fork (waiting for a local hash)"
            case .peerEvent: "locating a fork (waiting for the server's event)"
            }
        case .finished: "finished"
        case .failed: "failed"
        }
    }
}
