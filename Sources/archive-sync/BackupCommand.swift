import ArchiveModel
import ArgumentParser
import Foundation
import Replica
import WireProtocol

struct BackupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Write a consistent copy of the replica file, while others go on writing to it.",
        discussion: """
            The copy is taken with SQLite's online backup API from one snapshot: processes \
            writing to the replica (serve, sync, import) go on meanwhile, and the copy holds \
            exactly what was committed when the backup began. It is written aside, synced, and \
            renamed into place as one self-contained file of mode 0600 (yours only); an \
            existing FILE is replaced only with --force, and never the replica's own file. The \
            copy knows it is a backup: it records when it was taken and what it held.

            The private signing key (PATH.key beside the replica) is NOT copied: a backup is \
            made to be stored and moved, and a private key must not travel with it. Keep the \
            key yourself, somewhere only you can read (`cp -p PATH.key /private/place/`). A \
            restore that finds it at PATH.key signs with it; without it, `archive-sync \
            reidentify` gives the replica a new key pair (nothing held is lost).

            To restore in place: stop every process using the replica, remove PATH-wal and \
            PATH-shm (they belong to the file being replaced), and copy FILE to PATH keeping its \
            mode (`cp -p FILE PATH`). The restored file says at every command that it is a \
            restored backup, and writes nothing until it has synced with a peer: the events the \
            replica wrote after the backup come back from the peers that hold them, then it \
            writes on (writing first would fork its origin). With no peer at hand, `archive-sync \
            reidentify` gives it a new identity; if the backup is surely the latest state of the \
            replica, `archive-sync reidentify --restored` lets it write at once. Anywhere else \
            than the replica's path, the backup is a copy: read it as it is (`--db FILE`), or \
            run `archive-sync reidentify` to make it a replica of its own.

            Examples:
              archive-sync backup /mnt/backups/laptop-2026-12-02.db
              archive-sync backup /mnt/backups/laptop.db --force --json
              archive-sync verify --db /mnt/backups/laptop.db
            """)

    @OptionGroup var replica: ReplicaOptions
    @OptionGroup var output: OutputOptions
    @Flag(help: "Replace FILE if it exists.") var force = false
    @Argument(help: ArgumentHelp("The file to write the backup to.", valueName: "file")) var file: String

    func run() throws {
        let source = try replica.open()
        let identity = try source.identity()
        let progress = ProgressLine()
        let report = try source.backup(to: file, replacing: force) { step in
            progress.update("backing up: \(step.pagesDone)/\(step.pagesTotal) pages")
        }
        progress.finish()
        let keyFile = SigningKeyFile.path(forReplicaAt: source.path)
        if output.json {
            JSONOutput.print(
                .object([
                    ("path", .string(report.path)), ("bytes", .integer(Int64(report.bytes))),
                    ("taken_at", .string(ISODate.format(report.takenAt))),
                    ("events", .integer(Int64(report.knowledge.total))),
                    ("own_events", .integer(Int64(report.ownEvents))), ("knowledge", report.knowledge.json),
                    ("origin", .string(identity.origin.hex)), ("key_file", .string(keyFile)),
                    ("key_copied", .bool(false)),
                ]))
            return
        }
        Terminal.line(
            "Backed up \(Fingerprint.label(name: identity.name, origin: identity.origin, signed: identity.key != nil)) "
                + "to \(report.path) (\(Formatting.bytes(report.bytes))): \(Formatting.count(report.knowledge.total, "event")), "
                + "\(report.ownEvents) of them its own, as of \(ISODate.format(report.takenAt)).")
        Terminal.line(
            "The signing key \(keyFile) is not in the backup: keep a copy of it where only you can read it.")
    }
}
