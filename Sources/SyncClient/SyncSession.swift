import ArchiveModel
import EventJournal
import Foundation
import Replica
import SyncBookkeeping
import WireProtocol

/// What a finished (or failed) sync did.
package struct SyncReport: Sendable {
    package var serverName: String = ""
    package var serverNode: OriginID?
    package var pulledEvents = 0
    package var pushedEvents = 0
    package var bytesSent = 0
    package var bytesReceived = 0
    package var requests = 0
    package var retries = 0
    /// This replica's own events it had lost (restored from an older copy) and pulled back.
    package var ownEventsRecovered = 0
    /// Whether this replica was a backup restored in place, settled by this sync (it writes again).
    package var restoreSettled = false
    package var knowledge = VectorClock()
    package var digest: SHA256Digest = .zero
    package var serverDigest = ""
    /// The server's clock minus this one, in milliseconds, as last measured (nil when the server
    /// sent no `Date` header). Reported only: a clock never stops a sync (protocol/CLOCKS.md).
    package var clockSkew: Int64?
    /// How far the latest-dated event pulled was ahead of this clock, in milliseconds (0 when
    /// none was): a wrong clock at the replica that wrote it, or here.
    package var eventsAhead: Int64 = 0
    /// The server's knowledge vector as it last reported it (a pull page's trailer, or the answer
    /// to the last push), also when the sync failed; nil when it reported none.
    package var serverKnowledge: VectorClock?
    package init() {}
}

extension SyncReport {
    /// The record `status` keeps of this sync with `peer`: what moved, and where both sides stood
    /// as it ended (this replica as read now, the server as it last said), when the server said
    /// what it held; else the record keeps the last contact's.
    package func record(
        peer: String, startedAt: Int64, finishedAt: Int64, result: String, replica: Replica
    ) -> SyncRecord {
        var contact: SyncContact?
        if let serverKnowledge, let knowledge = try? replica.knowledge(), let digest = try? replica.digest() {
            contact = SyncContact(
                at: finishedAt, localKnowledge: knowledge, serverKnowledge: serverKnowledge, localDigest: digest.hex,
                serverDigest: serverDigest, serverOrigin: serverNode?.hex)
        }
        return SyncRecord(
            peer: peer, startedAt: startedAt, finishedAt: finishedAt, sentEvents: pushedEvents, sentBytes: bytesSent,
            receivedEvents: pulledEvents, receivedBytes: bytesReceived, result: result, clockSkew: clockSkew,
            eventsAhead: eventsAhead, contact: contact)
    }
}

/// Progress of a running sync, for the terminal.
package struct SyncProgress: Sendable {
    package enum Phase: String, Sendable { case connecting, pulling, pushing }
    package var phase: Phase
    package var pulledEvents: Int
    package var pushedEvents: Int
    package var bytesSent: Int
    package var bytesReceived: Int
}

/// Runs one sync between a replica and a server: drives `SyncSessionStateMachine` with a
/// transport and the replica. Blocking; for the command line and tests.
package final class SyncSession {
    let replica: Replica
    let transport: any SyncTransport
    let configuration: SyncSessionStateMachine.Configuration
    let progress: (SyncProgress) -> Void
    let sleep: (Double) -> Void
    let wallClock: () -> Int64
    /// The named peer and the origin its server must be (pinned at the first sync with it); nil
    /// takes any server that proves who it is.
    let pin: (peer: String, origin: OriginID)?
    /// Makes each pull's challenge (random; fixed in tests that replay a canned answer).
    let challenges: () -> [UInt8]
    /// Whether events of unsigned origins (history from before events were signed) are taken
    /// from pages the server proved; never from a page cut off before its proof.
    let unsigned: EventJournal.UnsignedEvents
    /// The origin the server proved in this session, and whether the last page pulled carried
    /// that proof.
    private var provenServer: OriginID?
    /// This replica's origin and key, read once when the session starts.
    private var own: (origin: OriginID, key: OriginKey?)?
    private var lastPageProven = false
    /// How long the session's first pull asks the server to hold its answer while it has nothing
    /// new, in milliseconds (a long poll, for `watch`); 0 asks at once. The wait may be stopped
    /// from this side through the transport (`TransferInterrupter`): the pull is then sent again
    /// without it and the session goes on.
    package var firstPullWait = 0
    private var waitPending = false
    /// Whether the server refused to hold this session's first pull (`wait_ms`): it does not speak
    /// long polls, and was asked again at once.
    package private(set) var waitRefused = false
    /// Asked before each step: true stops the session there, between two batches (what was
    /// applied stays applied), throwing `.interrupted`.
    package var shouldStop: () -> Bool = { false }

    /// `wallClock` is the clock the server's is compared with (this machine's, but in tests).
    package init(
        replica: Replica, transport: any SyncTransport,
        configuration: SyncSessionStateMachine.Configuration = .init(),
        progress: @escaping (SyncProgress) -> Void = { _ in },
        sleep: @escaping (Double) -> Void = { Thread.sleep(forTimeInterval: $0) },
        wallClock: @escaping () -> Int64 = Replica.systemClock, pin: (peer: String, origin: OriginID)? = nil,
        challenges: @escaping () -> [UInt8] = ServerProof.challenge, unsigned: EventJournal.UnsignedEvents = .refuse
    ) {
        self.unsigned = unsigned
        self.pin = pin
        self.challenges = challenges
        self.replica = replica
        self.transport = transport
        self.configuration = configuration
        self.progress = progress
        self.sleep = sleep
        self.wallClock = wallClock
    }

    /// Syncs until both sides hold the same events; throws `SyncClientError` when it cannot.
    ///
    /// A fork of this replica's own origin is recorded in the replica (so that it refuses local
    /// writes until `reidentify`) before the error is thrown. `report` holds what was done, even
    /// when it throws.
    package private(set) var report = SyncReport()

    package func run() throws -> SyncReport {
        let identity = try ServerIdentityCheck.replicaMaySync(replica)
        own = (identity.origin, identity.key)
        var machine = SyncSessionStateMachine(
            origin: identity.origin, localKnowledge: try replica.knowledge(), configuration: configuration)
        // Who the server proved to be and what it last said it held, kept however the session ends.
        defer {
            if machine.serverNode != nil {
                report.serverNode = machine.serverNode
                report.serverKnowledge = machine.serverKnowledge
                report.serverDigest = machine.serverDigest
            }
        }
        var action = machine.start()
        waitPending = firstPullWait > 0
        var pending: Pending?
        // A pulled page is applied on a thread of its own while the next one is asked for (the
        // server reads and sends it meanwhile); the next page is decoded once that apply ended,
        // since its deltas may be based on those events. Whatever ends the session waits for it.
        var inFlight: PendingApply?
        defer { _ = inFlight?.wait() }
        /// Waits for the page being applied; when it failed, the machine goes back to where it
        /// was before it heard the page was applied, and hears of the failure instead.
        func settle() throws -> SyncSessionStateMachine.Action? {
            guard let job = inFlight else { return nil }
            inFlight = nil
            switch job.wait() {
            case .success(let applied):
                report.eventsAhead = max(report.eventsAhead, applied.furthestAhead)
                return nil
            case .failure(let error):
                machine = job.machineBefore
                return try applyFailed(error, &machine, pageProven: job.pageProven)
            }
        }
        var batcher: PushBatcher?
        var phase = SyncProgress.Phase.connecting
        func show() {
            progress(
                SyncProgress(
                    phase: phase, pulledEvents: machine.pulledEvents, pushedEvents: machine.pushedEvents,
                    bytesSent: report.bytesSent, bytesReceived: report.bytesReceived))
        }

        while true {
            show()
            // The page being applied is waited for before anything but a pull (asked for while it
            // is applied: see `inFlight`), and before stopping.
            let stopping = shouldStop()
            var pulling = false
            if case .pull = action { pulling = true }
            if stopping || !pulling, let failed = try settle() {
                action = failed
                continue
            }
            if stopping { throw SyncClientError(.interrupted, "the sync was stopped between two batches") }
            switch action {
            case .pull(let pull):
                phase = .pulling
                pending = .pull(pull)
                guard inFlight != nil else {
                    action = step(&machine, .pull(pull))
                    continue
                }
                let fetched = Result { try fetch(pull) }
                if let failed = try settle() {
                    action = failed
                    continue
                }
                action = received(&machine) { try self.finish(fetched.get()) }
            case .apply(let events):
                // The knowledge once the page is applied: all of it or none is (a failure takes
                // the machine back, in `settle`).
                var knowledge: VectorClock
                do { knowledge = try replica.knowledge() } catch {
                    throw SyncClientError(.local, "this replica's knowledge could not be read: \(error)")
                }
                for event in events where event.seq > knowledge[event.origin] { knowledge[event.origin] = event.seq }
                inFlight = PendingApply(
                    replica: replica, events: events, unsigned: lastPageProven ? unsigned : .refuse,
                    pageProven: lastPageProven, machineBefore: machine)
                action = machine.applied(events, knowledge: knowledge)
            case .push(let serverKnowledge, let maxEvents, let maxBytes):
                phase = .pushing
                if batcher == nil { batcher = PushBatcher(replica: replica, maxEvents: maxEvents, maxBytes: maxBytes) }
                let batch: PushBatcher.Batch?
                do {
                    batch = try batcher?.batch(after: serverKnowledge)
                } catch {
                    throw SyncClientError(.local, "the batch could not be prepared: \(error)")
                }
                guard let batch else {
                    action = machine.nothingToPush()
                    continue
                }
                batcher?.prepareNext(after: batch)
                pending = .push(batch)
                action = step(&machine, .push(batch))
            case .checkHeads(let serverKnowledge):
                action = machine.headsChecked(localHashes: try replica.hashes(ofEventsEnding: serverKnowledge))
            case .checkLocalHash(let dot):
                action = machine.localHashFound(try replica.hash(of: dot))
            case .pullPeerEvent(_, let pull):
                pending = .pull(pull)
                action = step(&machine, .pull(pull))
            case .retry(let delay, _):
                report.retries += 1
                sleep(delay)
                guard let pending else { throw SyncClientError(.badResponse, "nothing to retry") }
                action = step(&machine, pending)
            case .finished:
                report.pulledEvents = machine.pulledEvents
                report.pushedEvents = machine.pushedEvents
                report.ownEventsRecovered = machine.ownEventsBehind
                report.knowledge = try replica.knowledge()
                report.digest = try replica.digest()
                report.serverName = machine.serverName
                report.serverNode = machine.serverNode
                report.serverDigest = machine.serverDigest
                // Both sides hold the same events: a restored backup got back whatever of its own
                // later events this peer held, and writes again.
                report.restoreSettled = try replica.acceptRestore()
                report.serverKnowledge = machine.serverKnowledge
                show()
                return report
            case .failed(let error):
                report.pulledEvents = machine.pulledEvents
                report.pushedEvents = machine.pushedEvents
                if error.code == .ownFork, let dot = error.event {
                    try replica.recordFork(at: dot)
                    throw SyncClientError(.ownFork, Replica.forkMessage(dot), server: error.server, event: dot)
                }
                throw error
            }
        }
    }

    /// What the machine does when a page could not be applied; throws for unsigned history,
    /// which no retry or fork search mends.
    private func applyFailed(
        _ error: any Error, _ machine: inout SyncSessionStateMachine, pageProven: Bool
    ) throws -> SyncSessionStateMachine.Action {
        if let journalError = error as? EventJournalError, journalError.code == .unsigned {
            throw SyncClientError(
                .unsignedHistory,
                "the server sent events of origins that carry no signatures (history written before events "
                    + "were signed); nothing of that page was applied. Their authorship cannot be proven: "
                    + "take them only from a server you trust, with `sync --accept-unsigned`"
                    + (pageProven ? "" : " (and only from a page the server proved; this one was cut off)"))
        }
        return machine.applyFailed(error)
    }

    /// A pulled page being applied on a thread of its own, with the machine as it was before it
    /// heard of it.
    private final class PendingApply: @unchecked Sendable {
        let machineBefore: SyncSessionStateMachine
        let pageProven: Bool
        private let done = DispatchSemaphore(value: 0)
        private var result: Result<ApplyReport, any Error>?

        init(
            replica: Replica, events: [Event], unsigned: EventJournal.UnsignedEvents, pageProven: Bool,
            machineBefore: SyncSessionStateMachine
        ) {
            self.machineBefore = machineBefore
            self.pageProven = pageProven
            Thread {
                self.result = Result { try replica.apply(events, unsigned: unsigned) }
                self.done.signal()
            }.start()
        }

        /// The apply's outcome, once it has ended (any number of calls).
        func wait() -> Result<ApplyReport, any Error> {
            done.wait()
            done.signal()
            return result ?? .failure(SyncClientError(.local, "a page's apply ended without an outcome"))
        }
    }

    /// A request the session may have to repeat.
    private enum Pending {
        case pull(PullRequest)
        case push(PushBatcher.Batch)
    }

    /// Performs a request and feeds its answer to the machine; a `SyncClientError` becomes the
    /// machine's next action (a retry or a failure).
    private func step(_ machine: inout SyncSessionStateMachine, _ pending: Pending) -> SyncSessionStateMachine.Action {
        do {
            switch pending {
            case .pull(let request):
                return received(&machine) { try self.finish(self.fetch(request)) }
            case .push(let batch):
                let response = try push(batch.body)
                return machine.pushed(response, events: batch.events.count)
            }
        } catch let error as SyncClientError {
            return machine.requestFailed(error)
        } catch {
            return machine.requestFailed(SyncClientError(.local, "\(error)"))
        }
    }

    /// Feeds the machine the page `page` gives, or the error it throws.
    private func received(
        _ machine: inout SyncSessionStateMachine, _ page: () throws -> PullPage
    ) -> SyncSessionStateMachine.Action {
        do {
            return machine.pullReceived(try page())
        } catch let error as SyncClientError {
            return machine.requestFailed(error)
        } catch {
            return machine.requestFailed(SyncClientError(.local, "\(error)"))
        }
    }

    // MARK: Requests

    private var headers: [(name: String, value: String)] {
        [(WireProtocol.versionHeader, String(WireProtocol.version))]
    }

    private func exchange(_ request: HTTPRequest, maxResponseBytes: Int) throws -> HTTPResponse {
        report.requests += 1
        let sent = wallClock()
        let response = try transport.send(request, maxResponseBytes: maxResponseBytes)
        if let date = response.serverDate {
            // The header counts whole seconds: the server's time was within the second after it.
            let local = sent + (wallClock() - sent) / 2
            report.clockSkew = ClockSkew(other: date + 500, local: local).milliseconds
        }
        report.bytesSent += response.bytesSent
        report.bytesReceived += response.bytesReceived
        guard response.status == 200 else {
            let error = WireProtocolError(status: response.status, body: response.body)
            if error.code == .unsupportedVersion {
                throw SyncClientError(
                    .server,
                    "the server does not speak protocol version \(WireProtocol.version), the one this archive-sync "
                        + "speaks (it said: \(error.message)); run the same version of archive-sync on both sides",
                    server: error)
            }
            throw SyncClientError(
                .server, "the server refused \(request.path): \(error.message)", isRetryable: error.isRetryable,
                server: error)
        }
        return response
    }

    /// A pull's answer, not yet decoded, with the request as sent and its challenge.
    private struct Fetched {
        var response: HTTPResponse
        var pull: PullRequest
        var challenge: [UInt8]
    }

    /// Sends a pull and returns its answer (the first pull of a `watch` round may wait).
    private func fetch(_ asked: PullRequest) throws -> Fetched {
        var pull = asked
        let challenge = challenges()
        pull.challenge = challenge
        let waiting = waitPending
        waitPending = false
        if waiting { pull.waitMilliseconds = firstPullWait }
        var body: [UInt8] = []
        pull.json.write(to: &body, sortKeys: false)
        let request = HTTPRequest(
            method: .post, path: WireProtocol.Path.pull,
            headers: headers + [("Content-Type", WireProtocol.jsonContentType)], body: body, interruptible: waiting)
        let response: HTTPResponse
        do {
            response = try exchange(request, maxResponseBytes: PageDecoder.responseLimit(for: pull))
        } catch SyncClientError.Code.interrupted where waiting {
            // Stopped from this side: ask again at once, without waiting (unless the session stops).
            if shouldStop() { throw SyncClientError(.interrupted, "the sync was stopped between two batches") }
            return try fetch(asked)
        } catch let error as SyncClientError
            where waiting && error.server?.code == .malformedRequest
            && error.server?.message.contains("wait_ms") == true
        {
            // A server that does not hold pulls (an older archive-sync) refuses wait_ms: ask again
            // without it; the caller learns it from `waitRefused`.
            waitRefused = true
            return try fetch(asked)
        }
        return Fetched(response: response, pull: pull, challenge: challenge)
    }

    /// Decodes a pull's answer and checks who sent it and what it holds of this replica's own.
    private func finish(_ fetched: Fetched) throws -> PullPage {
        let (response, pull, challenge) = (fetched.response, fetched.pull, fetched.challenge)
        let page = try decodePage(response, pull)
        lastPageProven = false
        if let trailer = page.trailer {
            try checkIdentity(trailer, body: response.body, challenge: challenge)
            lastPageProven = true
        }
        try checkOwnEvents(page.events)
        return page
    }

    /// Refuses a page holding an event of this replica's own origin that its key did not sign:
    /// no server can show this replica a "fork" of its own events without its key.
    private func checkOwnEvents(_ events: [Event]) throws {
        try ServerIdentityCheck.ownEvents(events, own: own)
    }

    /// Refuses a page whose server does not prove it holds the key of the origin it names (its
    /// signature of the challenge and of the page), that is not the pinned one, or that is not the
    /// one that proved itself earlier in this session.
    private func checkIdentity(_ trailer: PullTrailer, body: [UInt8], challenge: [UInt8]) throws {
        provenServer = try ServerIdentityCheck.server(
            trailer, body: body, challenge: challenge, pin: pin, provenEarlier: provenServer)
    }

    private func decodePage(_ response: HTTPResponse, _ pull: PullRequest) throws -> PullPage {
        do {
            return try replica.decodingDeltas { valueSetBy in
                // The page is decoded before `decodingDeltas` returns: the lookup does not escape.
                try withoutActuallyEscaping(valueSetBy) { valueSetBy in
                    try PageDecoder.page(response.body, request: pull) { dot, field in
                        do {
                            return try valueSetBy(dot, field).map {
                                ValueDelta.Base(article: $0.article, hash: $0.hash, value: $0.value)
                            }
                        } catch let error as EventJournalError {
                            // A held event that cannot be read: said as the journal says it.
                            throw WireProtocolError(
                                .internal, error.message, event: error.event.map { "\($0.origin.hex):\($0.seq)" },
                                underlying: error)
                        }
                    }
                }
            }
        } catch let error as WireProtocolError {
            if error.code == .fork {
                // A delta based on an event this replica holds differently: a fork, located next.
                throw SyncClientError(.server, error.message, server: error)
            }
            if !response.complete {
                throw SyncClientError(.transport, "the pull page was cut off", isRetryable: true)
            }
            throw SyncClientError(.badResponse, "the server sent a page that cannot be read: \(error.message)")
        }
    }

    private func push(_ body: [UInt8]) throws -> PushResponse {
        let request = HTTPRequest(
            method: .post, path: WireProtocol.Path.push,
            headers: headers + [("Content-Type", WireProtocol.ndjsonContentType), ("Content-Encoding", "gzip")],
            body: body)
        let response = try exchange(request, maxResponseBytes: 1 << 20)
        guard response.complete else {
            throw SyncClientError(.transport, "the push answer was cut off", isRetryable: true)
        }
        do {
            return try PushResponse(json: JSONParser.parse(response.body))
        } catch {
            throw SyncClientError(.badResponse, "the server's push answer cannot be read: \(error)")
        }
    }
}
