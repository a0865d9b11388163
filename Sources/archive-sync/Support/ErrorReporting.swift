import ArchiveModel
import Foundation
import GRDB

/// The one way the command line says an error: one sentence, the same on standard error and in
/// the sync record.
enum ErrorReporting {
    /// The sentence for `error`: an error of the project says its own `description`; SQLite's
    /// errors that reach the command line (another writer, a read-only or damaged file) get a
    /// sentence a person can act on; anything else its system description.
    static func message(for error: any Error) -> String {
        switch error {
        case let error as any ArchiveSyncError:
            return error.description
        case let error as DatabaseError:
            switch error.resultCode {
            case .SQLITE_BUSY, .SQLITE_LOCKED:
                return "the replica is busy with another writer; try again in a moment"
            case .SQLITE_READONLY:
                return "the replica file is read-only"
            case .SQLITE_CORRUPT, .SQLITE_NOTADB:
                return "the replica file is damaged or not a replica (\(error.message ?? "corrupt"))"
            default:
                return "the database refused the change: \(error.message ?? error.description)"
            }
        default:
            return (error as NSError).localizedDescription
        }
    }

    /// The exit status for an error of the project: a command's own, or 1.
    static func exitCode(for error: any Error) -> Int32 {
        (error as? CommandError)?.exitCode ?? 1
    }

    /// Prints `error` on standard error as `archive-sync: SENTENCE` and ends the process with its
    /// exit status.
    static func exit(with error: any Error) -> Never {
        Terminal.error("archive-sync: \(message(for: error))")
        Foundation.exit(exitCode(for: error))
    }
}
