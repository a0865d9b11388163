import ArchiveModel
import HTTPTypes
import Hummingbird
import NIOCore
import WireProtocol

extension SyncRoutes {
    /// The most bytes a pull request's body may hold, as sent and decompressed (SPEC.md, Limits).
    static let maxPullRequestBytes = 1 << 20

    /// `POST /v1/pull`: a page of the events the caller lacks, streamed from the journal in steps,
    /// then the trailer.
    func pull(_ request: Request) async throws -> Response {
        try checkVersion(request)
        try await authorize(request, for: .read)
        // A pull request is a knowledge vector: 1 MiB holds one of 20,000 origins.
        let limit = Self.maxPullRequestBytes
        let pull = try PullRequest(
            body: try decoded(try await receive(request, limit: limit), limit: limit), limits: limits)
        let gzip = AcceptEncoding(request.headers[.acceptEncoding]).acceptsGzip
        let replica = self.replica
        // A long poll: held, before anything is answered, until there is something to send.
        if pull.waitMilliseconds > 0 {
            try await bell.wait(on: replica, beyond: pull.knowledge, timeout: .milliseconds(pull.waitMilliseconds))
        }
        let body = ResponseBody { writer in
            // Streamed in steps: neither side holds more than one page, and the server holds
            // one step. A failure mid-way ends the page without its trailer: the client asks again.
            var vector = pull.knowledge
            var sent = 0
            var bytes = 0
            // Every byte of the page, for the proof that ends it.
            var hashed = SHA256Stream()
            let stream = gzip ? try Gzip.Stream() : nil
            while sent < pull.maxEvents, bytes < pull.maxBytes {
                let limit = min(Self.pullStep, pull.maxEvents - sent)
                let budget = pull.maxBytes - bytes
                // Long values the caller can rebuild from what it held when it asked go as deltas.
                let (events, lines) = try await replica.pullStep(
                    missingFrom: vector, limit: limit, maxBytes: budget,
                    basesCoveredBy: pull.deltas ? pull.knowledge : nil
                ) { events, base in
                    guard let base else { return EventBatch.encode(events) }
                    return try EventBatch.encode(events, findBase: base)
                }
                guard let first = events.first, sent == 0 || first.payload.count <= budget else { break }
                let chunk = lines
                for event in events {
                    vector[event.origin] = event.seq
                    sent += 1
                    bytes += event.payload.count
                }
                hashed.update(chunk)
                try await writer.write(try stream?.write(chunk) ?? ByteBuffer(bytes: chunk))
            }
            RequestRecord.current?.note(pulled: sent, knowledgeAfter: vector)
            let snapshot = try await replica.syncSnapshot()
            let more = snapshot.knowledge.entries.contains { $0.value > vector[$0.key] }
            let trailerLine = PullTrailer(
                events: sent, more: more, knowledge: snapshot.knowledge, heads: snapshot.heads,
                node: snapshot.origin, name: snapshot.name, digest: snapshot.digest.hex)
            var trailer: [UInt8] = []
            // Proves who the server is, and that the page is its own: its signature of the
            // caller's challenge and of every byte of the page.
            if let challenge = pull.challenge, let key = self.signingKey, key.origin == snapshot.origin {
                trailer = ServerProof.trailerLine(trailerLine, page: hashed, challenge: challenge, key: key)
            } else {
                trailerLine.json.write(to: &trailer, sortKeys: false)
            }
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
        var headers: HTTPFields = [.contentType: WireProtocol.ndjsonContentType, .vary: "Accept-Encoding"]
        if gzip { headers[.contentEncoding] = "gzip" }
        return Response(status: .ok, headers: headers, body: body)
    }
}
