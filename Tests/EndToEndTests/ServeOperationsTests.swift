import ArchiveModel
import Foundation
import SyncClient
import TestSupport
import Testing
import WireProtocol

/// What the operator of a real `archive-sync serve` sees: why it cannot start, its health, its log.
struct ServeOperationsTests {
    @Test func aPortInUseIsOneSentenceAndExitStatus1() throws {
        let fixture = try ServerTests.Fixture("port-in-use")
        let port = fixture.server.port
        let second = try fixture.cli.run(["serve", "--port", String(port)])
        #expect(second.status == 1)
        #expect(
            second.stderr.contains(
                "archive-sync: cannot listen on 127.0.0.1:\(port): the port is already in use (another archive-sync serve?); choose another with --port"
            ), "\(second.stderr)")
        #expect(!second.stderr.contains("IOError"))
        // The metrics address is checked the same way.
        let metrics = try fixture.cli.run(["serve", "--port", "0", "--metrics-bind", "127.0.0.1:\(port)"])
        #expect(metrics.status == 1)
        #expect(metrics.stderr.contains("cannot listen on 127.0.0.1:\(port)"), "\(metrics.stderr)")
        #expect(metrics.stderr.contains("--metrics-bind"))
        // The first server still answers.
        #expect(try fixture.client.send(.get, WireProtocol.Path.health).status == 200)
    }

    @Test func aMetricsAddressThatIsNotHostAndPortIsAUsageError() throws {
        let cli = try CLI("metrics-bind-usage")
        try cli.ok(["init", "--name", "server"])
        let refused = try cli.run(["serve", "--port", "0", "--allow-anonymous", "--metrics-bind", "9090"])
        #expect(refused.status == 64)
        #expect(refused.stderr.contains("HOST:PORT"))
    }

    @Test func healthTellsTheVersionOfTheExecutable() throws {
        let fixture = try ServerTests.Fixture("health-version")
        let version = try fixture.cli.ok(["--version"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let health = try fixture.client.send(.get, WireProtocol.Path.health)
        #expect(health.status == 200)
        let body = try JSONParser.parse(health.body)
        #expect(body["status"]?.stringValue == "ok")
        #expect(!version.isEmpty)
        #expect(body["version"]?.stringValue == version)
    }

    @Test func theLogIsOneJSONLinePerRequestWithTheClientsRequestID() throws {
        let fixture = try ServerTests.Fixture("log-json", serveArguments: ["--log-format", "json"])
        var headers = fixture.writeHeaders
        headers["X-Request-Id"] = "e2e-request-1"
        let info = try fixture.client.send(.get, WireProtocol.Path.info, headers: headers)
        #expect(info.status == 200)
        // A second request on the same connection is read only after the first one's line is written.
        _ = try fixture.client.send(.get, WireProtocol.Path.health)
        let lines = fixture.server.log.split(separator: "\n").map(String.init)
        let objects = lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(objects.count == lines.count, "a line is not JSON: \(lines)")
        let line = try #require(objects.first { $0["request_id"] as? String == "e2e-request-1" })
        #expect(line["token"] as? String == "write")
        #expect(line["route"] as? String == "/v1/info")
        #expect((line["client"] as? String)?.hasPrefix("127.0.0.1:") == true)
        #expect((line["bytes_out"] as? Int ?? 0) > 0)
        #expect(line["status"] as? Int == 200)
    }
}
