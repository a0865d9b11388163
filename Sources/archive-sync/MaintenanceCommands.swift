import ArchiveModel
import ArgumentParser
import EventJournal
import Foundation
import Replica
import SyncClient
import WireProtocol

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
            decodes, is canonical and matches its hash, that every event of a signed origin \
            carries a valid signature by the key its origin names (reported per origin; origins \
            made before events were signed are named as unsigned history), that every origin's \
            events form a gap-free hash chain, that every event was stored after its causal past with a later \
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
                        "origins",
                        .array(
                            report.origins.map { origin, name in
                                .object([
                                    ("origin", .string(origin.origin.hex)),
                                    ("name", name.map(JSONValue.string) ?? .null),
                                    ("fingerprint", .string(Fingerprint.of(origin.origin))),
                                    ("key", origin.key.map { .string($0.hex) } ?? .null),
                                    ("signed", .bool(origin.isSigned)), ("events", .integer(Int64(origin.events))),
                                    ("verified", .integer(Int64(origin.verified))),
                                    ("bad", .integer(Int64(origin.bad))),
                                ])
                            })
                    ),
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
            Terminal.line("origins:")
            for (origin, name) in report.origins {
                let label = Fingerprint.label(name: name ?? "unnamed", origin: origin.origin, signed: origin.isSigned)
                let verdict =
                    !origin.isSigned
                    ? "\(origin.events) events of unsigned history (written before events were signed: authorship not provable)"
                    : origin.bad == 0
                        ? "\(origin.events) events, every signature valid"
                        : "\(origin.events) events, \(origin.bad) with a signature that is missing or not its origin key's"
                Terminal.line("  \(origin.origin.hex)  \(label)  \(verdict)")
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
            Each peer (named, or a URL synced with) is one line: its last sync, when and how it \
            ended, the events and bytes sent and received, how many events each side still \
            lacked when it ended (from both knowledge vectors as the sync last saw them: 0/0 only \
            when both held the same events and the same digest; a failed sync that never reached \
            the peer keeps the counts of the last one that did, with their time), and how far its \
            clock was from this one. The same events with different digests is said as such (a \
            fork or a bug), never as in step. A clock off by more than a minute, or events dated \
            ahead of this clock, get a warning: nothing is refused for a date (see \
            protocol/CLOCKS.md), but dates written here follow this clock.
            """)

    @OptionGroup var replica: ReplicaOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        let target = try replica.open()
        let status = try target.status()
        let syncs = try target.syncRecords()
        let peers = Self.peerLines(peers: try target.peers(), syncs: syncs)
        let fork = try target.forkNotice()
        let location = try target.location()
        let backup = try target.restoredBackup()
        let journalAhead = ClockWarnings.journalAhead(latestHLC: status.latestHLC, now: Replica.systemClock())
        if output.json {
            var pairs: [(key: String, value: JSONValue)] = [
                ("origin", .string(status.identity.origin.hex)), ("name", .string(status.identity.name)),
                ("path", .string(target.path)), ("events", .integer(Int64(status.events))),
                ("articles", .integer(Int64(status.counts.articles - status.counts.deleted))),
                ("deleted", .integer(Int64(status.counts.deleted))),
                ("captures", .integer(Int64(status.counts.captures))),
                ("conflicts", .integer(Int64(status.counts.conflicts))),
                ("search_pending", .integer(Int64(status.searchPending))),
                ("digest", .string(status.digest.hex)),
                ("knowledge", status.knowledge.json),
                ("key", status.identity.key.map { .string($0.hex) } ?? .null),
                ("fingerprint", .string(Fingerprint.of(status.identity.origin))),
                ("replicas", .object(status.names.sorted { $0.key < $1.key }.map { ($0.key.hex, .string($0.value)) })),
                ("keys", .object(status.keys.sorted { $0.key < $1.key }.map { ($0.key.hex, .string($0.value.hex)) })),
                ("peers", .array(peers.map(Self.json))),
            ]
            pairs.append(
                ("latest_hlc_ahead_ms", .integer(max(0, status.latestHLC.milliseconds - Replica.systemClock()))))
            if let fork { pairs.append(("fork", .string("\(fork.origin.hex):\(fork.seq)"))) }
            if let backup {
                pairs.append(
                    (
                        "backup",
                        .object([
                            ("taken_at", .string(ISODate.format(backup.takenAt))),
                            ("own_events", .integer(Int64(backup.ownEvents))), ("knowledge", backup.knowledge.json),
                            ("restored_in_place", .bool(location == .home)),
                        ])
                    ))
            }
            if case .elsewhere(let madeAt, let nowAt) = location {
                pairs.append(("made_at", .string(madeAt)))
                pairs.append(("now_at", .string(nowAt)))
            }
            JSONOutput.print(.object(pairs))
            return
        }
        Terminal.line(
            "replica:   \(Fingerprint.label(name: status.identity.name, origin: status.identity.origin, signed: status.identity.key != nil))"
                + " (origin \(status.identity.origin.hex))")
        if let key = status.identity.key {
            Terminal.line("key:       \(key.hex) (signs every event this replica writes)")
        }
        Terminal.line("file:      \(target.path)")
        Terminal.line(
            "articles:  \(status.counts.articles - status.counts.deleted) (\(status.counts.deleted) deleted),"
                + " \(status.counts.captures) captures")
        Terminal.line("conflicts: \(status.counts.conflicts) fields in \(status.counts.conflictedArticles) captures")
        Terminal.line("events:    \(status.events)")
        Terminal.line("digest:    \(status.digest.hex)")
        if status.searchPending > 0 {
            Terminal.line(
                "search:    \(Formatting.count(status.searchPending, "capture")) waiting to be indexed "
                    + "(`archive-sync search` indexes them first)")
        }
        Terminal.line("knowledge:")
        for (origin, seq) in status.knowledge.sortedEntries {
            let name = status.names[origin] ?? (origin == status.identity.origin ? status.identity.name : "unnamed")
            let mine = origin == status.identity.origin ? "  (this replica)" : ""
            let label = Fingerprint.label(name: name, origin: origin, signed: status.keys[origin] != nil)
            Terminal.line("  \(origin.hex)  \(seq) events  \(label)\(mine)")
        }
        if !peers.isEmpty { Terminal.line("peers (last sync; what each side lacked when it ended):") }
        for peer in peers { Terminal.line(Self.text(peer)) }
        for peer in peers where peer.sync?.contact?.standing == .digestsDiffer {
            Terminal.line(
                "warning:   \(peer.name) and this replica held the same events but their digests differed at the "
                    + "last sync: the same numbers name different events (a fork) or one side projects wrongly; "
                    + "run `archive-sync verify` on both and sync again")
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
        if let backup {
            if location == .home {
                Terminal.line("warning:   " + Replica.restoredMessage(backup))
            } else {
                Terminal.line(
                    "warning:   this file is a backup of a replica, taken \(ISODate.format(backup.takenAt)), "
                        + "away from that replica's path: it is a copy")
            }
        }
        if case .elsewhere(let madeAt, let nowAt) = location {
            Terminal.line("warning:   " + Replica.misplacedMessage(madeAt: madeAt, nowAt: nowAt))
        }
    }
}
