import ArchiveModel
import Foundation
import Hummingbird
import Logging
import NIOCore
import Replica
import ServiceLifecycle
import WireProtocol

/// `archive-sync serve`: the replica behind the protocol of protocol/SPEC.md, on Hummingbird.
///
/// Binds loopback unless told otherwise; refuses to start without an active token unless
/// anonymous access is allowed; logs one line per request.
public struct SyncServer: Sendable {
    public struct Configuration: Sendable {
        public var host: String
        public var port: Int
        public var allowAnonymous: Bool
        public var limits: WireLimits

        public init(
            host: String = "127.0.0.1", port: Int = 8080, allowAnonymous: Bool = false, limits: WireLimits = .standard
        ) {
            self.host = host
            self.port = port
            self.allowAnonymous = allowAnonymous
            self.limits = limits
        }
    }

    let replica: Replica
    let configuration: Configuration
    let logger: Logger

    public init(replica: Replica, configuration: Configuration, logger: Logger) {
        self.replica = replica
        self.configuration = configuration
        self.logger = logger
    }

    /// Runs until SIGTERM or SIGINT; `onListening` gets the port actually bound (for `--port 0`).
    public func run(onListening: @escaping @Sendable (Int) -> Void) async throws {
        if !configuration.allowAnonymous, try !replica.hasActiveTokens() {
            throw SyncServerError(
                .noTokens,
                "there is no active token, so nobody could sync; make one with `archive-sync token create NAME --scope write`, or start with --allow-anonymous"
            )
        }
        let router = Router(context: BasicRequestContext.self)
        router.middlewares.add(RequestLogMiddleware(logger: logger))
        router.middlewares.add(ProtocolErrorMiddleware())
        let routes = SyncRoutes(
            replica: replica, limits: configuration.limits, allowAnonymous: configuration.allowAnonymous)
        routes.register(on: router)
        let app = Application(
            router: router,
            configuration: .init(
                address: .hostname(configuration.host, port: configuration.port), serverName: nil),
            onServerRunning: { channel in onListening(channel.localAddress?.port ?? 0) },
            logger: logger)
        let group = ServiceGroup(
            configuration: .init(services: [app], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}

/// The one error type of SyncServer: a server that cannot start.
public struct SyncServerError: Error, CustomStringConvertible, Sendable {
    public struct Code: RawRepresentable, Hashable, Sendable {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public static let noTokens = Code(rawValue: "no-tokens")
    }

    public var code: Code
    public var message: String
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }
    public var description: String { message }
}
