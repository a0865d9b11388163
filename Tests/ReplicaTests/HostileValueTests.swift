import ArchiveModel
import Foundation
import Replica
import TestSupport
import Testing

/// Values that must never reach the journal, by every entry a replica has: local writes, new
/// replicas and events received from peers; and the values that are allowed come back whole.
struct HostileValueTests {
    struct Case: CustomStringConvertible, Sendable {
        var description: String
        var code: ArchiveModelError.Code
        var write: @Sendable (Replica, ArticleID) throws -> Void
    }

    static let cases: [Case] = [
        Case(description: "NUL in the title", code: .nulByte) {
            _ = try $0.edit($1, values: [(.title, .text("a\0b"))])
        },
        Case(description: "NUL in the body", code: .nulByte) {
            _ = try $0.edit($1, values: [(.body, .text("<p>\0</p>"))])
        },
        Case(description: "NUL in the url", code: .nulByte) {
            _ = try $0.edit($1, values: [(.url, .text("https://e.org/\0x"))])
        },
        Case(description: "NUL in the note", code: .nulByte) { _ = try $0.edit($1, values: [(.note, .text("\0"))]) },
        Case(description: "NUL in the front matter", code: .nulByte) {
            _ = try $0.edit($1, values: [(.frontMatter, .text("---\na: \0\n---\n"))])
        },
        Case(description: "NUL in the path", code: .nulByte) {
            _ = try $0.edit($1, values: [(.path, .text("a\0.txt"))])
        },
        Case(description: "NUL in a tag", code: .nulByte) { _ = try $0.tag($1, add: ["a\0b"], remove: []) },
        Case(description: "NUL in a captured url", code: .nulByte) { replica, _ in
            _ = try replica.capture(url: "https://news.example.org/\0.html", title: "T", body: "")
        },
        Case(description: "a combining mark after ../", code: .invalidValue) {
            _ = try $0.edit($1, values: [(.path, .text("../\u{301}x.txt"))])
        },
        Case(description: "a part that starts with a combining mark", code: .invalidValue) {
            _ = try $0.edit($1, values: [(.path, .text("a/\u{301}../b"))])
        },
        Case(description: "a C1 control in the path", code: .invalidValue) {
            _ = try $0.edit($1, values: [(.path, .text("a/\u{9B}x.txt"))])
        },
        Case(description: "a title whose ]( carries a combining mark", code: .invalidValue) {
            _ = try $0.edit($1, values: [(.title, .text("a](\u{301}b"))])
        },
        Case(description: "a title with ](", code: .invalidValue) {
            _ = try $0.edit($1, values: [(.title, .text("a](b"))])
        },
        Case(description: "an escape in a tag", code: .invalidValue) {
            _ = try $0.tag($1, add: ["x\u{1B}"], remove: [])
        },
    ]

    @Test(arguments: cases)
    func isRefusedWithItsCodeAndChangesNothing(_ testCase: Case) throws {
        let work = try TemporaryDirectory("hostile")
        let replica = try Replica.create(at: work.file("r.db"), name: "laptop")
        let id = try replica.capture(url: "https://news.example.org/a/1.html", title: "T", body: "<p>b</p>").article
        let before = try replica.status()
        #expect {
            try testCase.write(replica, id)
        } throws: { error in
            let replicaError = error as? ReplicaError
            return replicaError?.code == .invalidValue
                && (replicaError?.underlying as? ArchiveModelError)?.code == testCase.code
        }
        let after = try replica.status()
        #expect(after.events == before.events)
        #expect(after.digest == before.digest)
        #expect(try replica.verify().ok)
    }

    @Test func aReplicaNameWithNULIsRefusedAndNoFileIsMade() throws {
        let work = try TemporaryDirectory("hostile-name")
        #expect {
            try Replica.create(at: work.file("r.db"), name: "lap\0top")
        } throws: { ($0 as? ReplicaError)?.code == .invalidValue && "\($0)".contains("NUL") }
        #expect(!FileManager.default.fileExists(atPath: work.file("r.db")))
    }

    @Test(arguments: ["a/\u{301}b", "a:\u{301}b", "hub\0", "hub\u{1B}[2J"])
    func aPeerNameIsCheckedOnBytes(_ name: String) throws {
        let work = try TemporaryDirectory("hostile-peer-name")
        let replica = try Replica.create(at: work.file("r.db"), name: "laptop")
        #expect {
            try replica.addPeer(name: name, url: "http://127.0.0.1:1", tokenFile: nil)
        } throws: { ($0 as? ReplicaError)?.code == .invalidValue }
        try replica.addPeer(name: "hub-\u{301}é", url: "http://127.0.0.1:1", tokenFile: nil)
    }

    @Test func aPeersEventWithNULIsRefusedBeforeItIsAnEvent() throws {
        let work = try TemporaryDirectory("hostile-peer")
        let laptop = try Replica.create(at: work.file("laptop.db"), name: "laptop")
        _ = try laptop.capture(url: "https://news.example.org/a/1.html", title: "Title", body: "<p>b</p>")
        let create = try #require(try laptop.events(missingFrom: VectorClock()).first)
        for (title, code) in [("Ti\0tle", ArchiveModelError.Code.nulByte), ("a](\u{301}b", .invalidValue)] {
            let line = try Self.wireLine(of: create, title: title)
            #expect { _ = try Event(wireLine: line) } throws: { ($0 as? ArchiveModelError)?.code == code }
        }
        // The same forgery with an honest title is accepted: the refusal above is the title's.
        #expect(try Event(wireLine: try Self.wireLine(of: create, title: "Title")).hash == create.hash)
    }

    /// The wire form of `event` with its title replaced and a hash that matches the new content.
    static func wireLine(of event: Event, title: String) throws -> [UInt8] {
        guard case .object(var pairs) = event.canonicalObject,
            let index = pairs.firstIndex(where: { $0.key == "changes" }),
            case .array(let changes) = pairs[index].value
        else { throw TestSetupError("an event's canonical object has changes") }
        pairs[index].value = .array(
            changes.map { change in
                guard change["set"]?.stringValue == "title" else { return change }
                return .object([("set", .string("title")), ("value", .string(title))])
            })
        let hash = SHA256Digest.of(JSONValue.object(pairs).canonicalBytes)
        return Array(JSONValue.object([("hash", .string(hash.hex))] + pairs).compactText.utf8)
    }

    /// SQLite binds text through C strings; every scalar but NUL must come back from the article
    /// tables byte for byte, and NUL is refused (by the cases above) before it can be bound.
    @Test func everyAllowedScalarRoundTripsThroughTheArticleTables() throws {
        let work = try TemporaryDirectory("hostile-roundtrip")
        let replica = try Replica.create(at: work.file("r.db"), name: "laptop")
        let id = try replica.capture(url: "https://news.example.org/a/1.html", title: "T", body: "<p>b</p>").article
        let controls = String(String.UnicodeScalarView((1..<0x20).compactMap(Unicode.Scalar.init)))
        let note = controls + "\u{7F}\u{85}\u{9B}\u{202E}\u{2066}e\u{301}/\u{301}😀\u{10FFFF}"
        let title = "\u{1B}[2J\u{7F}\u{9B}\u{202E}e\u{301}/\u{301}😀 ]"
        _ = try replica.edit(id, values: [(.note, .text(note)), (.title, .text(title)), (.body, .text(note))])
        for _ in 0..<2 {
            let state = try replica.article(id).state
            #expect(Array(state.text(.note).utf8) == Array(note.utf8))
            #expect(Array(state.text(.body).utf8) == Array(note.utf8))
            #expect(Array(state.text(.title).utf8) == Array(title.utf8))
            #expect(try replica.verify().ok)
            _ = try replica.rebuild()
        }
    }
}
