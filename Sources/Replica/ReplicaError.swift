import ArchiveModel

/// The one error type of the Replica module: what a command asked for that cannot be done.
///
/// `message` is the sentence the command line prints; `code` is for callers and tests.
public struct ReplicaError: ArchiveSyncError {
    public struct Code: ArchiveSyncErrorCode {
        public typealias Failure = ReplicaError
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }

        public static let noReplica = Code(rawValue: "no-replica")
        public static let notAReplica = Code(rawValue: "not-a-replica")
        public static let alreadyExists = Code(rawValue: "already-exists")
        public static let unknownArticle = Code(rawValue: "unknown-article")
        public static let ambiguousArticle = Code(rawValue: "ambiguous-article")
        public static let articleDeleted = Code(rawValue: "article-deleted")
        public static let articleNotDeleted = Code(rawValue: "article-not-deleted")
        public static let articleExists = Code(rawValue: "article-exists")
        public static let nothingToChange = Code(rawValue: "nothing-to-change")
        public static let invalidValue = Code(rawValue: "invalid-value")
        public static let notInConflict = Code(rawValue: "not-in-conflict")
        public static let unknownHead = Code(rawValue: "unknown-head")
        public static let fileSystem = Code(rawValue: "file-system")
        public static let unknownToken = Code(rawValue: "unknown-token")
        public static let unknownPeer = Code(rawValue: "unknown-peer")
        /// A fork of this replica's own origin was found: it must be reidentified before it writes.
        public static let forked = Code(rawValue: "forked")
        /// The replica file is not where it was made: a copy or a moved file.
        public static let misplaced = Code(rawValue: "misplaced")
        /// Another writer (another process) held the replica file for longer than the wait allowed;
        /// trying again later may succeed.
        public static let busy = Code(rawValue: "busy")
    }

    public var code: Code
    public var message: String
    /// The article, file or peer concerned, when the message does not say it.
    public var context: String?
    public var underlying: (any Error)?

    public init(_ code: Code, _ message: String, context: String? = nil, underlying: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.context = context
        self.underlying = underlying
    }
}
