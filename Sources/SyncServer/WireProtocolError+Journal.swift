import ArchiveModel
import EventJournal
import WireProtocol

extension WireProtocolError {
    /// The protocol error for what a route caught: the journal's refusals under their SPEC.md codes
    /// (with the event, in full, and the batch line), and anything else as `init(mapping:line:)`
    /// maps it. Mapped here, where the server catches them, so that WireProtocol need not know the
    /// journal.
    init(caught error: any Error, line: Int? = nil) {
        guard let error = error as? EventJournalError else {
            self.init(mapping: error, line: line)
            return
        }
        let code: Code =
            switch error.code {
            case .gap: .gap
            case .brokenChain: .brokenChain
            case .missingCausalPast: .missingCausalPast
            case .fork: .fork
            case .clockNotAfterPast: .clockNotAfterPast
            case .clockAhead: .clockAhead
            case .badSignature: .badSignature
            case .unsigned: .unsignedEvent
            default: .internal
            }
        let hint =
            error.code == .unsigned
            ? "; this server takes unsigned history only while started with `serve --accept-unsigned`" : ""
        self.init(
            code, error.message + hint, event: error.event.map { "\($0.origin.hex):\($0.seq)" }, line: line,
            underlying: error)
    }
}
