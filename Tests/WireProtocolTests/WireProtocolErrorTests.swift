import ArchiveModel
import TestSupport
import Testing
import WireProtocol

/// The protocol's error in the shape of every error: what it was mapped from is kept, never sent.
struct WireProtocolErrorTests {
    struct Cause: Error, CustomStringConvertible {
        var description: String { "disk on fire" }
    }

    @Test func aProtocolErrorCarriesItsCodeMessageContextAndCause() {
        let error = WireProtocolError(.gap, "a gap", event: "ab:2", line: 3, underlying: Cause())
        let any: any ArchiveSyncError = error
        #expect(any.code.rawValue == "gap")
        #expect(any.message == "a gap")
        #expect(any.context == "event ab:2")
        #expect(any.underlying is Cause)
        #expect(any.description == "a gap")
        #expect(WireProtocolError(.badGzip, "bad", line: 4).context == "line 4")
        #expect(WireProtocolError(.busy, "busy").context == nil)
    }

    @Test func equalityIsWhatGoesOnTheWire() {
        let error = WireProtocolError(.fork, "a fork", event: "ab:2", line: 3)
        #expect(error == WireProtocolError(.fork, "a fork", event: "ab:2", line: 3, underlying: Cause()))
        #expect(error != WireProtocolError(.fork, "a fork", event: "ab:2", line: 4))
        #expect(error != WireProtocolError(.fork, "a fork", event: "ab:2", line: 3, status: 500))
    }

    @Test func mappingKeepsWhatItMappedAndAnUnknownFailureIsInternal() {
        let model = WireProtocolError(mapping: ArchiveModelError(.hashMismatch, "the hash differs"), line: 2)
        #expect(model.code == .hashMismatch && model.message == "line 2: the hash differs" && model.line == 2)
        #expect(model.underlying is ArchiveModelError)
        let unknown = WireProtocolError(mapping: Cause())
        #expect(unknown.code == .internal && unknown.message == "the server failed: disk on fire")
        #expect(unknown.underlying is Cause)
    }

    @Test func aBadLineIsCaughtByItsCode() throws {
        var caught = ""
        do {
            _ = try EventBatch.decode(Array("{\"hash\":1}\n".utf8))
        } catch WireProtocolError.Code.malformedJSON {
            caught = "malformed-json"
        } catch WireProtocolError.Code.malformedEvent {
            caught = "malformed-event"
        }
        #expect(caught == "malformed-event")
    }
}
