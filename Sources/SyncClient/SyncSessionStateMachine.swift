import ArchiveModel
import EventJournal
import WireProtocol

/// The sync session as a value: what happened goes in, what to do next comes out.
///
/// The order is: pull pages of the events this replica lacks until the server says nothing is
/// left (each page's trailer also says who the server is and what it holds, so no other request
/// is needed); compare the hashes that end each origin's chain here and there (a fork the
/// vectors cannot show); then push batches of the events the server lacks until none are left. A transport failure or a retryable server error repeats the
/// last request after a growing pause, a few times; a page cut off mid-way keeps its whole lines
/// and asks again. The knowledge vectors are the only state that matters: a session that stops
/// anywhere can simply be started again. No sockets here: `SyncSession` performs the actions.
public struct SyncSessionStateMachine: Sendable {
    public struct Configuration: Sendable {
        public var pullEvents = 1_000
        public var pullBytes = 4 << 20
        public var pushEvents = 1_000
        public var pushBytes = 4 << 20
        /// Attempts of one request before the session gives up.
        public var maxAttempts = 6
        /// The first pause before a retry, doubled each time (capped at 30 s).
        public var firstDelay = 0.5
        public init() {}
    }

    /// What the driver must do next.
    public enum Action: Sendable {
        case pull(PullRequest)
        /// Apply these events locally in one transaction, then call `applied`.
        case apply([Event])
        /// Look up the hash of event (origin, seq) here for every entry of the server's knowledge
        /// this replica holds, then call `headsChecked`.
        case checkHeads(serverKnowledge: VectorClock)
        /// Send the events the server lacks, given what it holds, in batches of at most these sizes;
        /// call `pushed` with the answer, or `nothingToPush`.
        case push(serverKnowledge: VectorClock, maxEvents: Int, maxBytes: Int)
        /// Wait, then repeat the last request.
        case retry(after: Double, because: SyncClientError)
        /// This replica's own events and the server's differ at or before `upTo`: find the first
        /// seq where they do (comparing hashes, `upTo` known to differ) and call `forkLocated`.
        case locateFork(origin: OriginID, upTo: Int, serverKnowledge: VectorClock)
        case finished
        case failed(SyncClientError)
    }

    private enum Phase: Sendable { case idle, pulling, applying, checking, pushing, done }

    public let origin: OriginID
    public let configuration: Configuration
    public private(set) var localKnowledge: VectorClock
    public private(set) var serverKnowledge = VectorClock()
    public private(set) var serverHeads: [OriginID: SHA256Digest] = [:]
    public private(set) var serverName = ""
    public private(set) var serverNode: OriginID?
    /// The server's digest as last reported (by a pull trailer or a push answer).
    public private(set) var serverDigest = ""
    /// Events of this replica's own origin the server held and this replica did not (it was
    /// restored from an older copy): they come back with the pull.
    public private(set) var ownEventsBehind = 0
    public private(set) var pulledEvents = 0
    public private(set) var pushedEvents = 0
    private var phase = Phase.idle
    private var attempts = 0
    private var pendingMore = false
    private var pendingComplete = true

    public init(origin: OriginID, localKnowledge: VectorClock, configuration: Configuration = Configuration()) {
        self.origin = origin
        self.localKnowledge = localKnowledge
        self.configuration = configuration
    }

    public mutating func start() -> Action {
        nextPull()
    }

    public mutating func pullReceived(_ page: PullPage) -> Action {
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
        pendingMore = page.trailer?.more ?? true
        pendingComplete = page.trailer != nil
        if pendingComplete, pendingMore, page.events.isEmpty {
            return requestFailed(
                SyncClientError(.badResponse, "the server said events were left but sent none", isRetryable: true))
        }
        if !page.events.isEmpty {
            phase = .applying
            return .apply(page.events)
        }
        return afterPage(progress: false)
    }

    /// The hashes here of the events that end the server's chains (see `checkHeads`): a different
    /// hash is a fork that the knowledge vectors alone cannot show.
    public mutating func headsChecked(localHashes: [OriginID: SHA256Digest]) -> Action {
        for (other, hash) in localHashes.sorted(by: { $0.key < $1.key }) {
            guard let theirs = serverHeads[other], theirs != hash else { continue }
            let seq = serverKnowledge[other]
            if other == origin {
                return .locateFork(origin: origin, upTo: seq, serverKnowledge: serverKnowledge)
            }
            return fail(foreignFork(Dot(origin: other, seq: seq)))
        }
        phase = .pushing
        return .push(
            serverKnowledge: serverKnowledge, maxEvents: configuration.pushEvents, maxBytes: configuration.pushBytes)
    }

    /// The first seq of this replica's own origin where it and the server differ.
    public mutating func forkLocated(at seq: Int) -> Action {
        let dot = Dot(origin: origin, seq: seq)
        return fail(
            SyncClientError(
                .ownFork, "this replica's own event \(origin.short):\(seq) differs from the server's", event: dot))
    }

    public mutating func applied(_ events: [Event], knowledge: VectorClock) -> Action {
        localKnowledge = knowledge
        pulledEvents += events.count
        return afterPage(progress: true)
    }

    public mutating func applyFailed(_ error: any Error) -> Action {
        if let journalError = error as? EventJournalError, let dot = journalError.event,
            journalError.code == .fork || journalError.code == .brokenChain
        {
            // A fork shows at the event itself; a broken chain at the event before it.
            let differing = journalError.code == .fork ? dot.seq : dot.seq - 1
            if dot.origin == origin, differing >= 1 {
                return .locateFork(origin: origin, upTo: differing, serverKnowledge: serverKnowledge)
            }
            return fail(foreignFork(Dot(origin: dot.origin, seq: differing)))
        }
        return fail(SyncClientError(.local, "a pulled page could not be applied here: \(error)"))
    }

    private func foreignFork(_ dot: Dot) -> SyncClientError {
        SyncClientError(
            .server,
            "the events of replica \(dot.origin.short) differ here and on the server (at or before \(dot.origin.short):\(dot.seq)): "
                + "a copy of that replica wrote under its identity; run `archive-sync reidentify` on the copy, then sync it with both"
        )
    }

    public mutating func pushed(_ response: PushResponse, events: Int) -> Action {
        attempts = 0
        pushedEvents += response.applied
        serverKnowledge = response.knowledge
        if !response.digest.isEmpty { serverDigest = response.digest }
        return .push(
            serverKnowledge: serverKnowledge, maxEvents: configuration.pushEvents, maxBytes: configuration.pushBytes)
    }

    public mutating func nothingToPush() -> Action {
        phase = .done
        return .finished
    }

    /// A request failed: retried when it may help, else the session fails. A fork of this
    /// replica's own origin, answered by the server to a push, is reported as `.ownFork`.
    public mutating func requestFailed(_ error: SyncClientError) -> Action {
        if let server = error.server, server.code == .fork || server.code == .brokenChain, let text = server.event,
            let (prefix, seq) = Dot.parse(text), let forkOrigin = OriginID(hex: prefix), forkOrigin == origin
        {
            // A fork shows at the event itself; a broken chain at the event before it.
            let differing = server.code == .fork ? seq : seq - 1
            if differing >= 1 { return .locateFork(origin: origin, upTo: differing, serverKnowledge: serverKnowledge) }
        }
        guard error.isRetryable, attempts + 1 < configuration.maxAttempts else { return fail(error) }
        attempts += 1
        let delay = min(30, configuration.firstDelay * Double(1 << (attempts - 1)))
        return .retry(after: delay, because: error)
    }

    private mutating func afterPage(progress: Bool) -> Action {
        if !pendingComplete {
            // The page was cut off: ask again from where we are now; give up if nothing moves.
            if progress {
                attempts = 0
            } else {
                let error = SyncClientError(.transport, "the pull page was cut off before its end", isRetryable: true)
                return requestFailed(error)
            }
            return nextPull()
        }
        if pendingMore { return nextPull() }
        phase = .checking
        return .checkHeads(serverKnowledge: serverKnowledge)
    }

    private mutating func nextPull() -> Action {
        phase = .pulling
        return .pull(
            PullRequest(
                knowledge: localKnowledge, maxEvents: configuration.pullEvents, maxBytes: configuration.pullBytes))
    }

    private mutating func fail(_ error: SyncClientError) -> Action {
        phase = .done
        return .failed(error)
    }
}
