import ArchiveModel
import EventJournal
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Replica
import WireProtocol

/// The endpoints of protocol/SPEC.md over one replica: the four of the protocol and `/metrics`.
struct SyncRoutes: Sendable {
    let replica: Replica
    let limits: WireLimits
    let allowAnonymous: Bool
    /// How long a request body may take to arrive (SPEC.md, Limits).
    let bodyTimeout: Duration
    /// Whether pushed events of unsigned origins are taken.
    let acceptUnsigned: Bool
    /// The key the server signs clients' challenges with (nil: it proves nothing, and clients refuse it).
    let signingKey: SigningKey?
    /// Wakes waiting pulls when a push adds events.
    let bell: ChangeBell
    /// The version of archive-sync, as `/v1/health` tells it.
    let version: String
    let metrics: ServerMetrics
    let logger: Logger
    /// At most two pushes are decoded and applied at once (each may rebuild to 64 MiB). A push
    /// enters only once its body has arrived, so stalled uploads never hold it.
    let pushGate = ConcurrencyGate(width: 2)

    static let versionHeader: HTTPField.Name = {
        guard let name = HTTPField.Name(WireProtocol.versionHeader) else {
            preconditionFailure("WireProtocol.versionHeader is a constant and a valid header field name")
        }
        return name
    }()
    /// Events read from the journal per step of a streamed pull page.
    static let pullStep = 200

    func register(on router: Router<SyncRequestContext>) {
        router.get(RouterPath(WireProtocol.Path.health)) { request, _ in
            await self.health(request)
        }
        // HEAD answers as GET without the body (load balancers probe with it).
        router.head(RouterPath(WireProtocol.Path.health)) { request, _ in
            let full = await self.health(request)
            return Response(status: full.status, headers: full.headers, body: ResponseBody())
        }
        router.get(RouterPath(WireProtocol.Path.info)) { request, _ in
            try await self.info(request)
        }
        router.post(RouterPath(WireProtocol.Path.push)) { request, _ in
            try await self.push(request)
        }
        router.post(RouterPath(WireProtocol.Path.pull)) { request, _ in
            try await self.pull(request)
        }
        router.get(RouterPath(Self.metricsPath)) { request, _ in
            try await self.scrape(request)
        }
    }

    /// Where the server's metrics are, on its own address or on `--metrics-bind`.
    static let metricsPath = "/metrics"

    // MARK: Endpoints

    func info(_ request: Request) async throws -> Response {
        try checkVersion(request)
        try await authorize(request, for: .read)
        let snapshot = try await replica.syncSnapshot()
        let info = InfoResponse(
            node: snapshot.origin, name: snapshot.name, knowledge: snapshot.knowledge, heads: snapshot.heads,
            events: snapshot.events, digest: snapshot.digest.hex, limits: limits)
        return try json(info.json, for: request)
    }

    /// Reads the whole body first (bounded in size and time), then decodes and applies it inside
    /// the push gate: the events the body rebuilds to are bounded by max_decompressed_bytes.
    func push(_ request: Request) async throws -> Response {
        try checkVersion(request)
        try await authorize(request, for: .write)
        let received = try await receive(request)
        guard !received.bytes.isEmpty else {
            throw WireProtocolError(.malformedRequest, "a push needs a body of at least one event line; it was empty")
        }
        return try await pushGate.run {
            let body = try self.decoded(received)
            let maxEvents = self.limits.maxPushEvents
            let maxExpanded = self.limits.maxDecompressedBytes
            let replica = self.replica
            // Delta-coded values are rebuilt from events this server holds, within the budget.
            let events = try await replica.decodingDeltas { heldValue in
                try EventBatch.decode(
                    body, maxEvents: maxEvents, maxExpandedBytes: maxExpanded,
                    bases: { dot, field in
                        // A stored event that cannot be read is the journal's error, mapped here.
                        do {
                            return try heldValue(dot, field).map {
                                ValueDelta.Base(article: $0.article, hash: $0.hash, value: $0.value)
                            }
                        } catch { throw WireProtocolError(caught: error) }
                    })
            }
            guard !events.isEmpty else {
                throw WireProtocolError(.malformedRequest, "a push needs at least one event line; the body held none")
            }
            let report: ApplyReport
            let start = ContinuousClock.now
            do {
                report = try await replica.apply(events, unsigned: self.acceptUnsigned ? .accept : .refuse)
                self.metrics.recordApply(start.duration(to: .now))
                RequestRecord.current?.note(pushed: report.appended + report.alreadyHeld)
            } catch ReplicaError.Code.busy {
                throw WireProtocolError(.busy, "the replica is busy with another writer; try again in a moment")
            } catch {
                throw WireProtocolError(caught: error, line: self.line(of: error, in: events))
            }
            if report.appended > 0 { self.bell.ring() }
            let (knowledge, digest) = try await replica.knowledgeAndDigest()
            return try self.json(
                PushResponse(
                    applied: report.appended, alreadyHeld: report.alreadyHeld, knowledge: knowledge, digest: digest.hex
                )
                .json, for: request)
        }
    }

    /// The line of the push batch that holds the event a journal error names.
    func line(of error: any Error, in events: [Event]) -> Int? {
        guard let dot = (error as? EventJournalError)?.event else { return nil }
        return events.firstIndex { $0.dot == dot }.map { $0 + 1 }
    }
}
