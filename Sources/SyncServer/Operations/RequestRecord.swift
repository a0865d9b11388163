import ArchiveModel
import NIOConcurrencyHelpers

/// What the operator is told of one request, gathered while it runs: who asked, what went in and
/// out. The access log writes it as one line and the metrics count it once the last byte is sent.
///
/// `AccessLogMiddleware` makes one per request and binds it to `RequestRecord.current` for the
/// route and for the writing of the response body (which runs after the route has returned), so
/// that a route notes what only it knows (the token, the events) without passing it along.
/// Every method may be called from any task.
final class RequestRecord: Sendable {
    /// The record of the request the current task serves; nil outside one (tests of a route alone).
    @TaskLocal static var current: RequestRecord?

    struct Facts: Sendable {
        /// The name of the token that authenticated the request; nil for an anonymous request.
        var token: String?
        /// Events taken from a push (applied or already held) or sent in a pull page.
        var events = 0
        var bytesIn = 0
        var bytesOut = 0
        /// For a pull: what the caller knows once it has the page, as far as the server can tell
        /// (the knowledge it sent, with the events of the page).
        var knowledgeAfterPull: VectorClock?
    }

    /// The request's id, as the log line, the `X-Request-Id` answer and an internal error say it.
    let id: String
    private let facts = NIOLockedValueBox(Facts())

    init(id: String) { self.id = id }

    var snapshot: Facts { facts.withLockedValue { $0 } }

    func note(token name: String) {
        facts.withLockedValue { $0.token = name }
    }

    func note(pushed events: Int) {
        facts.withLockedValue { $0.events += events }
    }

    /// Notes a pull page sent whole: `events` events, after which the caller knows `knowledge`.
    func note(pulled events: Int, knowledgeAfter knowledge: VectorClock) {
        facts.withLockedValue {
            $0.events += events
            $0.knowledgeAfterPull = knowledge
        }
    }

    func count(bytesIn bytes: Int) {
        facts.withLockedValue { $0.bytesIn += bytes }
    }

    func count(bytesOut bytes: Int) {
        facts.withLockedValue { $0.bytesOut += bytes }
    }
}
