import ArchiveModel
import SyncClient
import WireProtocol

/// How `sync --dry-run` says what a sync would exchange.
extension SyncCommand {
    /// Articles listed per direction in text; `--json` lists them all.
    static let dryRunArticleLines = 50

    func print(_ preview: SyncPreview.Report, url: String, peer: String, own: OriginID, wouldPin: Bool) {
        if output.json {
            JSONOutput.print(
                .object([
                    ("dry_run", .bool(true)), ("server", .string(preview.serverName)), ("url", .string(url)),
                    ("server_origin", preview.serverNode.map { .string($0.hex) } ?? .null),
                    ("server_fingerprint", preview.serverNode.map { .string(Fingerprint.of($0)) } ?? .null),
                    ("pull", Self.json(preview.pull, own: own)), ("push", Self.json(preview.push, own: own)),
                    ("stops", .array(preview.stops.map(JSONValue.string))),
                    ("would_pin", .bool(wouldPin && preview.serverNode != nil)),
                    ("knowledge", preview.localKnowledge.json), ("server_knowledge", preview.serverKnowledge.json),
                    ("digest", .string(preview.localDigest.hex)), ("server_digest", .string(preview.serverDigest)),
                    ("requests", .integer(Int64(preview.requests))),
                    ("bytes_sent", .integer(Int64(preview.bytesSent))),
                    ("bytes_received", .integer(Int64(preview.bytesReceived))),
                ]))
            return
        }
        let server = preview.serverNode.map { " [\(Fingerprint.of($0))]" } ?? ""
        Terminal.line("Dry run with \"\(preview.serverName)\"\(server) (\(url)): nothing was written.")
        for (verb, side) in [("pull", preview.pull), ("push", preview.push)] {
            guard side.events > 0 else {
                Terminal.line("Would \(verb) nothing.")
                continue
            }
            Terminal.line(
                "Would \(verb) \(Formatting.count(side.events, "event")) of "
                    + "\(Formatting.count(side.articles.count, "article")):")
            for origin in side.origins {
                let label = Fingerprint.label(
                    name: origin.name ?? "unnamed", origin: origin.origin, signed: origin.signed)
                Terminal.line(
                    "  \(label)\(origin.origin == own ? " (this replica)" : "")  "
                        + Formatting.count(origin.events, "event"))
            }
            for article in side.articles.prefix(Self.dryRunArticleLines) {
                let title = article.title.map { "  " + Formatting.oneLine(.text($0)) } ?? ""
                Terminal.line(
                    "    \(article.id.hex.prefix(8))  \(Formatting.count(article.events, "event")) "
                        + "(\(article.kinds.map(\.rawValue).joined(separator: ", ")))\(title)")
            }
            if side.articles.count > Self.dryRunArticleLines {
                Terminal.line(
                    "    and \(side.articles.count - Self.dryRunArticleLines) more articles (--json lists them all)")
            }
        }
        if wouldPin, let node = preview.serverNode {
            Terminal.line(
                "A sync would pin peer \(peer) to the server's origin \(node.hex) [\(Fingerprint.of(node))] (its first)."
            )
        }
        for stop in preview.stops { Terminal.line("warning: " + stop) }
    }

    private static func json(_ side: SyncPreview.Side, own: OriginID) -> JSONValue {
        .object([
            ("events", .integer(Int64(side.events))),
            (
                "origins",
                .array(
                    side.origins.map { origin in
                        .object([
                            ("origin", .string(origin.origin.hex)),
                            ("name", origin.name.map(JSONValue.string) ?? .null),
                            ("fingerprint", .string(Fingerprint.of(origin.origin))),
                            ("signed", .bool(origin.signed)), ("this_replica", .bool(origin.origin == own)),
                            ("events", .integer(Int64(origin.events))),
                        ])
                    })
            ),
            (
                "articles",
                .array(
                    side.articles.map { article in
                        .object([
                            ("id", .string(article.id.hex)), ("title", article.title.map(JSONValue.string) ?? .null),
                            ("events", .integer(Int64(article.events))),
                            ("kinds", .array(article.kinds.map { .string($0.rawValue) })),
                        ])
                    })
            ),
        ])
    }
}
