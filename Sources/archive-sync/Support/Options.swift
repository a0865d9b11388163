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

    func open() throws -> Replica { try Replica.open(at: path) }
}

/// `--json`: machine-readable output instead of text for people.
struct OutputOptions: ParsableArguments {
    @Flag(name: .long, help: "Print JSON: one object per line for lists, one object otherwise.")
    var json = false
}
