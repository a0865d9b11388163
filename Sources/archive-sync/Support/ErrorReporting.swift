import ArchiveModel
import ArgumentParser
import ArticleProjector
import EventJournal
import Foundation
import GRDB
import Replica
import SyncClient
import SyncServer
import WireProtocol

/// The one sentence an error prints on standard error.
enum ErrorReporting {
    static func message(for error: any Error) -> String {
        switch error {
        case let error as ReplicaError: return error.message
        case let error as ArchiveModelError: return error.description
        case let error as EventJournalError: return error.message
        case let error as ArticleProjectorError: return error.message
        case let error as CommandError: return error.message
        case let error as SyncServerError: return error.message
        case let error as SyncClientError: return error.message
        case let error as WireProtocolError: return error.message
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
}

/// A problem found by a command itself (bad arguments that parse, unreadable input).
struct CommandError: Error {
    var message: String
    var exitCode: Int32 = 1
    init(_ message: String, exitCode: Int32 = 1) {
        self.message = message
        self.exitCode = exitCode
    }
}
