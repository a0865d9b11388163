import ArchiveModel
import Foundation
import TestSupport
import Testing

struct EventEncodingTests {
    static func vectors() throws -> [JSONValue] {
        let url = TestPaths.repository.appendingPathComponent("protocol/vectors/canonical-events.json")
        return try JSONParser.parse(Array(try Data(contentsOf: url))).arrayValue ?? []
    }

    @Test func protocolVectorsGiveTheirCanonicalBytesAndHashes() throws {
        let cases = try Self.vectors()
        #expect(cases.count >= 8)
        for testCase in cases {
            let description = testCase["description"]?.stringValue ?? "?"
            guard let eventJSON = testCase["event"] else { Issue.record("\(description): no event"); continue }
            let line = eventJSON.compactText
            if let expectedError = testCase["error"]?.stringValue {
                do {
                    _ = try Event(wireLine: Array(line.utf8))
                    Issue.record("\(description): accepted, expected \(expectedError)")
                } catch let error as ArchiveModelError {
                    #expect(error.code.rawValue == expectedError, "\(description): \(error)")
                }
                continue
            }
            let event = try Event(wireLine: Array(line.utf8))
            #expect(
                String(decoding: event.payload, as: UTF8.self) == testCase["canonical"]?.stringValue, "\(description)")
            #expect(event.hash.hex == testCase["hash"]?.stringValue, "\(description)")
        }
    }

    @Test func wireLineRoundTripsAndStartsWithTheHash() throws {
        let event = try EventFactory.create(1, hlc: 5_000, title: "朝鲜 \"quoted\" \\ x")
        let line = event.wireLine
        #expect(String(decoding: line, as: UTF8.self).hasPrefix("{\"hash\":\"\(event.hash.hex)\",\"article\""))
        let decoded = try Event(wireLine: line)
        #expect(decoded.payload == event.payload)
        #expect(decoded.hash == event.hash)
        #expect(decoded.draft == event.draft)
    }

    @Test func storedPayloadIsVerifiedOnRequest() throws {
        let event = try EventFactory.create(1, hlc: 5_000)
        #expect(throws: ArchiveModelError.self) {
            _ = try Event(payload: event.payload, hash: SHA256Digest.of([1, 2, 3]), signature: nil, verify: true)
        }
        let spaced = Array(
            String(decoding: event.payload, as: UTF8.self).replacingOccurrences(of: ",", with: ", ").utf8)
        #expect(throws: ArchiveModelError.self) {
            _ = try Event(payload: spaced, hash: SHA256Digest.of(spaced), signature: nil, verify: true)
        }
        #expect(try Event(payload: event.payload, hash: event.hash, signature: nil, verify: true).hash == event.hash)
    }

    struct InvalidDraft: CustomStringConvertible, Sendable {
        var description: String
        var make: @Sendable () throws -> Event
    }

    static let invalid: [InvalidDraft] = [
        .init(description: "no changes") { try EventFactory.event(1, 1, hlc: 1, []) },
        .init(description: "a field set twice") {
            try EventFactory.event(1, 1, hlc: 1, [.set(.title, .text("a")), .set(.title, .text("b"))])
        },
        .init(description: "a value of the wrong type") {
            try EventFactory.event(1, 1, hlc: 1, [.set(.title, .integer(3))])
        },
        .init(description: "a create whose id is not its url's") {
            try EventFactory.event(
                1, 1, hlc: 1, kind: .create, article: try #require(ArticleID(hex: "0123456789abcdef")),
                [.set(.url, .text(EventFactory.url))])
        },
        .init(description: "a create without url") {
            try EventFactory.event(1, 1, hlc: 1, kind: .create, [.set(.title, .text("t"))])
        },
        .init(description: "a delete that does not delete") {
            try EventFactory.event(1, 1, hlc: 1, kind: .delete, [.set(.note, .text("n"))])
        },
        .init(description: "a tag with a space") { try EventFactory.event(1, 1, hlc: 1, [.tagAdd("two words")]) },
        .init(description: "a tag added and removed") {
            try EventFactory.event(1, 1, hlc: 1, [.tagAdd("a"), .tagRemove("a")])
        },
        .init(description: "a path that climbs out") {
            try EventFactory.event(1, 1, hlc: 1, [.set(.path, .text("../etc/passwd"))])
        },
        .init(description: "an absolute path") {
            try EventFactory.event(1, 1, hlc: 1, [.set(.path, .text("/etc/passwd"))])
        },
        .init(description: "a title with ](") { try EventFactory.event(1, 1, hlc: 1, [.set(.title, .text("a](b"))]) },
        .init(description: "front matter that is not a block") {
            try EventFactory.event(1, 1, hlc: 1, [.set(.frontMatter, .text("layout: x\n"))])
        },
        .init(description: "a negative capture time") {
            try EventFactory.event(1, 1, hlc: 1, [.set(.capturedAt, .integer(-1))])
        },
    ]

    @Test(arguments: invalid)
    func sealRefusesInvalidEvents(_ testCase: InvalidDraft) {
        #expect(throws: ArchiveModelError.self) { _ = try testCase.make() }
    }

    @Test func ownClockEntryMustBeSeqMinusOne() {
        var clock = VectorClock()
        clock[EventFactory.origin(1)] = 3
        #expect(throws: ArchiveModelError.self) {
            _ = try Event.seal(
                Event.Draft(
                    origin: EventFactory.origin(1), seq: 2, hlc: HybridTimestamp(milliseconds: 1, counter: 0),
                    clock: clock,
                    article: EventFactory.article, kind: .update, changes: [.set(.note, .text("x"))],
                    prev: SHA256Digest.of([1])))
        }
    }

    /// Expected ids computed outside this code: `printf %s URL | sha256sum`, and the first event of
    /// protocol/vectors/canonical-events.json (written by protocol/reference/canonical.py).
    @Test(arguments: [
        ("https://www.voachinese.com/a/5729941.html", "8b6ef7225bbdbc60"),
        ("https://www.example.org/a/world-20241115/5729941.html", "62b0543b4c086d78"),
    ])
    func articleIDIsTheFirstSixteenHexDigitsOfTheURLHash(url: String, expected: String) {
        #expect(ArticleID(url: url).hex == expected)
    }

    /// Expected ids computed outside this code: `printf 'URL\nPATH' | sha256sum`, and with
    /// `\n2` after the path for a second attempt.
    @Test(arguments: [
        (1, "f25d947ac8c27337"),
        (2, "d2eca8d70c8975cb"),
    ])
    func captureIDIsTheFirstSixteenHexDigitsOfTheHashOfURLAndPath(attempt: Int, expected: String) {
        let url = "https://www.example.org/a/world-20241115/5729941.html"
        let id = ArticleID(captureOf: url, at: "archived/2024-11-20/voa_5729941.txt", attempt: attempt)
        #expect(id.hex == expected)
        #expect(id != ArticleID(url: url))
    }
}
