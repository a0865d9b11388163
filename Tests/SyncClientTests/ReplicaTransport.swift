import ArchiveModel
import EventJournal
import Replica
import SyncClient
import WireProtocol

/// A `SyncTransport` that answers as `archive-sync serve` does, from a real replica in process,
/// and that a test scripts to misbehave: cut an answer mid-line, answer an error status, or not
/// answer at all. No sockets, no threads: each `send` is served before it returns.
final class ReplicaTransport: SyncTransport {
    /// What goes wrong with one request.
    enum Fault {
        /// The answer is served, then cut after its first `afterBytes` bytes.
        case cut(afterBytes: Int)
        /// An error answer with this status (503 `busy`, 500 `internal`), nothing served.
        case status(Int)
        /// No answer: the connection was refused.
        case unreachable
        /// None: served normally (to script a fault of a later request).
        case served
    }

    let server: Replica
    /// Faults of the next requests, in order; a request finding none left is served normally.
    var faults: [Fault] = []
    /// The server's clock, sent in each answer as its `Date` header would be (whole seconds).
    var serverClock: (() -> Int64)?
    /// The paths requested, in order.
    private(set) var requests: [String] = []
    /// The pulls served, in order.
    private(set) var pulls: [PullRequest] = []

    init(server: Replica, serverClock: (() -> Int64)? = nil) {
        self.server = server
        self.serverClock = serverClock
    }

    func send(_ request: HTTPRequest, maxResponseBytes: Int) throws -> HTTPResponse {
        requests.append(request.path)
        let fault = faults.isEmpty ? nil : faults.removeFirst()
        var response: HTTPResponse
        switch fault {
        case .unreachable:
            throw SyncClientError(.transport, "connection to the test server refused", isRetryable: true)
        case .status(let status):
            let error = WireProtocolError(status == 503 ? .busy : .internal, "scripted failure", status: status)
            response = HTTPResponse(status: status, body: Self.bytes(error.json))
        case .cut, .served, nil:
            do {
                response = HTTPResponse(status: 200, body: try serve(request))
            } catch {
                let wire = Self.wireError(error)
                response = HTTPResponse(status: wire.status, body: Self.bytes(wire.json))
            }
        }
        if response.body.count > maxResponseBytes {
            throw SyncClientError(.tooLarge, "the test server's answer is past \(maxResponseBytes) bytes")
        }
        if case .cut(let bytes) = fault {
            response.body = Array(response.body.prefix(bytes))
            response.complete = false
        }
        response.serverDate = serverClock.map { $0() / 1000 * 1000 }
        return response
    }

    private func serve(_ request: HTTPRequest) throws -> [UInt8] {
        switch request.path {
        case WireProtocol.Path.pull:
            let pull = try PullRequest(body: request.body ?? [], limits: .standard)
            pulls.append(pull)
            let events = try server.events(missingFrom: pull.knowledge, limit: pull.maxEvents, maxBytes: pull.maxBytes)
            var after = pull.knowledge
            for event in events { after[event.origin] = max(after[event.origin], event.seq) }
            let more = try !server.events(missingFrom: after, limit: 1).isEmpty
            let journal = server.journal
            let heads = try server.read { db in try journal.heads(db).mapValues(\.hash) }
            let identity = try server.identity()
            var body = EventBatch.encode(events)
            let trailer = PullTrailer(
                events: events.count, more: more, knowledge: try server.knowledge(), heads: heads,
                node: identity.origin, name: identity.name, digest: try server.digest().hex)
            if let challenge = pull.challenge {
                body += ServerProof.trailerLine(trailer, page: body, challenge: challenge, key: try server.signingKey())
            } else {
                trailer.json.write(to: &body, sortKeys: false)
            }
            body.append(0x0A)
            return body
        case WireProtocol.Path.push:
            var body = request.body ?? []
            if Gzip.isGzip(body) { body = try Gzip.decompress(body, limit: WireLimits.standard.maxDecompressedBytes) }
            let report = try server.apply(EventBatch.decode(body))
            return Self.bytes(
                PushResponse(
                    applied: report.appended, alreadyHeld: report.alreadyHeld, knowledge: try server.knowledge(),
                    digest: try server.digest().hex
                ).json)
        default:
            throw WireProtocolError(.notFound, "no route \(request.path) in the test server")
        }
    }

    /// The error the server answers for `error`: the journal's refusals under the SPEC.md code of
    /// the same name with the event (as SyncServer maps them where it catches them), the rest as
    /// WireProtocol maps it.
    private static func wireError(_ error: any Error) -> WireProtocolError {
        let refusals: Set<EventJournalError.Code> = [
            .gap, .brokenChain, .missingCausalPast, .fork, .clockNotAfterPast, .clockAhead, .badSignature,
        ]
        guard let error = error as? EventJournalError, refusals.contains(error.code) else {
            return WireProtocolError(mapping: error)
        }
        return WireProtocolError(
            WireProtocolError.Code(rawValue: error.code.rawValue), error.message, event: error.event?.description)
    }

    private static func bytes(_ json: JSONValue) -> [UInt8] {
        var out: [UInt8] = []
        json.write(to: &out, sortKeys: false)
        return out
    }
}
