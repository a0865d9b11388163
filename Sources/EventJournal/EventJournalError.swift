import ArchiveModel

/// The one error type of EventJournal: an event the journal refuses, or a journal found broken.
///
/// Each refusal has its own code so that callers (and the sync protocol) can tell a gap from a
/// fork; `event` names the event concerned. Nothing is written when one is thrown.
package struct EventJournalError: ArchiveSyncError {
    package struct Code: ArchiveSyncErrorCode {
        package typealias Failure = EventJournalError
        package let rawValue: String
        package init(rawValue: String) { self.rawValue = rawValue }

        /// The event's seq is past the next one expected from its origin.
        package static let gap = Code(rawValue: "gap")
        /// The event's `prev` is not the hash of its origin's previous event.
        package static let brokenChain = Code(rawValue: "broken-chain")
        /// The event's clock names events this replica does not hold.
        package static let missingCausalPast = Code(rawValue: "missing-causal-past")
        /// Another event with the same origin and seq but a different hash is already held.
        package static let fork = Code(rawValue: "fork")
        /// The event's hybrid clock is not after the events it names in its clock.
        package static let clockNotAfterPast = Code(rawValue: "clock-not-after-past")
        /// An event dated past the horizon (the year 3000) by more than one millisecond after the
        /// latest date of its causal past (protocol/CLOCKS.md). No wrong clock produces it; below
        /// the horizon an event is never refused for its date.
        package static let clockAhead = Code(rawValue: "clock-ahead")
        /// The event's signature is missing, malformed or not its origin's (or its first event's
        /// key does not name its origin).
        package static let badSignature = Code(rawValue: "bad-signature")
        /// An event of an unsigned origin, offered where only signed events are accepted.
        package static let unsigned = Code(rawValue: "unsigned-event")
        /// A stored row does not decode or does not match its hash.
        package static let corruptRow = Code(rawValue: "corrupt-row")
    }

    package var code: Code
    package var message: String
    package var event: Dot?
    package var underlying: (any Error)?

    package init(_ code: Code, _ message: String, event: Dot? = nil, underlying: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.event = event
        self.underlying = underlying
    }

    /// The event concerned, as `event ORIGIN:SEQ` (full origin); the message names it already.
    package var context: String? { event.map { "event \($0)" } }
}
