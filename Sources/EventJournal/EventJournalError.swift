import ArchiveModel

/// The one error type of EventJournal: an event the journal refuses, or a journal found broken.
///
/// Each refusal has its own code so that callers (and the sync protocol) can tell a gap from a
/// fork; `event` names the event concerned. Nothing is written when one is thrown.
public struct EventJournalError: ArchiveSyncError {
    public struct Code: ArchiveSyncErrorCode {
        public typealias Failure = EventJournalError
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }

        /// The event's seq is past the next one expected from its origin.
        public static let gap = Code(rawValue: "gap")
        /// The event's `prev` is not the hash of its origin's previous event.
        public static let brokenChain = Code(rawValue: "broken-chain")
        /// The event's clock names events this replica does not hold.
        public static let missingCausalPast = Code(rawValue: "missing-causal-past")
        /// Another event with the same origin and seq but a different hash is already held.
        public static let fork = Code(rawValue: "fork")
        /// The event's hybrid clock is not after the events it names in its clock.
        public static let clockNotAfterPast = Code(rawValue: "clock-not-after-past")
        /// An event dated past the horizon (the year 3000) by more than one millisecond after the
        /// latest date of its causal past (protocol/CLOCKS.md). No wrong clock produces it; below
        /// the horizon an event is never refused for its date.
        public static let clockAhead = Code(rawValue: "clock-ahead")
        /// A stored row does not decode or does not match its hash.
        public static let corruptRow = Code(rawValue: "corrupt-row")
    }

    public var code: Code
    public var message: String
    public var event: Dot?
    public var underlying: (any Error)?

    public init(_ code: Code, _ message: String, event: Dot? = nil, underlying: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.event = event
        self.underlying = underlying
    }

    /// The event concerned, as `event ORIGIN:SEQ` (full origin); the message names it already.
    public var context: String? { event.map { "event \($0)" } }
}
