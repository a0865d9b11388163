import ArchiveModel

/// The one error type of ArticleProjector: projection tables that cannot be read or do not match.
package struct ArticleProjectorError: ArchiveSyncError {
    package struct Code: ArchiveSyncErrorCode {
        package typealias Failure = ArticleProjectorError
        package let rawValue: String
        package init(rawValue: String) { self.rawValue = rawValue }

        /// A projection row holds something no event could have produced.
        package static let corruptRow = Code(rawValue: "corrupt-row")
    }

    package var code: Code
    package var message: String
    /// The article or table concerned, when the message does not say it.
    package var context: String?
    package var underlying: (any Error)?

    package init(_ code: Code, _ message: String, context: String? = nil, underlying: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.context = context
        self.underlying = underlying
    }
}
