import ArchiveModel
import ArgumentParser
import Foundation
import Replica
import SyncBookkeeping
import SyncClient
import WireProtocol

struct SyncCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Exchange events with another replica until both hold the same.",
        discussion: """
            TARGET is a URL (http://host:port of `archive-sync serve`) or the name of a peer \
            added with `archive-sync peer add`. The sync pulls every event this replica lacks, \
            then pushes every event the server lacks, in batches, compressed; concurrent edits \
            merge field by field or stay as conflicts (see `archive-sync conflicts`).

            A sync cut off at any point can simply be run again: it sends only what is still \
            missing. Transient failures are retried with a growing pause. The token is read \
            from --token-file, the peer's token file, or $ARCHIVE_SYNC_TOKEN.

            If the other side holds different events of this replica's own origin, this file \
            is a copy of another replica or was restored from a backup and written to: sync \
            says so and refuses to go on until `archive-sync reidentify`.

            Every sync compares the server's clock with this machine's and warns when they \
            differ by more than a minute, or when events pulled are dated ahead of this clock. \
            A wrong clock never stops a sync (see protocol/CLOCKS.md).

            Every event pulled or pushed carries its origin's signature, and every page the \
            server sends ends with its proof that it holds the key of the origin it names. A \
            named peer is pinned to that origin at its first sync (see `archive-sync peer add`). \
            Events of origins made before events were signed carry no signature; they are \
            taken only with --accept-unsigned, from a server you trust with that history.

            --dry-run says what a sync would pull and push, per replica of origin and per \
            article, and writes nothing: not an event, not the record of the sync, not a \
            peer's pin. It reads the server's pages as a sync does, with the same proof and pin \
            checks, and stops where a sync would.

            Each sync is recorded for `archive-sync status`, which shows every peer (named, or \
            a URL synced with) on one line: when it was last synced and how that ended, the \
            events and bytes sent and received, and how many events each side still lacked \
            when the sync ended (0/0 only when both held the same events and the same digest).

            Examples:
              archive-sync sync http://127.0.0.1:8080 --token-file laptop.token
              archive-sync sync server --json
              archive-sync sync server --dry-run
              archive-sync status
            """)

    @OptionGroup var replica: ReplicaOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "A URL or a peer name.") var target: String
    @Option(name: .customLong("token-file"), help: "A file holding the bearer token.") var tokenFile: String?
    @Option(
        name: .customLong("ca-file"), help: "CA certificates to verify an https server with, instead of the system's.")
    var caFile: String?
    @Option(name: .customLong("batch-size"), help: "Events per push and per pulled page (smaller suits slow links).")
    var batchSize = 1_000
    @Flag(
        name: .customLong("accept-unsigned"),
        help: "Take events of origins made before events were signed, from a server you trust with that history.")
    var acceptUnsigned = false
    @Flag(
        name: .customLong("dry-run"),
        help: "Say what a sync would pull and push, per origin and per article; write nothing.")
    var dryRun = false

    func validate() throws {
        if !(1...5_000).contains(batchSize) { throw ValidationError("--batch-size must be between 1 and 5000") }
    }

    func run() throws {
        let local = try replica.open()
        var url = target
        var tokenPath = tokenFile
        var peerName = target
        var pinned: OriginID?
        var named = false
        if !target.contains("://") {
            guard let peer = try local.peer(named: target) else {
                throw CommandError(
                    .invalidInput, "\(target) is neither a URL nor a peer (see `archive-sync peer list`)")
            }
            url = peer.url
            tokenPath = tokenPath ?? peer.tokenFile
            peerName = peer.name
            pinned = peer.origin.flatMap(OriginID.init(hex:))
            named = true
        }
        let token = try Self.token(from: tokenPath)
        if url.hasPrefix("http://"), token != nil, !Self.isLoopback(url) {
            Terminal.error("warning: the token goes to \(url) unencrypted; use https (a TLS proxy in front of serve)")
        }
        var options = CurlTransport.Options()
        options.caFile = caFile
        let transport = try CurlTransport(baseURL: url, token: token, options: options)
        let progress = ProgressLine()
        var configuration = SyncSessionStateMachine.Configuration()
        configuration.pushEvents = batchSize
        configuration.pullEvents = batchSize
        if dryRun {
            let preview = SyncPreview(
                replica: local, transport: transport, configuration: configuration,
                pin: pinned.map { (peerName, $0) }, unsigned: acceptUnsigned ? .accept : .refuse)
            print(
                try preview.run(), url: url, peer: peerName, own: try local.identity().origin,
                wouldPin: named && pinned == nil)
            return
        }
        // Pulled captures are indexed for search behind the pages, while the next one is on its
        // way; what is left when the sync ends is indexed then (SearchIndexing.catchUp).
        // (A failed pass is left for the catch-up, which reports its error.)
        let indexer = SearchIndexer(replica: local) { _ in }
        let session = SyncSession(
            replica: local, transport: transport, configuration: configuration,
            progress: { step in
                if step.pulledEvents > 0 { indexer.nudge() }
                progress.update(
                    "syncing with \(peerName): \(step.phase.rawValue), \(step.pulledEvents) events pulled, "
                        + "\(step.pushedEvents) pushed, \(Formatting.bytes(step.bytesSent)) sent, "
                        + "\(Formatting.bytes(step.bytesReceived)) received")
            }, pin: pinned.map { (peerName, $0) }, unsigned: acceptUnsigned ? .accept : .refuse)
        let started = Replica.systemClock()
        do {
            let report = try session.run()
            progress.finish()
            let finished = Replica.systemClock()
            try local.record(
                report.record(peer: peerName, startedAt: started, finishedAt: finished, result: "ok", replica: local))
            let pin = named && pinned == nil ? report.serverNode : nil
            if let pin { try local.pinPeer(name: peerName, origin: pin) }
            // The events are safe; what the indexer has not indexed yet of what they brought is
            // indexed now, with a progress line (a failure there is a warning: they stay queued).
            indexer.stop()
            let indexed = SearchIndexing.catchUpOrWarn(local)
            print(report, url: url, peer: peerName, seconds: Double(finished - started) / 1000, indexed: indexed)
            if let node = pin {
                if !output.json {
                    Terminal.line(
                        "Pinned peer \(peerName) to the server's origin \(node.hex) [\(Fingerprint.of(node))]: a later sync "
                            + "that finds another origin there stops until you confirm it with `archive-sync peer trust`."
                    )
                }
            }
        } catch {
            progress.finish()
            // What arrived before the failure is kept, and what of it is not indexed yet stays
            // queued for the next command (status shows it; search indexes it first).
            indexer.stop()
            let partial = session.report
            let finished = Replica.systemClock()
            try? local.record(
                partial.record(
                    peer: peerName, startedAt: started, finishedAt: finished,
                    result: "failed: \(ErrorReporting.message(for: error))", replica: local))
            for warning in ClockWarnings.sentences(
                peer: peerName, clockSkew: partial.clockSkew, eventsAhead: partial.eventsAhead)
            {
                Terminal.error("warning: " + warning)
            }
            throw error
        }
    }

    private func print(
        _ report: SyncReport, url: String, peer: String, seconds: Double, indexed: (count: Int, seconds: Double)
    ) {
        if output.json {
            JSONOutput.print(
                .object([
                    ("server", .string(report.serverName)), ("url", .string(url)),
                    ("server_origin", report.serverNode.map { .string($0.hex) } ?? .null),
                    ("server_fingerprint", report.serverNode.map { .string(Fingerprint.of($0)) } ?? .null),
                    ("pulled", .integer(Int64(report.pulledEvents))), ("pushed", .integer(Int64(report.pushedEvents))),
                    ("bytes_sent", .integer(Int64(report.bytesSent))),
                    ("bytes_received", .integer(Int64(report.bytesReceived))),
                    ("requests", .integer(Int64(report.requests))), ("retries", .integer(Int64(report.retries))),
                    ("own_events_recovered", .integer(Int64(report.ownEventsRecovered))),
                    ("seconds", .string(String(format: "%.3f", seconds))),
                    ("search_indexed_after_sync", .integer(Int64(indexed.count))),
                    ("search_index_seconds", .string(String(format: "%.3f", indexed.seconds))),
                    ("digest", .string(report.digest.hex)),
                    ("server_digest", .string(report.serverDigest)),
                    ("clock_skew_ms", report.clockSkew.map { .integer($0) } ?? .null),
                    ("events_ahead_ms", .integer(report.eventsAhead)),
                    ("knowledge", report.knowledge.json),
                ]))
            return
        }
        if report.ownEventsRecovered > 0 {
            Terminal.line(
                "This replica had lost \(report.ownEventsRecovered) of its own events (it was restored from an older copy); they were pulled back."
            )
        }
        Terminal.line(
            "Synced with \"\(report.serverName)\"\(report.serverNode.map { " [\(Fingerprint.of($0))]" } ?? "") (\(url)): \(Formatting.count(report.pulledEvents, "event")) pulled, "
                + "\(report.pushedEvents) pushed; "
                + "\(Formatting.bytes(report.bytesSent)) sent, \(Formatting.bytes(report.bytesReceived)) received in "
                + String(format: "%.2f s", seconds) + (report.retries > 0 ? " (\(report.retries) retries)" : "") + ".")
        if indexed.count > 0 {
            Terminal.line(
                "Indexed the last \(Formatting.count(indexed.count, "capture")) for search in "
                    + String(format: "%.2f s", indexed.seconds) + ".")
        }
        Terminal.line(
            report.digest.hex == report.serverDigest
                ? "Both replicas hold the same articles (digest \(report.digest.hex.prefix(16)))."
                : "Digests differ (here \(report.digest.hex.prefix(16)), there \(report.serverDigest.prefix(16))): the server changed during the sync; sync again."
        )
        for warning in ClockWarnings.sentences(
            peer: peer, clockSkew: report.clockSkew, eventsAhead: report.eventsAhead)
        {
            Terminal.error("warning: " + warning)
        }
    }

    static func token(from path: String?) throws -> String? {
        if let path {
            guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8)
            else {
                throw CommandError(.fileSystem, "cannot read the token file \(path)")
            }
            let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
            if token.isEmpty { throw CommandError(.invalidInput, "the token file \(path) is empty") }
            return token
        }
        if let token = ProcessInfo.processInfo.environment["ARCHIVE_SYNC_TOKEN"], !token.isEmpty { return token }
        return nil
    }

    static func isLoopback(_ url: String) -> Bool {
        guard let host = URL(string: url)?.host else { return false }
        return host == "localhost" || host.hasPrefix("127.") || host == "::1" || host == "[::1]"
    }
}
