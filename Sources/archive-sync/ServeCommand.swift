import ArchiveModel
import ArgumentParser
import Foundation
import Logging
import Replica
import SyncClient
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

            With --upstream PEER (a peer name or URL, repeatable), the server also keeps itself \
            in step with other servers, continuously, as `archive-sync watch` does: two hubs \
            that name each other give a team a second place to sync with. What one hub takes \
            from a client reaches the other within moments, and clients waiting on either hear \
            of it at once.

            Examples:
              archive-sync serve --db hub.db --bind 0.0.0.0 --port 8080
              archive-sync serve --db hub-a.db --port 8080 --upstream hub-b
              archive-sync serve --db hub.db --port 0 --allow-anonymous
              archive-sync serve --config /etc/archive-sync/serve.toml --log-format json
            """)

    @OptionGroup var replica: ReplicaOptions
    @Option(help: "The address to listen on (default 127.0.0.1).") var bind: String?
    @Option(help: "The port to listen on (0: any free port; default 8080).") var port: Int?
    @Flag(name: .customLong("allow-anonymous"), help: "Accept requests without a token (read and write).")
    var allowAnonymous = false
    @Flag(
        name: .customLong("accept-unsigned"),
        help: "Also take pushed events of origins made before events were signed (to gather old history).")
    var acceptUnsigned = false
    @Option(name: .customLong("body-timeout"), help: "Seconds a request body may take to arrive (default 120).")
    var bodyTimeout: Int?
    @Option(
        name: .customLong("idle-timeout"),
        help: "Seconds a connection may send nothing before it is closed (default 30).")
    var idleTimeout: Int?
    @Option(name: .customLong("shutdown-timeout"), help: "Seconds a stop waits for requests in progress (default 10).")
    var shutdownTimeout: Int?
    @Option(
        name: .customLong("upstream"),
        help: "A peer name or URL this server keeps itself in step with, continuously (repeat for several).")
    var upstream: [String] = []
    @Option(
        name: .customLong("token-file"),
        help: "A file holding the bearer token for upstreams given as URLs (a named peer uses its own token file).")
    var tokenFile: String?
    @Option(
        name: .customLong("ca-file"),
        help: "CA certificates to verify https upstreams with, instead of the system's.")
    var caFile: String?
    @Option(
        name: .customLong("config"),
        help: ArgumentHelp(
            "A TOML configuration file ([serve] section; flags override it).",
            discussion: "Defaults to $ARCHIVE_SYNC_CONFIG when set. See README, \"Configuration file\".",
            valueName: "file"))
    var config: String?
    @Option(name: .customLong("log-format"), help: "How log lines are written: logfmt or json (default logfmt).")
    var logFormat: LogFormat?
    @Option(
        name: .customLong("metrics-bind"),
        help: "Also serve /metrics without a token on HOST:PORT (a private address).")
    var metricsBind: String?

    func validate() throws {
        for (name, value) in [
            ("--body-timeout", bodyTimeout), ("--idle-timeout", idleTimeout), ("--shutdown-timeout", shutdownTimeout),
        ] {
            if let value, value < 1 || value > 86_400 {
                throw ValidationError("\(name) must be between 1 and 86400 seconds; it is \(value)")
            }
        }
        if let port, !(0...65_535).contains(port) {
            throw ValidationError("--port must be between 0 and 65535; it is \(port)")
        }
        if let metricsBind {
            do { _ = try ListenAddress(parsing: metricsBind) } catch let error as SyncServerError {
                throw ValidationError("--metrics-bind: \(error.message)")
            }
        }
    }

    /// The settings in force: flags, else the configuration file, else the defaults.
    struct Settings {
        var bind: String
        var port: Int
        var allowAnonymous: Bool
        var acceptUnsigned: Bool
        var bodyTimeout: Int
        var idleTimeout: Int
        var shutdownTimeout: Int
        var upstream: [String]
        var tokenFile: String?
        var logFormat: LogFormat
        var metricsBind: ListenAddress?
    }

    func settings(_ file: ConfigFile?) throws -> Settings {
        let section = "serve"
        let settings = Settings(
            bind: bind ?? file?.string(section, "bind") ?? "127.0.0.1",
            port: port ?? file?.integer(section, "port") ?? 8080,
            allowAnonymous: allowAnonymous || file?.bool(section, "allow_anonymous") == true,
            acceptUnsigned: acceptUnsigned || file?.bool(section, "accept_unsigned") == true,
            bodyTimeout: bodyTimeout ?? file?.integer(section, "body_timeout") ?? 120,
            idleTimeout: idleTimeout ?? file?.integer(section, "idle_timeout") ?? 30,
            shutdownTimeout: shutdownTimeout ?? file?.integer(section, "shutdown_timeout") ?? 10,
            upstream: upstream.isEmpty ? file?.strings(section, "upstream") ?? [] : upstream,
            tokenFile: tokenFile ?? file?.string(section, "token_file"),
            logFormat: try logFormat ?? file?.string(section, "log_format").map { text in
                guard let format = LogFormat(rawValue: text) else {
                    throw CommandError(
                        .invalidInput, "in \(file?.path ?? ""), [serve] log_format must be \"logfmt\" or \"json\"")
                }
                return format
            } ?? .logfmt,
            metricsBind: try (metricsBind ?? file?.string(section, "metrics_bind")).map { text in
                do { return try ListenAddress(parsing: text) } catch let error as SyncServerError {
                    throw CommandError(
                        .invalidInput,
                        (metricsBind == nil ? "in \(file?.path ?? ""), [serve] metrics_bind: " : "--metrics-bind: ")
                            + error.message)
                }
            })
        if let file {
            if !(0...65_535).contains(settings.port) {
                throw CommandError(.invalidInput, "in \(file.path), [serve] port must be from 0 to 65535")
            }
            for (key, value) in [
                ("body_timeout", settings.bodyTimeout), ("idle_timeout", settings.idleTimeout),
                ("shutdown_timeout", settings.shutdownTimeout),
            ] where !(1...86_400).contains(value) {
                throw CommandError(.invalidInput, "in \(file.path), [serve] \(key) must be from 1 to 86400 seconds")
            }
        }
        return settings
    }

    func run() async throws {
        let file = try ConfigFile.load(config)
        let settings = try settings(file)
        let format = settings.logFormat
        LoggingSystem.bootstrap { _ in StructuredLogHandler(format: format) }
        var logger = Logger(label: "archive-sync")
        logger.logLevel = .info
        let metricsAddress = settings.metricsBind
        let target = try (file?.replicaPath(replica) ?? replica).open()
        let identity = try target.identity()
        let server = SyncServer(
            replica: target,
            configuration: .init(
                host: settings.bind, port: settings.port, allowAnonymous: settings.allowAnonymous,
                bodyTimeout: .seconds(settings.bodyTimeout), idleTimeout: .seconds(settings.idleTimeout),
                shutdownTimeout: .seconds(settings.shutdownTimeout), acceptUnsigned: settings.acceptUnsigned,
                version: ArchiveSync.configuration.version, metricsAddress: metricsAddress),
            logger: logger)
        if server.signingKey == nil {
            Terminal.error(
                "warning: this replica has no signing key it may use (it is away from where it was made, or "
                    + "\(target.path).key is missing), so it cannot prove who it is and clients will refuse to sync "
                    + "with it; run `archive-sync reidentify --db \(target.path)`")
        }
        let bind = settings.bind
        let anonymous = settings.allowAnonymous
        let upstreamLogger = logger
        let log = logger
        let links = Links()
        // The captures pushes and pulls bring are indexed for search behind them.
        let indexer = SearchIndexer(replica: target) { error in
            log.error("search indexing failed; the captures stay queued", metadata: ["error": "\(error)"])
        }
        indexer.nudge()
        for upstream in try PeerTargets.resolve(
            settings.upstream, in: target, tokenFile: settings.tokenFile, caFile: caFile, allWhenEmpty: false)
        {
            links.all.append(
                try PeerLink(
                    replica: target, target: upstream, unsigned: settings.acceptUnsigned ? .accept : .refuse,
                    notify: { [bell = server.bell] notice in
                        Self.log(notice, from: upstream.name, logger: upstreamLogger)
                        guard case .pulled = notice else { return }
                        // Clients waiting here hear of it at once, and the other upstreams get it.
                        bell.ring(notifying: false)
                        indexer.nudge()
                        for link in links.all where link.target.name != upstream.name { link.poke() }
                    }))
        }
        // What a client pushes here goes on upstream at once.
        server.bell.listen {
            indexer.nudge()
            for link in links.all { link.poke() }
        }
        let stopped = DispatchGroup()
        defer {
            // The server has stopped: each link ends its round (a held pull ends at once).
            for link in links.all { link.stop() }
            stopped.wait()
        }
        try await server.run { port in
            Terminal.line(
                "Serving replica \"\(identity.name)\" [\(Fingerprint.of(identity.origin))] (origin \(identity.origin.hex)) on http://\(bind):\(port)"
                    + (anonymous ? " without authentication" : "")
                    + (links.all.isEmpty
                        ? "" : ", in step with " + links.all.map(\.target.name).joined(separator: ", "))
                    + "; Ctrl-C stops it.")
            for link in links.all {
                stopped.enter()
                Thread {
                    link.run()
                    stopped.leave()
                }.start()
            }
        } onMetricsListening: { port in
            // On the log, not standard output: the first line of standard output says the server's port.
            let address = ListenAddress(host: metricsAddress?.host ?? "", port: port)
            log.info("metrics", metadata: ["url": "http://\(address)/metrics"])
        }
    }

    /// The upstream links, made before the server starts and only read afterwards.
    final class Links: @unchecked Sendable {
        var all: [PeerLink] = []
    }

    /// An upstream link's news, in the server's log.
    static func log(_ notice: PeerLink.Notice, from peer: String, logger: Logger) {
        let sentence = "upstream \(peer): " + notice.sentence(peer: peer)
        switch notice.severity {
        case .news: logger.info("\(sentence)")
        case .warning: logger.warning("\(sentence)")
        case .error: logger.error("\(sentence)")
        }
    }
}

extension LogFormat: ExpressibleByArgument {}
