import ArchiveModel
import WireProtocol

/// The one error type of SyncClient: why a sync stopped.
///
/// `isRetryable` says whether trying again after a pause may help (the session does so itself a
/// few times before giving up).
package struct SyncClientError: ArchiveSyncError {
    package struct Code: ArchiveSyncErrorCode {
        package typealias Failure = SyncClientError
        package let rawValue: String
        package init(rawValue: String) { self.rawValue = rawValue }

        /// The connection failed, timed out or was cut (libcurl's error in the message).
        package static let transport = Code(rawValue: "transport")
        /// The server answered with a protocol error (`server` holds it).
        package static let server = Code(rawValue: "server")
        /// The server's answer does not follow the protocol.
        package static let badResponse = Code(rawValue: "bad-response")
        /// The server's answer grew past what the request allows (a gzip bomb, a page of empty
        /// lines): the transfer was stopped.
        package static let tooLarge = Code(rawValue: "too-large")
        /// A fork of this replica's own origin: it must be reidentified.
        package static let ownFork = Code(rawValue: "own-fork")
        /// The server is this very replica, or a copy of it.
        package static let sameIdentity = Code(rawValue: "same-identity")
        /// The server did not prove that it holds the key of the origin it names.
        package static let unprovenServer = Code(rawValue: "unproven-server")
        /// The server sent unsigned history, and this sync does not take it.
        package static let unsignedHistory = Code(rawValue: "unsigned-history")
        /// The server is another origin than the one pinned for this peer.
        package static let serverChanged = Code(rawValue: "server-changed")
        /// The URL, token or TLS settings cannot be used.
        package static let configuration = Code(rawValue: "configuration")
        /// Applying pulled events locally failed.
        package static let local = Code(rawValue: "local")
        /// A waiting pull was stopped from this side (there is something to send, or the program
        /// is stopping); nothing was lost.
        package static let interrupted = Code(rawValue: "interrupted")
    }

    package var code: Code
    package var message: String
    package var isRetryable: Bool
    /// The protocol error the server answered, for `.server`.
    package var server: WireProtocolError?
    /// The event concerned (for forks).
    package var event: Dot?
    /// The error the sync stopped on: `server` for `.server` unless another is given.
    package var underlying: (any Error)?

    package init(
        _ code: Code, _ message: String, isRetryable: Bool = false, server: WireProtocolError? = nil, event: Dot? = nil,
        underlying: (any Error)? = nil
    ) {
        self.code = code
        self.message = message
        self.isRetryable = isRetryable
        self.server = server
        self.event = event
        self.underlying = underlying ?? server
    }

    /// The event concerned, as `event ORIGIN:SEQ` (full origin).
    package var context: String? { event.map { "event \($0)" } }

    /// The error for a server's answer of another status than 200 to a request for `path`: its
    /// protocol error, retryable when the server says so; an unsupported version says which.
    package static func refusal(of path: String, status: Int, body: [UInt8]) -> SyncClientError {
        let error = WireProtocolError(status: status, body: body)
        if error.code == .unsupportedVersion {
            return SyncClientError(
                .server,
                "the server does not speak protocol version \(WireProtocol.version), the one this archive-sync "
                    + "speaks (it said: \(error.message)); run the same version of archive-sync on both sides",
                server: error)
        }
        return SyncClientError(
            .server, "the server refused \(path): \(error.message)", isRetryable: error.isRetryable, server: error)
    }
}
