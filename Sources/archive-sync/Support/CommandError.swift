import ArchiveModel

/// A problem found by a command itself (bad arguments that parse, unreadable input), printed as
/// any other error of the project with its own exit status.
struct CommandError: ArchiveSyncError {
    struct Code: ArchiveSyncErrorCode {
        typealias Failure = CommandError
        let rawValue: String
        init(rawValue: String) { self.rawValue = rawValue }

        /// A value that parsed but cannot be used (a flag that is not true or false, an unknown peer).
        static let invalidInput = Code(rawValue: "invalid-input")
        /// A file the command reads or writes cannot be.
        static let fileSystem = Code(rawValue: "file-system")
    }

    var code: Code
    var message: String
    /// The file or value concerned, when the message does not say it.
    var context: String?
    var underlying: (any Error)?
    /// The process's exit status when this error ends the command.
    var exitCode: Int32

    init(
        _ code: Code, _ message: String, context: String? = nil, underlying: (any Error)? = nil, exitCode: Int32 = 1
    ) {
        self.code = code
        self.message = message
        self.context = context
        self.underlying = underlying
        self.exitCode = exitCode
    }
}
