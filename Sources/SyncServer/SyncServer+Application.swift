import Hummingbird
import Logging
import NIOCore

extension SyncServer {
    /// The router of the endpoints with the server's middleware: what `run` serves, and what
    /// tests drive in process (`app.test(.router)`).
    ///
    /// The access log is outermost, so that it sees the answer the error middleware made of a
    /// failure, and the last byte of every body.
    package func makeRouter() -> Router<SyncRequestContext> {
        let router = Router(context: SyncRequestContext.self)
        router.middlewares.add(AccessLogMiddleware(logger: logger, metrics: metrics))
        router.middlewares.add(ProtocolErrorMiddleware(logger: logger))
        let routes = SyncRoutes(
            replica: replica, limits: configuration.limits, allowAnonymous: configuration.allowAnonymous,
            bodyTimeout: configuration.bodyTimeout, acceptUnsigned: configuration.acceptUnsigned,
            signingKey: signingKey,
            bell: bell, version: configuration.version, metrics: metrics, logger: logger
        )
        routes.register(on: router)
        return router
    }

    /// The router of `--metrics-bind`: `GET /metrics` without a token, and nothing else (any other
    /// path is a bare 404). Its requests are neither logged nor counted: they are the operator's
    /// own. A scrape that cannot read the journal is a 503, and the reason goes to the log.
    package func makeMetricsRouter() -> Router<SyncRequestContext> {
        let router = Router(context: SyncRequestContext.self)
        let (metrics, replica, logger) = (self.metrics, self.replica, self.logger)
        router.get(RouterPath(SyncRoutes.metricsPath)) { _, _ in
            do {
                return try await SyncRoutes.metricsResponse(metrics: metrics, replica: replica)
            } catch {
                logger.error("a scrape of /metrics could not read the replica: \(error)")
                return Response(status: .serviceUnavailable)
            }
        }
        return router
    }

    /// The Hummingbird application `run` serves: the router on the configured address, with the
    /// idle timeout that closes connections that stop sending.
    package func makeApplication(
        onListening: @escaping @Sendable (Int) -> Void = { _ in }
    ) -> some ApplicationProtocol {
        let idle = configuration.idleTimeout.components
        let idleNanoseconds = idle.seconds * 1_000_000_000 + idle.attoseconds / 1_000_000_000
        return Application(
            router: makeRouter(),
            server: .http1(configuration: .init(idleTimeout: .nanoseconds(idleNanoseconds))),
            configuration: .init(
                address: .hostname(configuration.host, port: configuration.port), serverName: nil),
            onServerRunning: { channel in onListening(channel.localAddress?.port ?? 0) },
            logger: logger)
    }

    /// The application of `--metrics-bind`.
    package func makeMetricsApplication(
        on address: ListenAddress, onListening: @escaping @Sendable (Int) -> Void = { _ in }
    ) -> some ApplicationProtocol {
        Application(
            router: makeMetricsRouter(),
            configuration: .init(address: .hostname(address.host, port: address.port), serverName: nil),
            onServerRunning: { channel in onListening(channel.localAddress?.port ?? 0) },
            logger: logger)
    }
}
