import ArchiveModel
import GRDB
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import TestSupport
import Testing
import WireProtocol

/// A failure of the server itself reaches the peer as a generic `internal` error, never its detail.
struct InternalErrorTests {
    @Test func anUnexpectedDatabaseErrorIsAGeneric500WithARequestID() async throws {
        let fixture = try ServerFixture("internal")
        // A trigger makes every insert into the journal fail with SQL text in its message.
        let queue = try DatabaseQueue(path: fixture.directory.file("server.db"))
        try await queue.write { db in
            try db.execute(
                sql: """
                    CREATE TRIGGER fail_insert BEFORE INSERT ON journal
                    BEGIN SELECT RAISE(ABORT, 'secret detail: SELECT payload FROM journal'); END
                    """)
        }
        try queue.close()
        var chain = EventChain()
        let create = try chain.create(body: "<p>one</p>")
        try await fixture.test { client in
            let push = try await client.execute(
                uri: WireProtocol.Path.push, method: .post, headers: fixture.headers(),
                body: ServerFixture.ndjson([create.wireLine]))
            #expect(push.status == .internalServerError)
            let json = try JSONParser.parse(Array(push.body.readableBytesView))
            #expect(json["error"]?.stringValue == "internal")
            let message = json["message"]?.stringValue ?? ""
            #expect(message.contains("request "))
            for secret in ["secret", "SELECT", "journal", "SQLite", "sqlite"] {
                #expect(!message.contains(secret), "the answer tells the peer: \(message)")
            }
        }
    }
}
