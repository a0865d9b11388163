import ArchiveModel
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import TestSupport
import Testing
import WireProtocol

/// `/v1/health` says whether the replica file answers, with the versions of the server.
struct HealthTests {
    func json(_ response: TestResponse) throws -> JSONValue {
        try JSONParser.parse(Array(response.body.readableBytesView))
    }

    @Test func healthSaysOkWithTheVersionAndTheProtocols() async throws {
        let fixture = try ServerFixture("health-ok", version: "9.8.7-test")
        try await fixture.test { client in
            let health = try await client.execute(uri: WireProtocol.Path.health, method: .get)
            #expect(health.status == .ok)
            let body = try json(health)
            #expect(body["status"]?.stringValue == "ok")
            #expect(body["version"]?.stringValue == "9.8.7-test")
            #expect(body["protocol"]?.arrayValue?.compactMap(\.integerValue) == [Int64(WireProtocol.version)])
        }
    }

    @Test func healthIs503WithAJSONBodyWhenTheReplicaDoesNotAnswer() async throws {
        let log = LogLines()
        let fixture = try ServerFixture("health-down", version: "9.8.7-test", log: log)
        try fixture.replica.close()
        try await fixture.test { client in
            let health = try await client.execute(uri: WireProtocol.Path.health, method: .get)
            #expect(health.status == .serviceUnavailable)
            #expect(health.headers[.contentType] == WireProtocol.jsonContentType)
            let body = try json(health)
            #expect(body["status"]?.stringValue == "unavailable")
            #expect(body["error"]?.stringValue == "unavailable")
            #expect(body["version"]?.stringValue == "9.8.7-test")
            let message = body["message"]?.stringValue ?? ""
            let id = try #require(health.headers[AccessLogTests.requestID])
            #expect(message.contains(id))
            #expect(!message.contains(fixture.directory.url.path), "the answer tells a path: \(message)")
            // Why it did not answer is in the log, under the same id.
            #expect(log.all.contains { $0.contains("level=error") && $0.contains(id) })
            let head = try await client.execute(uri: WireProtocol.Path.health, method: .head)
            #expect(head.status == .serviceUnavailable)
            #expect(head.body.readableBytes == 0)
        }
    }
}
