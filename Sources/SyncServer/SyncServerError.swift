import ArchiveModel

/// The one error type of SyncServer: a server that cannot start.
public struct SyncServerError: ArchiveSyncError {
    public struct Code: ArchiveSyncErrorCode {
        public typealias Failure = SyncServerError
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }

        /// No token is on record and anonymous access was not allowed.
        public static let noTokens = Code(rawValue: "no-tokens")
    }

    public var code: Code
    public var message: String
    /// The address or file concerned, when the message does not say it.
    public var context: String?
    public var underlying: (any Error)?

    public init(_ code: Code, _ message: String, context: String? = nil, underlying: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.context = context
        self.underlying = underlying
    }
}
