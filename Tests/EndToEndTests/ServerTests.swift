import ArchiveModel
import ArticleGenerator
import Foundation
import Replica
import SyncClient
import TestSupport
import Testing
import WireProtocol

/// A real `archive-sync serve` process on a loopback port, spoken to with libcurl.
struct ServerTests {
    /// A fresh server replica with a write token, a read token and a revoked token.
    final class Fixture {
        let cli: CLI
        let server: ServerProcess
        let client: RawClient
        var tokens: [String: String] = [:]

        init(_ label: String, serveArguments: [String] = []) throws {
            cli = try CLI(label)
            try cli.ok(["init", "--name", "server"])
            for (name, scope) in [("write", "write"), ("read", "read"), ("revoked", "write")] {
                tokens[name] = try cli.ok(["token", "create", name, "--scope", scope]).stdout
                    .trimmingCharacters(in: .whitespacesAndNewlines)
            }
            try cli.ok(["token", "revoke", "revoked"])
            server = try ServerProcess(database: cli.database, directory: cli.directory, arguments: serveArguments)
            client = try RawClient(server)
        }

        var writeHeaders: [String: String] {
            ["Archive-Sync-Protocol": String(WireProtocol.version), "Authorization": "Bearer \(tokens["write"] ?? "")"]
        }

        /// The server's knowledge and digest, to check that a refused request changed nothing.
        func snapshot() throws -> String {
            let response = try client.send(.get, WireProtocol.Path.info, headers: writeHeaders)
            let info = try InfoResponse(json: JSONParser.parse(response.body))
            return "\(info.knowledge) \(info.digest) \(info.events)"
        }

        func push(_ body: [UInt8], gzip: Bool = true) throws -> HTTPResponse {
            var headers = writeHeaders
            headers["Content-Type"] = WireProtocol.ndjsonContentType
            if gzip { headers["Content-Encoding"] = "gzip" }
            return try client.send(
                .post, WireProtocol.Path.push, headers: headers, body: gzip ? try Gzip.compress(body) : body)
        }
    }

    static let vectorFolder = TestPaths.repository.appendingPathComponent("protocol/vectors/wire")

    static let cases: [JSONValue] = {
        let data = (try? Data(contentsOf: vectorFolder.appendingPathComponent("cases.json"))) ?? Data()
        return (try? JSONParser.parse(Array(data)).arrayValue) ?? []
    }()

    static var caseNames: [String] { cases.compactMap { $0["name"]?.stringValue } }

    @Test func theVectorsAreThere() {
        #expect(Self.cases.count >= 20)
    }

    @Test(arguments: caseNames)
    func serverAnswersEachVectorAsSpecified(_ name: String) throws {
        let vector = try #require(Self.cases.first { $0["name"]?.stringValue == name })
        let fixture = try Fixture("vector-\(name)")
        for file in vector["setup"]?.arrayValue?.compactMap(\.stringValue) ?? [] {
            let body = Array(try Data(contentsOf: Self.vectorFolder.appendingPathComponent(file)))
            var headers = fixture.writeHeaders
            headers["Content-Encoding"] = "gzip"
            let setup = try fixture.client.send(.post, WireProtocol.Path.push, headers: headers, body: body)
            #expect(setup.status == 200, "setup \(file): \(String(decoding: setup.body, as: UTF8.self))")
        }
        let before = try fixture.snapshot()
        let request = try #require(vector["request"])
        var headers: [String: String] = [:]
        for (key, value) in request["headers"]?.objectValue ?? [] {
            var text = value.stringValue ?? ""
            for (token, secret) in fixture.tokens { text = text.replacingOccurrences(of: "{\(token)}", with: secret) }
            headers[key] = text
        }
        let body = Array(
            try Data(contentsOf: Self.vectorFolder.appendingPathComponent(request["body_file"]?.stringValue ?? "")))
        let response = try fixture.client.send(
            request["method"]?.stringValue == "GET" ? .get : .post, request["path"]?.stringValue ?? "",
            headers: headers,
            body: body)
        let expected = try #require(vector["expect"])
        let answer = String(decoding: response.body, as: UTF8.self)
        #expect(Int64(response.status) == expected["status"]?.integerValue, "\(name): \(answer)")
        let json = try JSONParser.parse(response.body)
        if let error = expected["error"]?.stringValue {
            #expect(json["error"]?.stringValue == error, "\(name): \(answer)")
            #expect((json["message"]?.stringValue ?? "").isEmpty == false)
            if let line = expected["line"]?.integerValue {
                #expect(json["line"]?.integerValue == line, "\(name): \(answer)")
            }
            #expect(try fixture.snapshot() == before, "\(name): a refused request changed the server")
        } else {
            if let applied = expected["applied"]?.integerValue { #expect(json["applied"]?.integerValue == applied) }
            if let held = expected["already_held"]?.integerValue { #expect(json["already_held"]?.integerValue == held) }
            if let knowledge = expected["knowledge"] {
                #expect(try VectorClock(json: json["knowledge"] ?? .null) == VectorClock(json: knowledge))
            }
        }
    }

    @Test func pullPagesThroughAServerInCausalOrderUntilNothingIsLeft() throws {
        let fixture = try Fixture("paging")
        let source = try TemporaryDirectory("paging-source")
        let writer = try Replica.create(at: source.file("writer.db"), name: "writer")
        let generator = ArticleGenerator(seed: 11)
        for index in 0..<2_300 { try source.write("a/\(index).txt", generator.article(index).file.render()) }
        _ = try writer.importFiles([source.file("a")])
        let all = try writer.events(missingFrom: VectorClock(), limit: 10_000, maxBytes: .max)
        for start in stride(from: 0, to: all.count, by: 1_000) {
            let response = try fixture.push(EventBatch.encode(Array(all[start..<min(start + 1_000, all.count)])))
            #expect(response.status == 200)
        }
        let reader = try Replica.create(at: source.file("reader.db"), name: "reader")
        var pages: [PullPage] = []
        var headers = fixture.writeHeaders
        headers["Authorization"] = "Bearer \(fixture.tokens["read"] ?? "")"
        while true {
            var body: [UInt8] = []
            PullRequest(knowledge: try reader.knowledge(), maxEvents: 1_000, maxBytes: 1 << 30).json.write(
                to: &body, sortKeys: true)
            let response = try fixture.client.send(.post, WireProtocol.Path.pull, headers: headers, body: body)
            #expect(response.status == 200)
            let page = try PullPage(response.body)
            pages.append(page)
            _ = try reader.apply(page.events)
            if page.trailer?.more == false || pages.count > 10 { break }
        }
        #expect(pages.map(\.events.count) == [1_000, 1_000, 300])
        #expect(pages.map { $0.trailer?.more } == [true, true, false])
        #expect(try reader.digest() == writer.digest())
        // Pages are bounded in bytes too, and always hold at least one event.
        var body: [UInt8] = []
        PullRequest(knowledge: VectorClock(), maxEvents: 1_000, maxBytes: 20_000).json.write(to: &body, sortKeys: true)
        let small = try PullPage(fixture.client.send(.post, WireProtocol.Path.pull, headers: headers, body: body).body)
        #expect((1...10).contains(small.events.count))
        #expect(small.trailer?.more == true)
    }

    @Test func authScopesAndPaths() throws {
        let fixture = try Fixture("auth")
        let client = fixture.client
        #expect(try client.send(.get, WireProtocol.Path.health).status == 200)
        #expect(
            try client.send(
                .get, WireProtocol.Path.info, headers: ["Archive-Sync-Protocol": String(WireProtocol.version)]
            ).status == 401)
        let read = [
            "Archive-Sync-Protocol": String(WireProtocol.version),
            "Authorization": "Bearer \(fixture.tokens["read"] ?? "")",
        ]
        #expect(try client.send(.get, WireProtocol.Path.info, headers: read).status == 200)
        let pull = try client.send(.post, WireProtocol.Path.pull, headers: read, body: Array(#"{"knowledge":{}}"#.utf8))
        #expect(pull.status == 200)
        #expect(try PullPage(pull.body).trailer?.more == false)
        let revoked = [
            "Archive-Sync-Protocol": String(WireProtocol.version),
            "Authorization": "Bearer \(fixture.tokens["revoked"] ?? "")",
        ]
        #expect(try client.send(.get, WireProtocol.Path.info, headers: revoked).status == 401)

        let notFound = try client.send(.get, "/v1/nothing", headers: read)
        #expect(notFound.status == 404)
        #expect(try JSONParser.parse(notFound.body)["error"]?.stringValue == "not-found")
        let wrongMethod = try client.send(.get, WireProtocol.Path.push, headers: read)
        #expect(wrongMethod.status == 405)
        #expect(try JSONParser.parse(wrongMethod.body)["error"]?.stringValue == "method-not-allowed")

        let badPull = try client.send(.post, WireProtocol.Path.pull, headers: read, body: Array("{}".utf8))
        #expect(try JSONParser.parse(badPull.body)["error"]?.stringValue == "malformed-request")
        let notJSON = try client.send(.post, WireProtocol.Path.pull, headers: read, body: Array("nope".utf8))
        #expect(try JSONParser.parse(notJSON.body)["error"]?.stringValue == "malformed-json")
        // Each line is written once its answer is sent; later requests on the same connection
        // were read only after that.
        #expect(fixture.server.log.contains("method=GET route=/v1/info status=401"))
        #expect(fixture.server.log.contains("method=POST route=/v1/pull status=200"))
    }

    @Test func oversizedRequestsAndBatchesAreRefusedAndChangeNothing() throws {
        let fixture = try Fixture("limits")
        let before = try fixture.snapshot()
        let huge = [UInt8](repeating: 0x0A, count: 17 << 20)
        let oversized = try fixture.push(huge, gzip: false)
        #expect(oversized.status == 413)
        #expect(try JSONParser.parse(oversized.body)["error"]?.stringValue == "too-large")

        var events: [Event] = []
        var prev = SHA256Digest.zero
        let key = SigningKey.fixed(9)
        let origin = key.origin
        for seq in 1...5_001 {
            var clock = VectorClock()
            clock[origin] = seq - 1
            let event = try Event.seal(
                Event.Draft(
                    origin: origin, seq: seq, hlc: HybridTimestamp(milliseconds: Int64(seq), counter: 0), clock: clock,
                    article: EventFactory.article, kind: .update, changes: [.set(.note, .text("\(seq)"))], prev: prev),
                signedBy: key)
            prev = event.hash
            events.append(event)
        }
        let tooMany = try fixture.push(EventBatch.encode(events))
        #expect(tooMany.status == 413)
        #expect(try fixture.snapshot() == before)
        let fine = try fixture.push(EventBatch.encode(Array(events.prefix(5_000))))
        #expect(fine.status == 200)
    }

    @Test func serveRefusesToStartWithoutATokenUnlessAnonymousIsAllowed() throws {
        let cli = try CLI("no-token")
        try cli.ok(["init", "--name", "server"])
        let refused = try cli.run(["serve", "--port", "0"])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("token create"))
        let server = try ServerProcess(
            database: cli.database, directory: cli.directory, arguments: ["--allow-anonymous"])
        let client = try RawClient(server)
        #expect(
            try client.send(
                .get, WireProtocol.Path.info, headers: ["Archive-Sync-Protocol": String(WireProtocol.version)]
            ).status == 200)
    }
}
