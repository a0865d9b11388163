import ArchiveModel

/// The one error type of SyncServer: a server that cannot start.
package struct SyncServerError: ArchiveSyncError {
    package struct Code: ArchiveSyncErrorCode {
        package typealias Failure = SyncServerError
        package let rawValue: String
        package init(rawValue: String) { self.rawValue = rawValue }

        /// No token is on record and anonymous access was not allowed.
        package static let noTokens = Code(rawValue: "no-tokens")
        /// The server could not listen on its address (the port is taken, the address is not this
        /// machine's, the port needs privileges).
        package static let cannotListen = Code(rawValue: "cannot-listen")
        /// An address to listen on that is not `HOST:PORT`.
        package static let invalidAddress = Code(rawValue: "invalid-address")
    }

    package var code: Code
    package var message: String
    /// The address or file concerned, when the message does not say it.
    package var context: String?
    package var underlying: (any Error)?

    package init(_ code: Code, _ message: String, context: String? = nil, underlying: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.context = context
        self.underlying = underlying
    }
}
