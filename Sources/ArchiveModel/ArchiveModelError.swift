/// The one error type of ArchiveModel: a malformed article file, event or value.
///
/// `code` says what kind of problem it is (tests and callers match on it), `message` is one
/// sentence a person can act on, and `context` names the file or event concerned.
public struct ArchiveModelError: ArchiveSyncError, Equatable {
    /// What went wrong, for callers that decide by kind.
    public struct Code: ArchiveSyncErrorCode {
        public typealias Failure = ArchiveModelError
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }

        // Article files.
        public static let emptyFile = Code(rawValue: "empty-file")
        public static let invalidUTF8 = Code(rawValue: "invalid-utf8")
        public static let byteOrderMark = Code(rawValue: "byte-order-mark")
        public static let carriageReturn = Code(rawValue: "carriage-return")
        public static let unclosedFrontMatter = Code(rawValue: "unclosed-front-matter")
        public static let missingTimestamp = Code(rawValue: "missing-timestamp")
        public static let badTimestamp = Code(rawValue: "bad-timestamp")
        public static let missingLink = Code(rawValue: "missing-link")
        public static let brokenLink = Code(rawValue: "broken-link")
        public static let missingDashes = Code(rawValue: "missing-dashes")
        public static let missingBlankLine = Code(rawValue: "missing-blank-line")
        // The date-line form: the "日期：" line after the dashes, in place of the <!--ms--> comment.
        public static let missingDateLine = Code(rawValue: "missing-date-line")
        public static let badDateLine = Code(rawValue: "bad-date-line")
        // Files and values: SQLite would cut a text at a NUL byte, so none is accepted anywhere.
        public static let nulByte = Code(rawValue: "nul-byte")
        // Values and events.
        public static let invalidValue = Code(rawValue: "invalid-value")
        public static let malformedJSON = Code(rawValue: "malformed-json")
        public static let malformedEvent = Code(rawValue: "malformed-event")
        public static let hashMismatch = Code(rawValue: "hash-mismatch")
        /// A key that does not name its origin, or a signature that is malformed or does not verify.
        public static let badSignature = Code(rawValue: "bad-signature")
    }

    public var code: Code
    public var message: String
    /// The file, event or value concerned, when there is one (a path, `origin:seq`, a field name).
    public var context: String?
    public var underlying: (any Error)?

    public init(_ code: Code, _ message: String, context: String? = nil, underlying: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.context = context
        self.underlying = underlying
    }

    /// The message after its context: the parsers that write the message do not know which file
    /// or event they read, so the context comes first, as a compiler names the file.
    public var description: String {
        if let context { return "\(context): \(message)" }
        return message
    }

    /// Equal when code, message and context are: what a test or a caller can tell apart. The
    /// underlying error is not compared (errors are not `Equatable`).
    public static func == (lhs: ArchiveModelError, rhs: ArchiveModelError) -> Bool {
        lhs.code == rhs.code && lhs.message == rhs.message && lhs.context == rhs.context
    }
}
