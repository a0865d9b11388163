import ArchiveModel

/// The one error type of the Replica module: what a command asked for that cannot be done.
///
/// `message` is the sentence the command line prints; `code` is for callers and tests.
package struct ReplicaError: ArchiveSyncError {
    package struct Code: ArchiveSyncErrorCode {
        package typealias Failure = ReplicaError
        package let rawValue: String
        package init(rawValue: String) { self.rawValue = rawValue }

        package static let noReplica = Code(rawValue: "no-replica")
        package static let notAReplica = Code(rawValue: "not-a-replica")
        package static let alreadyExists = Code(rawValue: "already-exists")
        package static let unknownArticle = Code(rawValue: "unknown-article")
        package static let ambiguousArticle = Code(rawValue: "ambiguous-article")
        package static let articleDeleted = Code(rawValue: "article-deleted")
        package static let articleNotDeleted = Code(rawValue: "article-not-deleted")
        package static let articleExists = Code(rawValue: "article-exists")
        package static let nothingToChange = Code(rawValue: "nothing-to-change")
        package static let invalidValue = Code(rawValue: "invalid-value")
        package static let notInConflict = Code(rawValue: "not-in-conflict")
        package static let unknownHead = Code(rawValue: "unknown-head")
        package static let fileSystem = Code(rawValue: "file-system")
        package static let unknownToken = Code(rawValue: "unknown-token")
        package static let unknownPeer = Code(rawValue: "unknown-peer")
        /// A fork of this replica's own origin was found: it must be reidentified before it writes.
        package static let forked = Code(rawValue: "forked")
        /// The replica file is not where it was made: a copy or a moved file.
        package static let misplaced = Code(rawValue: "misplaced")
        /// The file is a backup restored in place that has not synced since: it must get back the
        /// events its replica wrote after the backup (or be settled by `reidentify`) before it writes.
        package static let restoredBackup = Code(rawValue: "restored-backup")
        /// Another writer (another process) held the replica file for longer than the wait allowed;
        /// trying again later may succeed.
        package static let busy = Code(rawValue: "busy")
        /// The replica's signing key file is not there (it signs nothing without it).
        package static let noSigningKey = Code(rawValue: "no-signing-key")
        /// The signing key file is there but refused: readable by others, malformed, or not the
        /// key of this replica's origin.
        package static let badSigningKey = Code(rawValue: "bad-signing-key")
    }

    package var code: Code
    package var message: String
    /// The article, file or peer concerned, when the message does not say it.
    package var context: String?
    package var underlying: (any Error)?

    package init(_ code: Code, _ message: String, context: String? = nil, underlying: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.context = context
        self.underlying = underlying
    }
}
