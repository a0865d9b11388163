import ArchiveModel
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import TestSupport
import Testing
import WireProtocol

/// The HTTP conventions openapi.yaml and RFC 9110 ask for, through the real routes in process.
struct HTTPConventionTests {
    func errorCode(_ response: TestResponse) throws -> String? {
        try JSONParser.parse(Array(response.body.readableBytesView))["error"]?.stringValue
    }

    @Test func aKnownPathWithAnotherMethodAnswers405WithAllow() async throws {
        let fixture = try ServerFixture("allow")
        try await fixture.test { client in
            let push = try await client.execute(uri: WireProtocol.Path.push, method: .get, headers: fixture.headers())
            #expect(push.status == .methodNotAllowed)
            #expect(push.headers[.allow] == "POST")
            #expect(try errorCode(push) == "method-not-allowed")
            let health = try await client.execute(uri: WireProtocol.Path.health, method: .delete)
            #expect(health.headers[.allow] == "GET, HEAD")
        }
    }

    @Test func a401SaysWhichSchemeToUse() async throws {
        let fixture = try ServerFixture("www-authenticate")
        try await fixture.test { client in
            let missing = try await client.execute(
                uri: WireProtocol.Path.info, method: .get,
                headers: [ServerFixture.version: String(WireProtocol.version)])
            #expect(missing.status == .unauthorized)
            #expect(missing.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
            let unknown = try await client.execute(
                uri: WireProtocol.Path.info, method: .get, headers: fixture.headers(token: "nope"))
            #expect(unknown.status == .unauthorized)
            #expect(unknown.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
        }
    }

    @Test(arguments: ["bearer", "BEARER", "Bearer", "bEaReR"])
    func theBearerSchemeIsCaseInsensitive(_ scheme: String) async throws {
        let fixture = try ServerFixture("bearer-\(scheme)")
        try await fixture.test { client in
            let headers: HTTPFields = [
                ServerFixture.version: String(WireProtocol.version), .authorization: "\(scheme) \(fixture.readToken)",
            ]
            let info = try await client.execute(uri: WireProtocol.Path.info, method: .get, headers: headers)
            #expect(info.status == .ok)
        }
    }

    @Test func headOnHealthAnswersLikeGetWithoutABody() async throws {
        let fixture = try ServerFixture("head")
        try await fixture.test { client in
            let get = try await client.execute(uri: WireProtocol.Path.health, method: .get)
            let head = try await client.execute(uri: WireProtocol.Path.health, method: .head)
            #expect(head.status == .ok)
            #expect(head.headers[.contentType] == get.headers[.contentType])
            #expect(head.body.readableBytes == 0)
        }
    }

    @Test func responsesThatMayBeGzippedSayVaryAcceptEncoding() async throws {
        let fixture = try ServerFixture("vary")
        try await fixture.test { client in
            let info = try await client.execute(uri: WireProtocol.Path.info, method: .get, headers: fixture.headers())
            #expect(info.headers[.vary] == "Accept-Encoding")
            let pull = try await client.execute(
                uri: WireProtocol.Path.pull, method: .post, headers: fixture.headers(),
                body: ByteBuffer(string: #"{"knowledge":{}}"#))
            #expect(pull.headers[.vary] == "Accept-Encoding")
        }
    }

    @Test(arguments: [
        ("gzip", true), ("gzip;q=0", false), ("gzip; q=0.0", false), ("GZIP;Q=0.5", true), ("identity", false),
        ("*", true), ("*;q=0", false), ("gzip;q=0, *", false), ("deflate, gzip;q=0.001", true), ("", false),
    ])
    func acceptEncodingHonoursQValues(_ header: String, _ gzipped: Bool) async throws {
        let fixture = try ServerFixture("accept-encoding")
        try await fixture.test { client in
            let info = try await client.execute(
                uri: WireProtocol.Path.info, method: .get, headers: fixture.headers([.acceptEncoding: header]))
            #expect(info.status == .ok)
            #expect((info.headers[.contentEncoding] == "gzip") == gzipped, "\(header)")
        }
    }

    @Test(arguments: ["", "\n\n"])
    func aPushWithoutEventsIsAMalformedRequest(_ body: String) async throws {
        let fixture = try ServerFixture("empty-push")
        try await fixture.test { client in
            let push = try await client.execute(
                uri: WireProtocol.Path.push, method: .post, headers: fixture.headers(), body: ByteBuffer(string: body))
            #expect(push.status == .badRequest)
            #expect(try errorCode(push) == "malformed-request")
        }
    }

    @Test func aPullRequestOverOneMebibyteIsRefusedAsSentAndDecompressed() async throws {
        let fixture = try ServerFixture("pull-size")
        let padding = String(repeating: " ", count: 1 << 20)  // SPEC.md: a pull request holds at most 1 MiB
        let body = Array(#"{"knowledge":{}"#.utf8) + Array(padding.utf8) + Array("}".utf8)
        try await fixture.test { client in
            let plain = try await client.execute(
                uri: WireProtocol.Path.pull, method: .post, headers: fixture.headers(), body: ByteBuffer(bytes: body))
            #expect(plain.status == .contentTooLarge)
            #expect(try errorCode(plain) == "too-large")
            // Compressed, it is a few KB as sent: refused once it inflates past the bound.
            let zipped = try await client.execute(
                uri: WireProtocol.Path.pull, method: .post, headers: fixture.headers([.contentEncoding: "gzip"]),
                body: ByteBuffer(bytes: try Gzip.compress(body)))
            #expect(zipped.status == .contentTooLarge)
            let small = try await client.execute(
                uri: WireProtocol.Path.pull, method: .post, headers: fixture.headers(),
                body: ByteBuffer(string: #"{"knowledge":{}}"#))
            #expect(small.status == .ok)
        }
    }

    @Test func pullLimitsOverTheMaximumAreCappedAsDocumented() async throws {
        let fixture = try ServerFixture("pull-cap")
        var chain = EventChain()
        _ = try chain.create(body: "<p>one</p>")
        for index in 0..<3 { _ = try chain.append(.update, [.set(.note, .text("n\(index)"))]) }
        _ = try await fixture.replica.apply(chain.events)
        try await fixture.test { client in
            let pull = try await client.execute(
                uri: WireProtocol.Path.pull, method: .post, headers: fixture.headers(),
                body: ByteBuffer(string: #"{"knowledge":{},"max_events":999999999,"max_bytes":999999999999}"#))
            #expect(pull.status == .ok)
            let page = try PullPage(Array(pull.body.readableBytesView))
            #expect(page.events.count == 4)
            #expect(page.trailer?.more == false)
        }
    }
}
