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

    init(_ label: String, limits: WireLimits = .standard) throws {
        directory = try TemporaryDirectory(label)
        replica = try Replica.create(at: directory.file("server.db"), name: "server")
        writeToken = try replica.createToken(name: "write", scope: .write)
        readToken = try replica.createToken(name: "read", scope: .read)
        var logger = Logger(label: "sync-server-tests")
        logger.logLevel = .critical
        server = SyncServer(replica: replica, configuration: .init(limits: limits), logger: logger)
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
