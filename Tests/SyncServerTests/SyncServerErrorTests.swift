import ArchiveModel
import HummingbirdTesting
import Logging
import Replica
import SyncServer
import TestSupport
import Testing
import WireProtocol

/// The server's error in the shape of every error, and the journal's refusals mapped to their
/// protocol codes where the server catches them.
struct SyncServerErrorTests {
    struct Cause: Error {}

    @Test func aServerErrorCarriesItsCodeMessageContextAndCause() {
        let error = SyncServerError(.noTokens, "no token", context: "127.0.0.1:8080", underlying: Cause())
        let any: any ArchiveSyncError = error
        #expect(any.code.rawValue == "no-tokens")
        #expect(any.message == "no token")
        #expect(any.context == "127.0.0.1:8080")
        #expect(any.underlying is Cause)
        #expect(any.description == "no token")
    }

    @Test func aServerWithoutTokensIsCaughtAsNoTokens() async throws {
        let directory = try TemporaryDirectory("no-tokens")
        let replica = try Replica.create(at: directory.file("server.db"), name: "server")
        var logger = Logger(label: "sync-server-tests")
        logger.logLevel = .critical
        let server = SyncServer(replica: replica, configuration: .init(), logger: logger)
        var caught = false
        do {
            try await server.run { _ in }
        } catch SyncServerError.Code.noTokens {
            caught = true
        }
        #expect(caught)
    }

    @Test func aPushTheJournalRefusesAnswersTheRefusalsCodeWithItsEventAndLine() async throws {
        let fixture = try ServerFixture("journal-refusal")
        var chain = EventChain()
        _ = try chain.create(body: "<p>one</p>")
        let second = try chain.append(.update, [.set(.note, .text("two"))])
        let before = try fixture.snapshot()
        try await fixture.test { client in
            let push = try await client.execute(
                uri: WireProtocol.Path.push, method: .post, headers: fixture.headers(),
                body: ServerFixture.ndjson([second.wireLine]))
            #expect(push.status == .conflict)
            let json = try JSONParser.parse(Array(push.body.readableBytesView))
            #expect(json["error"]?.stringValue == "gap")
            #expect(json["event"]?.stringValue == "\(second.origin.hex):2")
            #expect(json["line"]?.integerValue == 1)
            #expect(json["message"]?.stringValue?.contains("leaves a gap") == true)
        }
        #expect(try fixture.snapshot() == before)
    }
}
