import ArchiveModel
import ArgumentParser
import Foundation
import Replica

/// `--db`: which replica file a command works on.
struct ReplicaOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "The replica's SQLite file.",
            discussion: "Defaults to $ARCHIVE_SYNC_DB, else archive.db in the current folder.",
            valueName: "path"))
    var db: String?

    /// The path chosen by `--db`, the environment or the default.
    var path: String {
        if let db { return db }
        if let fromEnvironment = ProcessInfo.processInfo.environment["ARCHIVE_SYNC_DB"], !fromEnvironment.isEmpty {
            return fromEnvironment
        }
        return "archive.db"
    }

    /// Opens the replica; one made before events were signed gets its key pair and signed origin
    /// here, and the user is told once (README, "Signed origins").
    func open() throws -> Replica {
        let replica = try Replica.open(at: path)
        if let upgrade = try replica.upgradeToSignedOrigin() {
            Terminal.error(
                "note: this replica now signs every event it writes, with the key in \(upgrade.keyFile) (keep it "
                    + "private; it is readable by you only). Its events from now on are origin "
                    + "\(upgrade.signedOrigin.hex) [\(Fingerprint.of(upgrade.signedOrigin))]; its earlier ones stay, "
                    + "unchanged, as the unsigned history of origin \(upgrade.unsignedOrigin.hex).")
        }
        if let backup = try replica.restoredBackup() {
            let taken = ISODate.format(backup.takenAt)
            switch try replica.location() {
            case .home:
                Terminal.error(
                    "note: this file is a backup taken \(taken), restored in place: it writes nothing until it has "
                        + "synced with a peer that may hold the events its replica wrote since (see `archive-sync status`)."
                )
            case .elsewhere(let madeAt, _):
                Terminal.error(
                    "note: this file is a backup taken \(taken) of the replica at \(madeAt); here it is a copy (see "
                        + "`archive-sync status`).")
            }
        }
        return replica
    }
}

/// `--json`: machine-readable output instead of text for people.
struct OutputOptions: ParsableArguments {
    @Flag(name: .long, help: "Print JSON: one object per line for lists, one object otherwise.")
    var json = false
}
