import ArchiveModel
import EventJournal
import Foundation
import GRDB
import HTTPTypes
import Hummingbird
import NIOCore
import Replica
import WireProtocol

/// The four endpoints of protocol/SPEC.md over one replica.
struct SyncRoutes: Sendable {
    let replica: Replica
    let limits: WireLimits
    let allowAnonymous: Bool
    /// At most two pushes are decoded and applied at once (each may hold 64 MiB).
    let pushGate = ConcurrencyGate(width: 2)

    static let versionHeader = HTTPField.Name(WireProtocol.versionHeader)!
    /// Events read from the journal per step of a streamed pull page.
    static let pullStep = 200

    func register(on router: Router<BasicRequestContext>) {
        router.get(RouterPath(WireProtocol.Path.health)) { request, _ in
            try self.json(
                .object([("status", .string("ok")), ("protocol", .array([.integer(Int64(WireProtocol.version))]))]),
                for: request)
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
    }

    // MARK: Endpoints

    func info(_ request: Request) async throws -> Response {
        try checkVersion(request)
        try await authorize(request, for: .read)
        let limits = self.limits
        let info = try await replica.read { db in
            let identity = try self.replica.identity(db)
            let heads = try self.replica.journal.heads(db)
            return InfoResponse(
                node: identity.origin, name: identity.name, knowledge: try self.replica.journal.knowledge(db),
                heads: heads.mapValues(\.hash), events: try self.replica.journal.count(db),
                digest: try self.replica.projector.digest(db).hex,
                limits: limits)
        }
        return try json(info.json, for: request)
    }

    func push(_ request: Request) async throws -> Response {
        try checkVersion(request)
        try await authorize(request, for: .write)
        return try await pushGate.run {
            let body = try await self.body(of: request)
            let maxEvents = self.limits.maxPushEvents
            let replica = self.replica
            let journal = replica.journal
            // Delta-coded values are rebuilt from events this server holds.
            let events = try await replica.read { db in
                try EventBatch.decode(body, maxEvents: maxEvents) { dot, field in
                    try journal.value(setBy: dot, field: field, db)
                }
            }
            let report: ApplyReport
            do {
                report = try await replica.apply(events)
            } catch let error as DatabaseError
                where error.resultCode == .SQLITE_BUSY || error.resultCode == .SQLITE_LOCKED
            {
                throw WireProtocolError(.busy, "the replica is busy with another writer; try again in a moment")
            } catch {
                throw WireProtocolError(mapping: error, line: self.line(of: error, in: events))
            }
            let (knowledge, digest) = try await replica.read { db in
                (try journal.knowledge(db), try replica.projector.digest(db))
            }
            return try self.json(
                PushResponse(
                    applied: report.appended, alreadyHeld: report.alreadyHeld, knowledge: knowledge, digest: digest.hex
                )
                .json, for: request)
        }
    }

    func pull(_ request: Request) async throws -> Response {
        try checkVersion(request)
        try await authorize(request, for: .read)
        let pull = try PullRequest(body: try await body(of: request), limits: limits)
        let gzip = acceptsGzip(request)
        let replica = self.replica
        let body = ResponseBody { writer in
            // Streamed in steps: neither side holds more than one page, and the server holds
            // one step. A failure mid-way ends the page without its trailer: the client asks again.
            var vector = pull.knowledge
            var sent = 0
            var bytes = 0
            let stream = gzip ? try Gzip.Stream() : nil
            while sent < pull.maxEvents, bytes < pull.maxBytes {
                let limit = min(Self.pullStep, pull.maxEvents - sent)
                let budget = pull.maxBytes - bytes
                let step = vector
                let known = pull.knowledge
                let (events, lines) = try await replica.read { db in
                    let events = try replica.journal.events(missingFrom: step, limit: limit, maxBytes: budget, db).map(
                        \.event)
                    // Long values the caller can rebuild from what it held when it asked go as deltas.
                    guard pull.deltas else { return (events, EventBatch.encode(events)) }
                    let lines = try EventBatch.encode(events) { event, field in
                        try replica.journal.base(for: event, field: field, coveredBy: known, db)
                    }
                    return (events, lines)
                }
                guard let first = events.first, sent == 0 || first.payload.count <= budget else { break }
                let chunk = lines
                for event in events {
                    vector[event.origin] = event.seq
                    sent += 1
                    bytes += event.payload.count
                }
                try await writer.write(try stream?.write(chunk) ?? ByteBuffer(bytes: chunk))
            }
            let (reached, count) = (vector, sent)
            let trailerLine = try await replica.read { db in
                let identity = try replica.identity(db)
                let heads = try replica.journal.heads(db)
                let knowledge = VectorClock(heads.mapValues(\.seq))
                let more = knowledge.entries.contains { $0.value > reached[$0.key] }
                return PullTrailer(
                    events: count, more: more, knowledge: knowledge, heads: heads.mapValues(\.hash),
                    node: identity.origin,
                    name: identity.name, digest: try replica.projector.digest(db).hex)
            }
            var trailer: [UInt8] = []
            trailerLine.json.write(to: &trailer, sortKeys: false)
            trailer.append(0x0A)
            if let stream {
                var last = try stream.write(trailer)
                var tail = try stream.finish()
                last.writeBuffer(&tail)
                try await writer.write(last)
            } else {
                try await writer.write(ByteBuffer(bytes: trailer))
            }
            try await writer.finish(nil)
        }
        var headers: HTTPFields = [.contentType: WireProtocol.ndjsonContentType]
        if gzip { headers[.contentEncoding] = "gzip" }
        return Response(status: .ok, headers: headers, body: body)
    }

    // MARK: Checks

    func checkVersion(_ request: Request) throws {
        let supported = WireProtocol.supportedVersions.map(String.init).joined(separator: ", ")
        guard let value = request.headers[Self.versionHeader] else {
            throw WireProtocolError(
                .unsupportedVersion,
                "the request has no \(WireProtocol.versionHeader) header; this server speaks protocol version \(supported)"
            )
        }
        guard let version = Int(value.trimmingCharacters(in: .whitespaces)),
            WireProtocol.supportedVersions.contains(version)
        else {
            throw WireProtocolError(
                .unsupportedVersion,
                "protocol version \(value) is not spoken here; this server speaks version \(supported)")
        }
    }

    func authorize(_ request: Request, for scope: TokenScope) async throws {
        guard let header = request.headers[.authorization] else {
            if allowAnonymous { return }
            throw WireProtocolError(.unauthorized, "this server needs a bearer token (Authorization: Bearer …)")
        }
        guard header.hasPrefix("Bearer ") else {
            throw WireProtocolError(.unauthorized, "the Authorization header must be \"Bearer <token>\"")
        }
        let secret = String(header.dropFirst("Bearer ".count)).trimmingCharacters(in: .whitespaces)
        guard let token = try await replica.authenticate(secret) else {
            throw WireProtocolError(.unauthorized, "the token is unknown or revoked")
        }
        if token.scope < scope {
            throw WireProtocolError(
                .forbidden, "the token \(token.name) may only read; pushing needs a token with the write scope")
        }
    }

    /// The request body, decompressed when it says gzip, within the limits.
    func body(of request: Request) async throws -> [UInt8] {
        let encoding = request.headers[.contentEncoding]?.lowercased().trimmingCharacters(in: .whitespaces)
        guard encoding == nil || encoding == "gzip" || encoding == "identity" else {
            throw WireProtocolError(
                .unsupportedEncoding, "Content-Encoding \(encoding ?? "") is not accepted; send gzip or identity")
        }
        let buffer = try await request.body.collect(upTo: limits.maxRequestBytes)
        let bytes = Array(buffer.readableBytesView)
        guard encoding == "gzip" else {
            if bytes.count > limits.maxDecompressedBytes {
                throw WireProtocolError(
                    .tooLarge, "the request body is larger than \(limits.maxDecompressedBytes) bytes")
            }
            return bytes
        }
        return try Gzip.decompress(bytes, limit: limits.maxDecompressedBytes)
    }

    func acceptsGzip(_ request: Request) -> Bool {
        request.headers[.acceptEncoding]?.lowercased().contains("gzip") ?? false
    }

    /// A JSON response, gzip-compressed when the client accepts it.
    func json(_ value: JSONValue, for request: Request) throws -> Response {
        var bytes: [UInt8] = []
        value.write(to: &bytes, sortKeys: false)
        bytes.append(0x0A)
        var headers: HTTPFields = [.contentType: WireProtocol.jsonContentType]
        if acceptsGzip(request) {
            bytes = try Gzip.compress(bytes)
            headers[.contentEncoding] = "gzip"
        }
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// The line of the push batch that holds the event a journal error names.
    func line(of error: any Error, in events: [Event]) -> Int? {
        guard let dot = (error as? EventJournalError)?.event else { return nil }
        return events.firstIndex { $0.dot == dot }.map { $0 + 1 }
    }
}
