import ArchiveModel

/// The one error type of ArticleProjector: projection tables that cannot be read or do not match.
public struct ArticleProjectorError: ArchiveSyncError {
    public struct Code: ArchiveSyncErrorCode {
        public typealias Failure = ArticleProjectorError
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }

        /// A projection row holds something no event could have produced.
        public static let corruptRow = Code(rawValue: "corrupt-row")
    }

    public var code: Code
    public var message: String
    /// The article or table concerned, when the message does not say it.
    public var context: String?
    public var underlying: (any Error)?

    public init(_ code: Code, _ message: String, context: String? = nil, underlying: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.context = context
        self.underlying = underlying
    }
}
