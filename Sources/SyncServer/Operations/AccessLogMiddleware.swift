import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// One log line per request, written when the last byte of the answer has been sent (a streamed
/// pull page is logged at its end, not at its headers), and the request counted in the metrics
/// at the same moment.
///
/// The line holds the request id (the client's `X-Request-Id` when `RequestID` accepts it, else
/// a new one, sent back in the answer's `X-Request-Id`), the client's address, the token's name
/// (`-` without one), the method, the path, the status, the body bytes in and out as sent, the
/// events pushed or pulled, the time to the last byte, and the user agent. `LogFormat` escapes
/// every value, so a hostile header cannot forge a field or a line.
struct AccessLogMiddleware: RouterMiddleware {
    typealias Context = SyncRequestContext

    static let requestIDHeader: HTTPField.Name = {
        guard let name = HTTPField.Name("X-Request-Id") else {
            preconditionFailure("X-Request-Id is a constant and a valid header field name")
        }
        return name
    }()
    /// The most bytes of a path or a user agent the log keeps.
    static let maxLoggedText = 256

    let logger: Logger
    let metrics: ServerMetrics

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let start = ContinuousClock.now
        let record = RequestRecord(id: RequestID.accepting(request.headers[Self.requestIDHeader]))
        metrics.requestStarted()
        var request = request
        request.body = RequestBody(asyncSequence: CountedRequestBody(base: request.body, record: record))
        let line = LineStart(request: request, client: context.client, start: start)
        var response: Response
        do {
            response = try await RequestRecord.$current.withValue(record) { try await next(request, context) }
        } catch {
            // ProtocolErrorMiddleware answers every error; one that gets here is Hummingbird's.
            finish(line, record, status: (error as? any HTTPResponseError)?.status.code ?? 500, complete: false)
            throw error
        }
        response.headers[Self.requestIDHeader] = record.id
        let body = response.body
        let status = response.status.code
        response.body = ResponseBody(contentLength: body.contentLength) { writer in
            try await RequestRecord.$current.withValue(record) {
                do {
                    try await body.write(CountingBodyWriter(parent: writer, record: record))
                } catch {
                    finish(line, record, status: status, complete: false)
                    throw error
                }
                finish(line, record, status: status, complete: true)
            }
        }
        return response
    }

    /// What the line says of the request itself, read when it arrives.
    struct LineStart: Sendable {
        var method: String
        var path: String
        var agent: String?
        var client: String
        var start: ContinuousClock.Instant

        init(request: Request, client: String, start: ContinuousClock.Instant) {
            method = request.method.rawValue
            path = request.uri.path
            agent = request.headers[.userAgent]
            self.client = client
            self.start = start
        }
    }

    private func finish(_ line: LineStart, _ record: RequestRecord, status: Int, complete: Bool) {
        let end = ContinuousClock.now
        let elapsed = line.start.duration(to: end)
        let facts = record.snapshot
        metrics.requestFinished(
            route: line.path, method: line.method, status: status, facts: facts, duration: elapsed, at: end)
        var metadata: Logger.Metadata = [
            "request_id": .string(record.id), "client": .string(line.client), "token": .string(facts.token ?? "-"),
            "method": .string(line.method), "route": .string(Self.bounded(line.path)),
            "status": .stringConvertible(status), "bytes_in": .stringConvertible(facts.bytesIn),
            "bytes_out": .stringConvertible(facts.bytesOut), "events": .stringConvertible(facts.events),
            "duration_ms": .stringConvertible(Double(ServerMetrics.nanoseconds(elapsed) / 1000) / 1000),
            "agent": .string(line.agent.map(Self.bounded) ?? "-"),
        ]
        if !complete { metadata["body"] = .string("incomplete") }
        logger.info("request", metadata: metadata)
    }

    /// `text` cut to at most `maxLoggedText` bytes, at a scalar boundary.
    static func bounded(_ text: String) -> String {
        guard text.utf8.count > maxLoggedText else { return text }
        var kept = String.UnicodeScalarView()
        var bytes = 0
        for scalar in text.unicodeScalars {
            bytes += UTF8.width(scalar)
            if bytes > maxLoggedText { break }
            kept.append(scalar)
        }
        return String(kept) + "…"
    }
}
