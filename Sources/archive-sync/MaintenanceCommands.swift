import ArchiveModel
import ArgumentParser
import EventJournal
import Foundation
import Replica
import SyncClient

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write every live article back as a file, at its path under a folder.",
        discussion: """
            Files are written whole and renamed into place; files that already hold the right \
            bytes are left alone, so exporting again is cheap. Import followed by export gives \
            back every well-formed file byte for byte. Deleted articles are not written.
            """)

    @OptionGroup var replica: ReplicaOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "The folder to write into (created if missing).") var directory: String

    func run() throws {
        let target = try replica.open()
        let progress = ProgressLine()
        let report = try target.export(to: directory) { done, total in
            progress.update("exporting: \(done)/\(total) articles")
        }
        progress.finish()
        for clash in report.clashes {
            Terminal.error(
                "not written: article \(clash.article) has the same path \(clash.path) as article \(clash.other); give it another with `archive-sync edit \(clash.article) --path NEW`"
            )
        }
        if output.json {
            JSONOutput.print(
                .object([
                    ("written", .integer(Int64(report.written))), ("unchanged", .integer(Int64(report.unchanged))),
                    ("bytes", .integer(Int64(report.bytes))),
                    (
                        "clashes",
                        .array(
                            report.clashes.map {
                                .object([
                                    ("id", .string($0.article.hex)), ("path", .string($0.path)),
                                    ("other", .string($0.other.hex)),
                                ])
                            })
                    ),
                ]))
        } else {
            Terminal.line(
                "Exported to \(directory): \(report.written) written (\(Formatting.bytes(report.bytes))), \(report.unchanged) unchanged\(report.clashes.isEmpty ? "" : ", \(report.clashes.count) not written (same path)")."
            )
        }
        if !report.clashes.isEmpty { throw ExitCode(1) }
    }
}

struct RebuildCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rebuild",
        abstract: "Replay the whole journal into fresh article tables.",
        discussion: """
            The article tables are a pure function of the journal, so this changes nothing you \
            can see unless they were damaged; it prints the digest before and after. Runs in one \
            transaction: if it fails, the old tables stay.
            """)

    @OptionGroup var replica: ReplicaOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        let target = try replica.open()
        let before = try target.digest()
        let progress = ProgressLine()
        let started = Date()
        let count = try target.rebuild { done in progress.update("rebuilding: \(done) events replayed") }
        progress.finish()
        let after = try target.digest()
        let seconds = Date().timeIntervalSince(started)
        if output.json {
            JSONOutput.print(
                .object([
                    ("events", .integer(Int64(count))), ("digest_before", .string(before.hex)),
                    ("digest", .string(after.hex)), ("unchanged", .bool(before == after)),
                ]))
        } else {
            Terminal.line("Rebuilt the articles from \(count) events in \(String(format: "%.1f", seconds)) s.")
            Terminal.line(
                before == after ? "Digest unchanged: \(after.hex)" : "Digest changed: \(before.hex) → \(after.hex)")
        }
    }
}

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check every invariant on the replica file; change nothing.",
        discussion: """
            Checks that the journal's append-only guards are in place, that every event row \
            decodes, is canonical and matches its hash, that every origin's events form a \
            gap-free hash chain, that every event was stored after its causal past with a later \
            hybrid clock, that the knowledge vector matches the journal, that the article tables \
            match their hashes, and that a rebuild of the journal (in a scratch file) gives the \
            same digest. Exit status 1 when anything is wrong.
            """)

    @OptionGroup var replica: ReplicaOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        let target = try replica.open()
        let progress = ProgressLine()
        let report = try target.verify { done in progress.update("verifying: \(done) events replayed") }
        progress.finish()
        if output.json {
            JSONOutput.print(
                .object([
                    ("ok", .bool(report.ok)), ("events", .integer(Int64(report.events))),
                    ("digest", .string(report.digest.hex)),
                    ("rebuilt_digest", .string(report.rebuiltDigest.hex)),
                    (
                        "checks",
                        .array(
                            report.checks.map {
                                .object([
                                    ("name", .string($0.name)), ("ok", .bool($0.ok)),
                                    ("problems", .array($0.problems.map(JSONValue.string))),
                                ])
                            })
                    ),
                ]))
        } else {
            for check in report.checks {
                Terminal.line("\(check.ok ? "ok    " : "FAILED") \(check.name)")
                for problem in check.problems { Terminal.line("       \(problem)") }
            }
            Terminal.line(
                report.ok
                    ? "All invariants hold (\(report.events) events, digest \(report.digest.hex))."
                    : "The replica fails verification; see above.")
        }
        if !report.ok { throw ExitCode(1) }
    }
}

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Who this replica is, what it holds, its digest and its last syncs.",
        discussion: """
            The knowledge vector lists, for every replica whose events are held here, how many \
            of its events are held. Two replicas with the same digest hold the same articles. \
            Each peer (or URL) synced with is listed with its last sync: when, what was sent and \
            received, how it ended, and how far its clock was from this one. A clock off by \
            more than a minute, or events dated ahead of this clock, get a warning: nothing is \
            refused for a date (see protocol/CLOCKS.md), but dates written here follow this clock.
            """)

    @OptionGroup var replica: ReplicaOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        let target = try replica.open()
        let status = try target.status()
        let syncs = try target.syncRecords()
        let fork = try target.forkNotice()
        let location = try target.location()
        let journal = target.journal
        let latestHLC = try target.read { db in try journal.latestHLC(db) }
        let journalAhead = ClockWarnings.journalAhead(latestHLC: latestHLC, now: Replica.systemClock())
        if output.json {
            var pairs: [(key: String, value: JSONValue)] = [
                ("origin", .string(status.identity.origin.hex)), ("name", .string(status.identity.name)),
                ("path", .string(target.path)), ("events", .integer(Int64(status.events))),
                ("articles", .integer(Int64(status.counts.articles - status.counts.deleted))),
                ("deleted", .integer(Int64(status.counts.deleted))),
                ("conflicts", .integer(Int64(status.counts.conflicts))),
                ("digest", .string(status.digest.hex)),
                ("knowledge", .object(status.knowledge.sortedEntries.map { ($0.origin.hex, .integer(Int64($0.seq))) })),
                ("replicas", .object(status.names.sorted { $0.key < $1.key }.map { ($0.key.hex, .string($0.value)) })),
                (
                    "peers",
                    .array(
                        syncs.map { record in
                            .object([
                                ("peer", .string(record.peer)),
                                ("started_at", .string(Formatting.iso(record.startedAt))),
                                ("finished_at", .string(Formatting.iso(record.finishedAt))),
                                ("sent_events", .integer(Int64(record.sentEvents))),
                                ("sent_bytes", .integer(Int64(record.sentBytes))),
                                ("received_events", .integer(Int64(record.receivedEvents))),
                                ("received_bytes", .integer(Int64(record.receivedBytes))),
                                ("result", .string(record.result)),
                                ("clock_skew_ms", record.clockSkew.map { .integer($0) } ?? .null),
                                ("events_ahead_ms", .integer(record.eventsAhead)),
                            ])
                        })
                ),
            ]
            pairs.append(("latest_hlc_ahead_ms", .integer(max(0, latestHLC.milliseconds - Replica.systemClock()))))
            if let fork { pairs.append(("fork", .string("\(fork.origin.hex):\(fork.seq)"))) }
            if case .elsewhere(let madeAt, let nowAt) = location {
                pairs.append(("made_at", .string(madeAt)))
                pairs.append(("now_at", .string(nowAt)))
            }
            JSONOutput.print(.object(pairs))
            return
        }
        Terminal.line("replica:   \(status.identity.name) (origin \(status.identity.origin.hex))")
        Terminal.line("file:      \(target.path)")
        Terminal.line("articles:  \(status.counts.articles - status.counts.deleted) (\(status.counts.deleted) deleted)")
        Terminal.line("conflicts: \(status.counts.conflicts) fields in \(status.counts.conflictedArticles) articles")
        Terminal.line("events:    \(status.events)")
        Terminal.line("digest:    \(status.digest.hex)")
        Terminal.line("knowledge:")
        for (origin, seq) in status.knowledge.sortedEntries {
            let name = status.names[origin] ?? (origin == status.identity.origin ? status.identity.name : "unnamed")
            let mine = origin == status.identity.origin ? "  (this replica)" : ""
            Terminal.line("  \(origin.hex)  \(seq) events  \(name)\(mine)")
        }
        if !syncs.isEmpty { Terminal.line("last syncs:") }
        for record in syncs {
            Terminal.line(
                "  \(record.peer)  \(Formatting.shortDate(record.finishedAt))  sent \(record.sentEvents) events "
                    + "(\(Formatting.bytes(record.sentBytes))), received \(record.receivedEvents) "
                    + "(\(Formatting.bytes(record.receivedBytes)))  \(record.result)"
                    + (record.clockSkew.map { "  its clock \(ClockSkew(milliseconds: $0))" } ?? ""))
        }
        for record in syncs {
            for warning in ClockWarnings.sentences(
                peer: record.peer, clockSkew: record.clockSkew, eventsAhead: record.eventsAhead)
            {
                Terminal.line("warning:   " + warning)
            }
        }
        if let journalAhead { Terminal.line("warning:   " + journalAhead) }
        if let fork { Terminal.line("warning:   " + Replica.forkMessage(fork)) }
        if case .elsewhere(let madeAt, let nowAt) = location {
            Terminal.line("warning:   " + Replica.misplacedMessage(madeAt: madeAt, nowAt: nowAt))
        }
    }
}
