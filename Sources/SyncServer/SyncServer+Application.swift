import Hummingbird
import Logging
import NIOCore

extension SyncServer {
    /// The router of the four endpoints with the server's middleware: what `run` serves, and what
    /// tests drive in process (`app.test(.router)`).
    package func makeRouter() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.middlewares.add(RequestLogMiddleware(logger: logger))
        router.middlewares.add(ProtocolErrorMiddleware(logger: logger))
        let routes = SyncRoutes(
            replica: replica, limits: configuration.limits, allowAnonymous: configuration.allowAnonymous,
            bodyTimeout: configuration.bodyTimeout, acceptUnsigned: configuration.acceptUnsigned,
            signingKey: signingKey,
            bell: bell)
        routes.register(on: router)
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
}
