import ArchiveModel
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import SyncServer
import TestSupport
import Testing
import WireProtocol

/// One log line per request, in logfmt or JSON, written once the last byte is sent.
struct AccessLogTests {
    static let requestID: HTTPField.Name = {
        guard let name = HTTPField.Name("X-Request-Id") else { preconditionFailure("a valid header field name") }
        return name
    }()

    /// The request lines of `log`, parsed.
    func requests(_ log: LogLines, _ format: LogFormat) throws -> [[String: String]] {
        try log.all.map { try LogLine.parse($0, json: format == .json) }.filter { $0["msg"] == "request" }
    }

    @Test(arguments: LogFormat.allCases)
    func eachRequestIsOneLineWithItsIDTokenAndStatus(_ format: LogFormat) async throws {
        let log = LogLines()
        let fixture = try ServerFixture("log-\(format)", logFormat: format, log: log)
        try await fixture.test { client in
            let health = try await client.execute(
                uri: WireProtocol.Path.health, method: .get, headers: [Self.requestID: "probe-1.a:b_C"])
            #expect(health.headers[Self.requestID] == "probe-1.a:b_C")
            let info = try await client.execute(
                uri: WireProtocol.Path.info, method: .get, headers: fixture.headers(token: fixture.readToken))
            let refused = try await client.execute(
                uri: WireProtocol.Path.info, method: .get, headers: fixture.headers(token: "nope"))
            #expect(refused.status == .unauthorized)
            let lines = try requests(log, format)
            #expect(lines.count == 3)
            #expect(log.all.count == 3)
            guard lines.count == 3 else { return }
            #expect(lines[0]["request_id"] == "probe-1.a:b_C")
            #expect(lines[0]["token"] == "-")
            #expect(lines[0]["route"] == "/v1/health")
            #expect(lines[0]["method"] == "GET")
            #expect(lines[0]["status"] == "200")
            #expect(lines[1]["token"] == "read")
            #expect(lines[1]["request_id"] == info.headers[Self.requestID])
            #expect(lines[1]["bytes_out"] == String(info.body.readableBytes))
            #expect(lines[2]["status"] == "401")
            #expect(lines[2]["token"] == "-")
            for line in lines {
                for key in ["time", "level", "client", "bytes_in", "events", "duration_ms", "agent"] {
                    #expect(line[key] != nil, "\(key) missing from \(line)")
                }
                #expect(Double(line["duration_ms"] ?? "") != nil)
            }
        }
    }

    @Test(arguments: [false, true])
    func aStreamedPullIsLoggedAtItsLastByte(_ gzip: Bool) async throws {
        let log = LogLines()
        let fixture = try ServerFixture("log-pull-\(gzip)", log: log)
        var chain = EventChain()
        var events = [try chain.create(body: "<p>one</p>")]
        // More than one step of the streamed page (200 events a step).
        for index in 0..<450 { events.append(try chain.append(.update, [.set(.note, .text("note \(index)"))])) }
        _ = try fixture.replica.apply(events)
        let body = #"{"knowledge":{}}"#
        try await fixture.test { client in
            let pull = try await client.execute(
                uri: WireProtocol.Path.pull, method: .post,
                headers: fixture.headers(token: fixture.readToken, gzip ? [.acceptEncoding: "gzip"] : [:]),
                body: ByteBuffer(string: body))
            #expect(pull.status == .ok)
            #expect((pull.headers[.contentEncoding] == "gzip") == gzip)
            let lines = try requests(log, .logfmt)
            #expect(lines.count == 1)
            // The line counts every byte the client received: it was written after the last one.
            #expect(lines.first?["bytes_out"] == String(pull.body.readableBytes))
            #expect(lines.first?["bytes_in"] == String(body.utf8.count))
            #expect(lines.first?["events"] == "451")
            #expect(lines.first?["token"] == "read")
            #expect(lines.first?["body"] == nil)
        }
    }

    @Test func aPushLogsItsEvents() async throws {
        let log = LogLines()
        let fixture = try ServerFixture("log-push", logFormat: .json, log: log)
        var chain = EventChain()
        let events = [try chain.create(body: "<p>one</p>"), try chain.append(.update, [.set(.note, .text("a"))])]
        let body = ServerFixture.ndjson(events.map(\.wireLine))
        try await fixture.test { client in
            let push = try await client.execute(
                uri: WireProtocol.Path.push, method: .post, headers: fixture.headers(), body: body)
            #expect(push.status == .ok)
            let line = try #require(try requests(log, .json).first)
            #expect(line["events"] == "2")
            #expect(line["token"] == "write")
            #expect(line["bytes_in"] == String(body.readableBytes))
        }
    }

    static let hostileIDs = [
        "a\nb", "a\r\nrequest_id=forged", #"x" token=admin"#, String(repeating: "A", count: 10_240), "id with space",
        "ïd", "a\u{1b}[2J", "a\u{202e}b", "", String(repeating: "b", count: 129),
    ]

    @Test(arguments: hostileIDs)
    func aHostileRequestIDIsNeitherEchoedNorLogged(_ hostile: String) async throws {
        let log = LogLines()
        let fixture = try ServerFixture("log-hostile", log: log)
        try await fixture.test { client in
            let health = try await client.execute(
                uri: WireProtocol.Path.health, method: .get, headers: [Self.requestID: hostile, .userAgent: hostile])
            #expect(health.status == .ok)
            let echoed = try #require(health.headers[Self.requestID])
            #expect(echoed != hostile)
            #expect(echoed.utf8.count <= 128)
            #expect(echoed.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\"") })
            #expect(log.all.count == 1)
            let line = try #require(try requests(log, .logfmt).first)
            #expect(line["request_id"] == echoed)
            #expect(line["token"] == "-")
            #expect(log.all.first?.contains("\n") == false)
            #expect(log.all.first?.utf8.count ?? .max < 2_000)
        }
    }

    /// Values reach the line from headers the client chose: each must come back whole, in a
    /// field of its own, from a line of its own.
    @Test(arguments: LogFormat.allCases)
    func everyValueIsEscapedSoThatItCannotForgeAFieldOrALine(_ format: LogFormat) throws {
        let hostile = [
            "plain", "two words", "a=b", #"quote " and \ backslash"#, "line\nbreak", "cr\rlf", "tab\t",
            "esc\u{1b}[31m", "nul\u{0}", "bidi\u{202e}txet", "c1\u{85}", "sep\u{2028}", "", "新闻 ✓", "\\\"",
            #"x" token=admin level="error"#,
        ]
        for value in hostile {
            let line = format.line([("msg", .text("request")), ("agent", .text(value)), ("status", .integer(200))])
            #expect(!line.contains("\n") && !line.contains("\r") && !line.contains("\u{2028}"), "\(line)")
            let fields = try LogLine.parse(line, json: format == .json)
            #expect(fields == ["msg": "request", "agent": value, "status": "200"], "\(line)")
        }
    }
}
