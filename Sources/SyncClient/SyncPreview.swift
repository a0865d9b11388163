import ArchiveModel
import EventJournal
import Foundation
import Replica
import WireProtocol

/// What a sync with a server would pull and push, found without writing anything (`sync
/// --dry-run`): not the journal, not the record of syncs, not a peer's pin.
///
/// The pull side asks the server for pages as a sync does, each with a fresh challenge, and takes
/// a page only once the server proved who it is, is the pinned origin, and shows no event of this
/// replica's own origin unsigned by its key (`ServerIdentityCheck`, the checks of a sync). The
/// pages are not applied, so the knowledge each request sends is not what this replica holds:
/// they are asked for with `deltas: false` (whole values) and decoded without a base. The push
/// side is the events this replica holds beyond the knowledge the server's last trailer states.
/// Only counts, origins and articles are kept, never the events, so memory stays bounded by the
/// number of articles named. Blocking, like `SyncSession`.
package final class SyncPreview {
    /// The events of one origin that would travel.
    package struct OriginCount: Sendable, Equatable {
        package var origin: OriginID
        /// The name the replica gave itself, where known (its events, this replica's journal, or
        /// the server's own name).
        package var name: String?
        /// False when an event of it carries no signature (history from before events were signed).
        package var signed: Bool
        package var events: Int

        package init(origin: OriginID, name: String?, signed: Bool, events: Int) {
            self.origin = origin
            self.name = name
            self.signed = signed
            self.events = events
        }
    }

    /// The events of one article (one capture: a record of the journal) that would travel.
    package struct ArticleCount: Sendable, Equatable {
        package var id: ArticleID
        /// The last title these events set, else the title held here; nil when neither is known.
        package var title: String?
        package var events: Int
        /// The kinds of the events, in the order they first occur.
        package var kinds: [EventKind]

        package init(id: ArticleID, title: String?, events: Int, kinds: [EventKind]) {
            self.id = id
            self.title = title
            self.events = events
            self.kinds = kinds
        }
    }

    /// One direction: every origin and every article, in the order their events would travel.
    package struct Side: Sendable {
        package var events = 0
        package var origins: [OriginCount] = []
        package var articles: [ArticleCount] = []
    }

    /// What the dry run found.
    package struct Report: Sendable {
        package var serverName = ""
        package var serverNode: OriginID?
        package var serverKnowledge = VectorClock()
        package var serverDigest = ""
        package var localKnowledge = VectorClock()
        package var localDigest: SHA256Digest = .zero
        package var pull = Side()
        package var push = Side()
        /// Why a sync would stop before exchanging all of this (a fork, unsigned history it would
        /// not take), one sentence each; empty when nothing would stop it.
        package var stops: [String] = []
        package var requests = 0
        package var bytesSent = 0
        package var bytesReceived = 0
    }

    let replica: Replica
    let transport: any SyncTransport
    let configuration: SyncSessionStateMachine.Configuration
    let sleep: (Double) -> Void
    let pin: (peer: String, origin: OriginID)?
    let challenges: () -> [UInt8]
    let unsigned: EventJournal.UnsignedEvents
    private var own: (origin: OriginID, key: OriginKey?)?
    private var provenServer: OriginID?
    private var report = Report()

    /// The parameters mean what they mean for `SyncSession`.
    package init(
        replica: Replica, transport: any SyncTransport,
        configuration: SyncSessionStateMachine.Configuration = .init(),
        sleep: @escaping (Double) -> Void = { Thread.sleep(forTimeInterval: $0) },
        pin: (peer: String, origin: OriginID)? = nil, challenges: @escaping () -> [UInt8] = ServerProof.challenge,
        unsigned: EventJournal.UnsignedEvents = .refuse
    ) {
        self.replica = replica
        self.transport = transport
        self.configuration = configuration
        self.sleep = sleep
        self.pin = pin
        self.challenges = challenges
        self.unsigned = unsigned
    }

    /// Finds what a sync would exchange. Throws what a sync throws before it would apply anything:
    /// a server that does not prove itself or is not the pinned one (`unprovenServer`,
    /// `serverChanged`), this replica itself (`sameIdentity`), a forged event of this replica's
    /// origin, a refusal or an unreadable answer, a recorded fork or a misplaced file. Writes
    /// nothing.
    package func run() throws -> Report {
        let identity = try ServerIdentityCheck.replicaMaySync(replica)
        own = (identity.origin, identity.key)
        report = Report()
        report.localKnowledge = try replica.knowledge()
        report.localDigest = try replica.digest()
        var pulled = Tally()
        let trailer = try pullAll(into: &pulled)
        report.serverName = trailer.name
        report.serverNode = trailer.node
        report.serverKnowledge = trailer.knowledge
        report.serverDigest = trailer.digest
        try findForks(heads: trailer.heads, firstPulled: pulled.firstEvents)
        var pushed = Tally()
        var basis = trailer.knowledge
        while true {
            let events = try replica.events(
                missingFrom: basis, limit: configuration.pushEvents, maxBytes: configuration.pushBytes)
            if events.isEmpty { break }
            pushed.add(events)
            for event in events where event.seq > basis[event.origin] { basis[event.origin] = event.seq }
        }
        var names = try replica.replicaNames().merging(pulled.names) { held, _ in held }
        if let node = trailer.node, names[node] == nil, !trailer.name.isEmpty { names[node] = trailer.name }
        report.pull = try pulled.side(names: names, replica: replica)
        report.push = try pushed.side(names: names, replica: replica)
        if unsigned == .refuse, let origin = report.pull.origins.first(where: { !$0.signed }) {
            report.stops.append(
                "the server holds events of origin \(origin.origin.hex) that carry no signatures (history written "
                    + "before events were signed): a sync stops there unless run with --accept-unsigned")
        }
        return report
    }

    // MARK: Pull

    /// Pulls every page the server would send, tallying each; returns the last page's trailer.
    private func pullAll(into tally: inout Tally) throws -> PullTrailer {
        var knowledge = report.localKnowledge
        while true {
            let request = PullRequest(
                knowledge: knowledge, maxEvents: configuration.pullEvents, maxBytes: configuration.pullBytes,
                deltas: false)
            let (page, trailer) = try retrying { try self.pull(request) }
            for event in page.events {
                // A server sends every origin's events in order from what the caller holds: anything
                // else would be refused by the journal, and a page that moves nothing would loop.
                guard event.seq == knowledge[event.origin] + 1 else {
                    throw SyncClientError(
                        .badResponse,
                        "the server sent event \(event.origin.short):\(event.seq) out of order (after "
                            + "\(knowledge[event.origin])); a sync would refuse the page")
                }
                knowledge[event.origin] = event.seq
            }
            tally.add(page.events)
            if !trailer.more { return trailer }
        }
    }

    /// One page with its proof checked: the request's challenge is fresh, its trailer must be there.
    private func pull(_ request: PullRequest) throws -> (PullPage, PullTrailer) {
        var pull = request
        let challenge = challenges()
        pull.challenge = challenge
        var body: [UInt8] = []
        pull.json.write(to: &body, sortKeys: false)
        let response = try exchange(
            HTTPRequest(
                method: .post, path: WireProtocol.Path.pull,
                headers: Self.headers + [("Content-Type", WireProtocol.jsonContentType)], body: body),
            maxResponseBytes: PageDecoder.responseLimit(for: pull))
        let page: PullPage
        do {
            page = try PageDecoder.page(response.body, request: pull, bases: nil)
        } catch let error as WireProtocolError {
            if !response.complete {
                throw SyncClientError(.transport, "the pull page was cut off", isRetryable: true)
            }
            throw SyncClientError(.badResponse, "the server sent a page that cannot be read: \(error.message)")
        }
        guard let trailer = page.trailer else {
            // Nothing of a page without its proof is taken, not even to be counted: ask again.
            throw SyncClientError(.transport, "the pull page was cut off before its end", isRetryable: true)
        }
        provenServer = try ServerIdentityCheck.server(
            trailer, body: response.body, challenge: challenge, pin: pin, provenEarlier: provenServer)
        try ServerIdentityCheck.ownEvents(page.events, own: own)
        if let own, trailer.node == own.origin {
            throw SyncClientError(
                .sameIdentity,
                "the server is this replica or a copy of it (both have origin \(own.origin.short)); run "
                    + "`archive-sync reidentify` on the copy")
        }
        if trailer.more, page.events.isEmpty {
            throw SyncClientError(.badResponse, "the server said events were left but sent none", isRetryable: true)
        }
        return (page, trailer)
    }

    /// Forks the knowledge vectors cannot show, as a sync would find them before it pushes: a
    /// server's last event of an origin that is another event here, or a first event pulled of an
    /// origin that does not follow this replica's last one.
    private func findForks(heads: [OriginID: SHA256Digest], firstPulled: [Event]) throws {
        var forks: [Dot] = []
        for (origin, hash) in try replica.hashes(ofEventsEnding: report.serverKnowledge).sorted(by: { $0.key < $1.key })
        where heads[origin].map({ $0 != hash }) ?? false {
            forks.append(Dot(origin: origin, seq: report.serverKnowledge[origin]))
        }
        for event in firstPulled where event.seq > 1 {
            let previous = Dot(origin: event.origin, seq: event.seq - 1)
            if let held = try replica.hash(of: previous), held != event.prev { forks.append(previous) }
        }
        for dot in forks {
            let whose =
                dot.origin == own?.origin ? "this replica's own events" : "the events of origin \(dot.origin.hex)"
            report.stops.append(
                "\(whose) differ here and on the server at or before \(dot.origin.short):\(dot.seq): a sync "
                    + (dot.origin == own?.origin
                        ? "locates the fork, records it and refuses further writes until `archive-sync reidentify`"
                        : "stops there (a copy of that replica wrote under its identity; reidentify the copy)"))
        }
    }

    // MARK: Requests

    private static var headers: [(name: String, value: String)] {
        [(WireProtocol.versionHeader, String(WireProtocol.version))]
    }

    private func exchange(_ request: HTTPRequest, maxResponseBytes: Int) throws -> HTTPResponse {
        report.requests += 1
        let response = try transport.send(request, maxResponseBytes: maxResponseBytes)
        report.bytesSent += response.bytesSent
        report.bytesReceived += response.bytesReceived
        guard response.status == 200 else {
            throw SyncClientError.refusal(of: request.path, status: response.status, body: response.body)
        }
        return response
    }

    /// `body`, repeated after a growing pause when it fails in a way a retry may mend, as a sync
    /// repeats a request.
    private func retrying<T>(_ body: () throws -> T) throws -> T {
        var attempts = 0
        while true {
            do {
                return try body()
            } catch let error as SyncClientError where error.isRetryable && attempts + 1 < configuration.maxAttempts {
                sleep(min(30, configuration.firstDelay * Double(1 << attempts)))
                attempts += 1
            }
        }
    }
}

/// The origins and articles of the events seen, in the order seen.
private struct Tally {
    var events = 0
    var origins: [OriginID: (index: Int, count: SyncPreview.OriginCount)] = [:]
    var articles: [ArticleID: (index: Int, count: SyncPreview.ArticleCount)] = [:]
    /// The names events carry (an origin's first event names its replica).
    var names: [OriginID: String] = [:]
    /// The first event seen of each origin.
    var firstEvents: [Event] = []

    mutating func add(_ batch: [Event]) {
        for event in batch {
            events += 1
            if let name = event.name { names[event.origin] = name }
            if var entry = origins[event.origin] {
                entry.count.events += 1
                entry.count.signed = entry.count.signed && event.signature != nil
                origins[event.origin] = entry
            } else {
                firstEvents.append(event)
                origins[event.origin] = (
                    index: origins.count,
                    count: SyncPreview.OriginCount(
                        origin: event.origin, name: nil, signed: event.signature != nil, events: 1)
                )
            }
            var entry =
                articles[event.article]
                ?? (
                    index: articles.count,
                    count: SyncPreview.ArticleCount(id: event.article, title: nil, events: 0, kinds: [])
                )
            entry.count.events += 1
            if !entry.count.kinds.contains(event.kind) { entry.count.kinds.append(event.kind) }
            for case .set(.title, .text(let title)) in event.changes { entry.count.title = title }
            articles[event.article] = entry
        }
    }

    /// The side these events make, names and missing titles filled in from `names` and `replica`.
    func side(names: [OriginID: String], replica: Replica) throws -> SyncPreview.Side {
        var side = SyncPreview.Side()
        side.events = events
        side.origins = origins.values.sorted { $0.index < $1.index }.map {
            var count = $0.count
            count.name = names[count.origin]
            return count
        }
        var articles = articles.values.sorted { $0.index < $1.index }.map(\.count)
        let held = try replica.titles(ofCaptures: articles.filter { $0.title == nil }.map(\.id))
        for index in articles.indices where articles[index].title == nil {
            articles[index].title = held[articles[index].id]
        }
        side.articles = articles
        return side
    }
}
