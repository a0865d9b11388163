import ArchiveModel
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import TestSupport
import Testing
import WireProtocol

/// A push of short delta lines against a large base is refused before the server rebuilds it.
struct DeltaAmplificationTests {
    /// The server holds a create with a body near 4 MiB; `count` updates each add a line to it.
    func hostilePush(_ fixture: ServerFixture, count: Int) throws -> (base: Event, lines: [[UInt8]]) {
        var chain = EventChain()
        let baseBody = String(repeating: "<p>会谈恢复。</p>\n", count: 4_000_000 / 23)
        let base = try chain.create(body: baseBody)
        _ = try fixture.replica.apply([base])
        var lines: [[UInt8]] = []
        for index in 0..<count {
            let event = try chain.append(.update, [.set(.body, .text(baseBody + "<p>\(index)</p>"))])
            lines.append(try ValueDelta.wireLine(of: event) { _, _ in (base.dot, base.hash, baseBody) })
        }
        return (base, lines)
    }

    @Test func manyDeltasAgainstALargeBaseAreRefusedAndNothingIsApplied() async throws {
        let fixture = try ServerFixture("amplification")
        // 20 lines of a few hundred bytes that would rebuild 80 MB: past the 64 MiB budget.
        let (_, lines) = try hostilePush(fixture, count: 20)
        let body = ServerFixture.ndjson(lines)
        #expect(body.readableBytes < 20 * 1_000)
        let before = try fixture.snapshot()
        try await fixture.test { client in
            let push = try await client.execute(
                uri: WireProtocol.Path.push, method: .post, headers: fixture.headers(), body: body)
            #expect(push.status == .contentTooLarge)
            let json = try JSONParser.parse(Array(push.body.readableBytesView))
            #expect(json["error"]?.stringValue == "too-large")
        }
        #expect(try fixture.snapshot() == before)
        // The same deltas, few enough to fit the budget, are applied.
        try await fixture.test { client in
            let push = try await client.execute(
                uri: WireProtocol.Path.push, method: .post, headers: fixture.headers(),
                body: ServerFixture.ndjson(Array(lines.prefix(3))))
            #expect(push.status == .ok)
        }
    }

    @Test func aDeltaBasedOnAnotherArticleIsRefusedAsMalformed() async throws {
        let fixture = try ServerFixture("delta-article")
        var chain = EventChain()
        let body = String(repeating: "<p>第一段。</p>\n", count: 50)
        let first = try chain.create(body: body)
        let otherURL = "https://news.example.org/a/other/2.html"
        let second = try chain.create(body: "<p>short</p>", url: otherURL)
        _ = try await fixture.replica.apply([first, second])
        // An edit of the second article, coded against the first article's body.
        let edit = try chain.append(article: ArticleID(url: otherURL), [.set(.body, .text(body + "<p>new</p>"))])
        let line = try ValueDelta.wireLine(of: edit) { _, _ in (first.dot, first.hash, body) }
        #expect(String(decoding: line, as: UTF8.self).contains("\"delta\""))
        let before = try fixture.snapshot()
        try await fixture.test { client in
            let push = try await client.execute(
                uri: WireProtocol.Path.push, method: .post, headers: fixture.headers(),
                body: ServerFixture.ndjson([line]))
            #expect(push.status == .badRequest)
            let json = try JSONParser.parse(Array(push.body.readableBytesView))
            #expect(json["error"]?.stringValue == "malformed-event")
        }
        #expect(try fixture.snapshot() == before)
    }
}
