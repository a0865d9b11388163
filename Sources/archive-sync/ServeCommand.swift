import ArchiveModel
import ArgumentParser
import Foundation
import Logging
import Replica
import SyncServer

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve this replica to other replicas over HTTP (protocol/SPEC.md).",
        discussion: """
            Other replicas sync with it by `archive-sync sync http://HOST:PORT --token-file F`. \
            Every request needs a bearer token made with `archive-sync token create`, except \
            /v1/health; the server refuses to start while no token is active, unless \
            --allow-anonymous is given (then requests without a token may read and write).

            It binds 127.0.0.1 unless told otherwise: to serve other machines, bind 0.0.0.0 \
            behind a TLS-terminating proxy (the protocol itself is plain HTTP). It logs one line \
            per request on standard error and stops cleanly on Ctrl-C or SIGTERM. With --port 0 \
            it picks a free port and prints it.

            A request body must arrive within --body-timeout seconds; a connection that sends \
            nothing for --idle-timeout seconds is closed; a stop waits at most \
            --shutdown-timeout seconds for requests in progress, then cuts them.

            Every pushed event must carry a valid signature by the key its origin names; events \
            of origins made before events were signed (unsigned history) are refused unless \
            --accept-unsigned is given, for the time it takes to gather old replicas' history \
            (see README, "Signed origins"). The server proves to every client that it holds \
            this replica's key, so a copy of the file cannot pose as it.

            What the operator sees: one line per request on standard error (--log-format logfmt \
            or json) with its request id, client, token, route, status, bytes, events and time to \
            the last byte; /v1/health, which says whether the replica file answers; and /metrics \
            in Prometheus' text format, for a token of the read scope, or without a token on \
            --metrics-bind HOST:PORT (keep that address private).

            Example: archive-sync serve --db hub.db --bind 0.0.0.0 --port 8080
            """)

    @OptionGroup var replica: ReplicaOptions
    @Option(help: "The address to listen on.") var bind = "127.0.0.1"
    @Option(help: "The port to listen on (0: any free port).") var port = 8080
    @Flag(name: .customLong("allow-anonymous"), help: "Accept requests without a token (read and write).")
    var allowAnonymous = false
    @Flag(
        name: .customLong("accept-unsigned"),
        help: "Also take pushed events of origins made before events were signed (to gather old history).")
    var acceptUnsigned = false
    @Option(name: .customLong("body-timeout"), help: "Seconds a request body may take to arrive.")
    var bodyTimeout = 120
    @Option(name: .customLong("idle-timeout"), help: "Seconds a connection may send nothing before it is closed.")
    var idleTimeout = 30
    @Option(name: .customLong("shutdown-timeout"), help: "Seconds a stop waits for requests in progress.")
    var shutdownTimeout = 10
    @Option(name: .customLong("log-format"), help: "How log lines are written: logfmt or json.")
    var logFormat = LogFormat.logfmt
    @Option(
        name: .customLong("metrics-bind"),
        help: "Also serve /metrics without a token on HOST:PORT (a private address).")
    var metricsBind: String?

    func validate() throws {
        for (name, value) in [
            ("--body-timeout", bodyTimeout), ("--idle-timeout", idleTimeout), ("--shutdown-timeout", shutdownTimeout),
        ] where value < 1 || value > 86_400 {
            throw ValidationError("\(name) must be between 1 and 86400 seconds; it is \(value)")
        }
        if let metricsBind {
            do { _ = try ListenAddress(parsing: metricsBind) } catch let error as SyncServerError {
                throw ValidationError("--metrics-bind: \(error.message)")
            }
        }
    }

    func run() async throws {
        let format = logFormat
        LoggingSystem.bootstrap { _ in StructuredLogHandler(format: format) }
        var logger = Logger(label: "archive-sync")
        logger.logLevel = .info
        let metricsAddress = try metricsBind.map(ListenAddress.init(parsing:))
        let target = try replica.open()
        let identity = try target.identity()
        let server = SyncServer(
            replica: target,
            configuration: .init(
                host: bind, port: port, allowAnonymous: allowAnonymous, bodyTimeout: .seconds(bodyTimeout),
                idleTimeout: .seconds(idleTimeout), shutdownTimeout: .seconds(shutdownTimeout),
                acceptUnsigned: acceptUnsigned, version: ArchiveSync.configuration.version,
                metricsAddress: metricsAddress),
            logger: logger)
        if server.signingKey == nil {
            Terminal.error(
                "warning: this replica has no signing key it may use (it is away from where it was made, or "
                    + "\(target.path).key is missing), so it cannot prove who it is and clients will refuse to sync "
                    + "with it; run `archive-sync reidentify --db \(target.path)`")
        }
        let bind = self.bind
        let anonymous = allowAnonymous
        let log = logger
        try await server.run { port in
            Terminal.line(
                "Serving replica \"\(identity.name)\" [\(Fingerprint.of(identity.origin))] (origin \(identity.origin.hex)) on http://\(bind):\(port)"
                    + (anonymous ? " without authentication" : "") + "; Ctrl-C stops it.")
        } onMetricsListening: { port in
            // On the log, not standard output: the first line of standard output says the server's port.
            let address = ListenAddress(host: metricsAddress?.host ?? "", port: port)
            log.info("metrics", metadata: ["url": "http://\(address)/metrics"])
        }
    }
}

extension LogFormat: ExpressibleByArgument {}
