/// The shape of every error archive-sync throws: one type per module (`ReplicaError`,
/// `EventJournalError`, …) conforms, so callers and the command line read any of them the same way.
///
/// What every conforming type must do:
/// - `code` says what kind of problem it is; callers and tests decide by it, never by the message.
/// - `message` is one sentence a person can act on. The command line prints `description`, which
///   is `message` unless the type says otherwise (`ArchiveModelError` puts its context first).
/// - `context` names what the error is about (a file, an event, a field) when there is one.
/// - `underlying` is the error this one was made from (SQLite's, the system's), kept for logs and
///   for callers that look through it; it is never part of `message`.
///
/// A code matches a thrown error of its own type with `~=`, as GRDB's `ResultCode` matches a
/// `DatabaseError`, so a caller catches one kind without casting:
///
/// ```swift
/// do {
///     try replica.apply(events)
/// } catch EventJournalError.Code.gap {
///     // pull what is missing first
/// }
/// ```
public protocol ArchiveSyncError: Error, CustomStringConvertible, Sendable {
    associatedtype Code: ArchiveSyncErrorCode where Code.Failure == Self

    var code: Code { get }
    var message: String { get }
    /// What the error is about (a path, `event ORIGIN:SEQ`, a field name), or nil.
    var context: String? { get }
    /// The error this one was made from, if any.
    var underlying: (any Error)? { get }
}

extension ArchiveSyncError {
    public var description: String { message }
}

/// The code of one module's error: an extensible set of named strings (a new kind is one `static
/// let` in the module that throws it), each module with its own type so that a code can only be
/// compared with codes of the same error.
///
/// Codes are not shared between modules on purpose: `invalid-value` of a model rule and
/// `invalid-value` of a replica command are different problems, and `catch ReplicaError.Code.busy`
/// must not catch another module's `busy`.
public protocol ArchiveSyncErrorCode: RawRepresentable<String>, Hashable, Sendable, CustomStringConvertible {
    /// The error type these codes belong to.
    associatedtype Failure: ArchiveSyncError where Failure.Code == Self
}

extension ArchiveSyncErrorCode {
    public var description: String { rawValue }

    /// True when `error` is this code's error type with this code: `catch ReplicaError.Code.busy`,
    /// `if case EventJournalError.Code.fork = error`.
    public static func ~= (code: Self, error: any Error) -> Bool {
        (error as? Failure)?.code == code
    }
}
