import ArchiveModel
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Replica
import SyncServer
import TestSupport
import WireProtocol

/// A server replica with a write and a read token, served in process through HummingbirdTesting.
struct ServerFixture: Sendable {
    let directory: TemporaryDirectory
    let replica: Replica
    let server: SyncServer
    let writeToken: String
    let readToken: String

    /// A server whose log goes nowhere, unless `log` is given: then every line of the server's
    /// log, in `logFormat`, goes to it.
    init(
        _ label: String, limits: WireLimits = .standard, version: String = "unknown", logFormat: LogFormat = .logfmt,
        log: LogLines? = nil, configure: (inout SyncServer.Configuration) -> Void = { _ in }
    ) throws {
        directory = try TemporaryDirectory(label)
        replica = try Replica.create(at: directory.file("server.db"), name: "server")
        writeToken = try replica.createToken(name: "write", scope: .write)
        readToken = try replica.createToken(name: "read", scope: .read)
        var logger = Logger(label: "sync-server-tests") { _ in
            StructuredLogHandler(format: logFormat, sink: { line in log?.append(line) })
        }
        logger.logLevel = log == nil ? .critical : .info
        var configuration = SyncServer.Configuration(limits: limits, version: version)
        configure(&configuration)
        server = SyncServer(replica: replica, configuration: configuration, logger: logger)
    }

    /// Runs `body` with a client of the server's router (no sockets).
    func test<T: Sendable>(_ body: @Sendable (any TestClientProtocol) async throws -> T) async throws -> T {
        try await server.makeApplication().test(.router, body)
    }

    static let version: HTTPField.Name = {
        guard let name = HTTPField.Name(WireProtocol.versionHeader) else {
            preconditionFailure("WireProtocol.versionHeader is a constant and a valid header field name")
        }
        return name
    }()

    /// Headers of a request with the protocol version and the token `token`.
    func headers(token: String? = nil, _ extra: HTTPFields = [:]) -> HTTPFields {
        var fields: HTTPFields = [
            Self.version: String(WireProtocol.version), .authorization: "Bearer \(token ?? writeToken)",
        ]
        fields.append(contentsOf: extra)
        return fields
    }

    /// The server's knowledge, event count and digest: unchanged by a refused request.
    func snapshot() throws -> String {
        "\(try replica.knowledge()) \(try replica.digest().hex)"
    }

    static func ndjson(_ lines: [[UInt8]]) -> ByteBuffer {
        ByteBuffer(bytes: lines.flatMap { $0 + [0x0A] })
    }
}

/// The lines a server logged, in order.
final class LogLines: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []

    func append(_ line: String) { lock.withLock { lines.append(line) } }
    var all: [String] { lock.withLock { lines } }
}

/// A chain of signed events of one origin on the fixture's test article: a create, then updates.
struct EventChain {
    /// The origin's key (a fixed seed): every event is signed with it, the first carries it.
    static let key = SigningKey.fixed(7)
    let origin = EventChain.key.origin
    private(set) var events: [Event] = []

    /// Appends the create of the article at `url` (the test article by default) with `body`.
    mutating func create(body: String, url: String = EventFactory.url) throws -> Event {
        try append(
            .create, article: ArticleID(url: url),
            [
                .set(.url, .text(url)), .set(.title, .text("Title")), .set(.body, .text(body)),
                .set(.capturedAt, .integer(1_000)), .set(.path, .text("a.txt")),
            ])
    }

    /// Appends an update of the test article (or of `article`) with `changes`.
    mutating func append(
        _ kind: EventKind = .update, article: ArticleID = EventFactory.article, _ changes: [Change]
    ) throws -> Event {
        var clock = VectorClock()
        clock[origin] = events.count
        let event = try Event.seal(
            Event.Draft(
                origin: origin, seq: events.count + 1,
                hlc: HybridTimestamp(milliseconds: 1_731_686_344_000 + Int64(events.count), counter: 0), clock: clock,
                article: article, kind: kind, changes: changes, prev: events.last?.hash ?? .zero),
            signedBy: EventChain.key)
        events.append(event)
        return event
    }
}
