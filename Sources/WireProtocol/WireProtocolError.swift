import ArchiveModel

/// The one error type of the protocol: an HTTP status, a code from SPEC.md and a sentence.
///
/// The server turns every failure into one of these (the code's `status` is the one place where a
/// code gets its status; `init(mapping:)` maps the errors of this module and of ArchiveModel, and
/// the server maps the journal's refusals where it catches them), and the client reads them back
/// from the JSON body (`init(status:body:)`).
public struct WireProtocolError: ArchiveSyncError, Equatable {
    public struct Code: ArchiveSyncErrorCode {
        public typealias Failure = WireProtocolError
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }

        public static let unsupportedVersion = Code(rawValue: "unsupported-version")
        public static let malformedJSON = Code(rawValue: "malformed-json")
        public static let malformedEvent = Code(rawValue: "malformed-event")
        public static let hashMismatch = Code(rawValue: "hash-mismatch")
        public static let malformedRequest = Code(rawValue: "malformed-request")
        public static let badGzip = Code(rawValue: "bad-gzip")
        public static let unauthorized = Code(rawValue: "unauthorized")
        public static let forbidden = Code(rawValue: "forbidden")
        public static let notFound = Code(rawValue: "not-found")
        public static let methodNotAllowed = Code(rawValue: "method-not-allowed")
        public static let gap = Code(rawValue: "gap")
        public static let brokenChain = Code(rawValue: "broken-chain")
        public static let missingCausalPast = Code(rawValue: "missing-causal-past")
        public static let clockNotAfterPast = Code(rawValue: "clock-not-after-past")
        public static let clockAhead = Code(rawValue: "clock-ahead")
        public static let fork = Code(rawValue: "fork")
        public static let tooLarge = Code(rawValue: "too-large")
        public static let requestTimeout = Code(rawValue: "request-timeout")
        public static let unsupportedEncoding = Code(rawValue: "unsupported-encoding")
        public static let `internal` = Code(rawValue: "internal")
        public static let busy = Code(rawValue: "busy")
        /// An event whose signature is missing, malformed or not its origin key's, or a first
        /// event whose key does not name its origin.
        public static let badSignature = Code(rawValue: "bad-signature")
        /// An event of an unsigned origin, pushed to a server that takes only signed events.
        public static let unsignedEvent = Code(rawValue: "unsigned-event")

        /// The HTTP status of each code (SPEC.md's table).
        public var status: Int {
            switch self {
            case .unauthorized: 401
            case .forbidden, .unsignedEvent: 403
            case .notFound: 404
            case .methodNotAllowed: 405
            case .requestTimeout: 408
            case .gap, .brokenChain, .missingCausalPast, .clockNotAfterPast, .clockAhead, .fork: 409
            case .tooLarge: 413
            case .unsupportedEncoding: 415
            case .internal: 500
            case .busy: 503
            default: 400
            }
        }
    }

    public var code: Code
    public var message: String
    /// The event that caused it, as `ORIGIN:SEQ` (full origin id).
    public var event: String?
    /// The line of the batch that caused it (1-based).
    public var line: Int?
    /// The status the server answered (may differ from `code.status` for unknown codes).
    public var status: Int
    /// The failure this one was mapped from (never sent to the peer).
    public var underlying: (any Error)?

    public init(
        _ code: Code, _ message: String, event: String? = nil, line: Int? = nil, status: Int? = nil,
        underlying: (any Error)? = nil
    ) {
        self.code = code
        self.message = message
        self.event = event
        self.line = line
        self.status = status ?? code.status
        self.underlying = underlying
    }

    /// The event or the line of the batch concerned: `event ORIGIN:SEQ`, or `line N`.
    public var context: String? { event.map { "event \($0)" } ?? line.map { "line \($0)" } }

    /// Equal when what goes on the wire is: code, message, event, line and status. The underlying
    /// error is not compared (errors are not `Equatable`).
    public static func == (lhs: WireProtocolError, rhs: WireProtocolError) -> Bool {
        lhs.code == rhs.code && lhs.message == rhs.message && lhs.event == rhs.event && lhs.line == rhs.line
            && lhs.status == rhs.status
    }

    /// True for failures worth retrying after a pause: the server's own trouble, not the request's.
    public var isRetryable: Bool { code == .internal || code == .busy || status >= 500 }

    /// The JSON body of the error response.
    public var json: JSONValue {
        var pairs: [(key: String, value: JSONValue)] = [
            ("error", .string(code.rawValue)), ("message", .string(message)),
        ]
        if let event { pairs.append(("event", .string(event))) }
        if let line { pairs.append(("line", .integer(Int64(line)))) }
        return .object(pairs)
    }

    /// Reads an error response; a body that is not the documented JSON still gives an error
    /// naming the status. The peer's text is one line for a person: its control characters (line
    /// breaks included, which could forge lines of output) are escaped and it is cut at 1,000 scalars.
    public init(status: Int, body: [UInt8]) {
        func line(_ text: String) -> String {
            DisplayText.escaped(String(String.UnicodeScalarView(text.unicodeScalars.prefix(1_000))))
        }
        if let json = try? JSONParser.parse(body), let code = json["error"]?.stringValue,
            let message = json["message"]?.stringValue
        {
            self.init(
                Code(rawValue: code), line(message), event: json["event"]?.stringValue.map(line),
                line: json["line"]?.integerValue.map { Int($0) }, status: status)
        } else {
            let text = line(String(decoding: body.prefix(200), as: UTF8.self))
            self.init(
                status >= 500 ? .internal : .malformedRequest,
                "the server answered HTTP \(status)\(text.isEmpty ? "" : ": \(text)")", status: status)
        }
    }

    /// The protocol error for a failure below the protocol: events that do not decode, and
    /// anything else as `internal`. The journal's refusals are mapped by the server, which
    /// catches them (this module does not depend on the journal).
    public init(mapping error: any Error, line: Int? = nil) {
        switch error {
        case let error as WireProtocolError:
            self = error
            if let line, self.line == nil { self.line = line }
        case let error as ArchiveModelError:
            let code: Code =
                switch error.code {
                case .malformedJSON: .malformedJSON
                case .hashMismatch: .hashMismatch
                case .badSignature: .badSignature
                default: .malformedEvent
                }
            let prefix = line.map { "line \($0): " } ?? ""
            self.init(code, prefix + error.description, line: line, underlying: error)
        default:
            self.init(.internal, "the server failed: \(error)", underlying: error)
        }
    }
}
