import ArchiveModel
import SyncClient
import TestSupport
import Testing
import WireProtocol

/// The client's error in the shape of every error: the server's answer is its cause.
struct SyncClientErrorTests {
    struct Cause: Error {}

    @Test func aClientErrorCarriesItsCodeMessageEventAndCause() {
        let dot = Dot(origin: EventFactory.origin(2), seq: 5)
        let error = SyncClientError(.local, "a page could not be applied", event: dot, underlying: Cause())
        let any: any ArchiveSyncError = error
        #expect(any.code.rawValue == "local")
        #expect(any.message == "a page could not be applied")
        #expect(any.context == "event \(dot.origin.hex):5")
        #expect(any.underlying is Cause)
        #expect(any.description == "a page could not be applied")
        #expect(SyncClientError(.transport, "refused", isRetryable: true).underlying == nil)
    }

    @Test func theServersAnswerIsTheUnderlyingErrorOfAServerError() {
        let answer = WireProtocolError(.busy, "busy")
        let error = SyncClientError(.server, answer.message, isRetryable: true, server: answer)
        #expect((error.underlying as? WireProtocolError) == answer)
        #expect(SyncClientError.Code.server ~= error)
        #expect(!(SyncClientError.Code.transport ~= error))
        #expect(!(SyncClientError.Code.server ~= answer))
    }
}
