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
package struct SyncServer: Sendable {
    package struct Configuration: Sendable {
        package var host: String
        package var port: Int
        package var allowAnonymous: Bool
        /// Whether pushed events of unsigned origins (made before events were signed) are taken;
        /// by default only signed events are (SPEC.md, "Signed origins").
        package var acceptUnsigned: Bool
        package var limits: WireLimits
        /// How long a request body may take to arrive, from the request's head to its last byte.
        package var bodyTimeout: Duration
        /// How long a connection may send nothing while a request is read, or sit idle between
        /// requests, before the server closes it.
        package var idleTimeout: Duration
        /// How long a stop (SIGTERM, SIGINT) waits for requests in progress before cutting them.
        package var shutdownTimeout: Duration
        /// The version of archive-sync, as `/v1/health` and the metrics tell it.
        package var version: String
        /// Where `/metrics` is also served, without a token (nil: only on the server's own
        /// address, with a token of the read scope).
        package var metricsAddress: ListenAddress?

        package init(
            host: String = "127.0.0.1", port: Int = 8080, allowAnonymous: Bool = false, limits: WireLimits = .standard,
            bodyTimeout: Duration = .seconds(120), idleTimeout: Duration = .seconds(30),
            shutdownTimeout: Duration = .seconds(10), acceptUnsigned: Bool = false, version: String = "unknown",
            metricsAddress: ListenAddress? = nil
        ) {
            self.host = host
            self.port = port
            self.allowAnonymous = allowAnonymous
            self.acceptUnsigned = acceptUnsigned
            self.limits = limits
            self.bodyTimeout = bodyTimeout
            self.idleTimeout = idleTimeout
            self.shutdownTimeout = shutdownTimeout
            self.version = version
            self.metricsAddress = metricsAddress
        }

        /// The most pulls that may wait for changes at once (`wait_ms`); one more is refused as
        /// `busy` (SPEC.md, "Waiting for changes").
        package var maxWaitingPulls = 1_000
    }

    let replica: Replica
    let configuration: Configuration
    let logger: Logger
    /// The replica's key, with which the server proves who it is to clients; nil when the
    /// replica has none it may use (a copy away from where it was made, or a lost key file).
    package let signingKey: SigningKey?
    /// Rung when this replica gains events, to answer waiting pulls at once.
    package let bell: ChangeBell
    /// This server's metrics, in a registry of its own.
    package let metrics: ServerMetrics

    package init(replica: Replica, configuration: Configuration, logger: Logger) {
        self.replica = replica
        self.configuration = configuration
        self.logger = logger
        let metrics = ServerMetrics(version: configuration.version)
        self.metrics = metrics
        bell = ChangeBell(maxWaiting: configuration.maxWaitingPulls, observe: { metrics.recordWait($0) })
        signingKey = (try? replica.location()) == .home ? try? replica.signingKey() : nil
    }

    /// Runs until SIGTERM or SIGINT; `onListening` gets the port actually bound (for `--port 0`),
    /// `onMetricsListening` the port of `metricsAddress` when there is one.
    ///
    /// A stop waits at most `shutdownTimeout` for requests in progress, then cuts them. Throws
    /// `SyncServerError(.cannotListen)` when an address cannot be listened on (a port in use).
    package func run(
        onListening: @escaping @Sendable (Int) -> Void, onMetricsListening: @escaping @Sendable (Int) -> Void = { _ in }
    ) async throws {
        if !configuration.allowAnonymous, try !replica.hasActiveTokens() {
            throw SyncServerError(
                .noTokens,
                "there is no active token, so nobody could sync; make one with `archive-sync token create NAME --scope write`, or start with --allow-anonymous"
            )
        }
        var services: [any Service] = [
            ListeningService(
                app: makeApplication(onListening: onListening),
                address: ListenAddress(host: configuration.host, port: configuration.port), option: "--port")
        ]
        if let address = configuration.metricsAddress {
            services.append(
                ListeningService(
                    app: makeMetricsApplication(on: address, onListening: onMetricsListening), address: address,
                    option: "--metrics-bind"))
        }
        var group = ServiceGroupConfiguration(
            services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        group.maximumGracefulShutdownDuration = configuration.shutdownTimeout
        group.maximumCancellationDuration = .seconds(2)
        try await ServiceGroup(configuration: group).run()
    }
}
