import ArchiveModel

/// The one error type of the Replica module: what a command asked for that cannot be done.
///
/// `message` is the sentence the command line prints; `code` is for callers and tests.
public struct ReplicaError: Error, CustomStringConvertible, Sendable {
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

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
    }

    public var code: Code
    public var message: String
    public var underlying: (any Error)?

    public init(_ code: Code, _ message: String, underlying: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    public var description: String { message }
}
