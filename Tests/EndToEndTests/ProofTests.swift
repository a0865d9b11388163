import ArchiveModel
import Foundation
import TestSupport
import Testing

/// `archive-sync prove` checked by the independent Python verifier (protocol/PROOFS.md): a real
/// history of two signed replicas syncing through `serve`, then the proof as written and tampered.
struct ProofTests {
    static let url = "https://news.example.org/world/2024/proof.html"

    /// Two replicas write one article through a real server: a create by the server, concurrent
    /// title edits (a conflict), tags on both sides and a body edit. Returns the laptop, which
    /// holds every event, and the article's id.
    func history() throws -> (laptop: SyncNode, server: SyncNode, id: String) {
        let server = try SyncNode("proof-server")
        let laptop = try SyncNode("proof-laptop", serve: false)
        try server.cli.ok([
            "capture", "--url", Self.url, "--title", "First title", "--body", "<p>Seoul, Monday.</p>\n",
            "--tag", "todo",
        ])
        let id = ArticleID(url: Self.url).hex
        try laptop.syncOK(with: server)
        try laptop.cli.ok(["edit", id, "--title", "Laptop title"])
        try laptop.cli.ok(["tag", id, "--add", "korea", "--remove", "todo"])
        try server.cli.ok(["edit", id, "--title", "Server title"])
        try server.cli.ok(["tag", id, "--add", "asia"])
        try server.cli.ok(["edit", id, "--body", "<p>Seoul, Monday. Corrected.</p>\n"])
        try laptop.syncOK(with: server)
        return (laptop, server, id)
    }

    /// Runs the verifier on `proof` written as a file in `cli`'s folder.
    func verify(_ proof: JSONValue, _ cli: CLI, name: String) throws -> PythonVerifier.Result {
        let path = try cli.directory.write(name, proof.compactText + "\n")
        return try PythonVerifier.verify([path, "--json"])
    }

    /// The proof's events, and a copy of the proof with `events` replaced.
    func replacingEvents(_ proof: JSONValue, _ change: (inout [JSONValue]) throws -> Void) throws -> JSONValue {
        var events = try #require(proof["events"]?.arrayValue)
        try change(&events)
        return replacing(proof, "events", with: .array(events))
    }

    func replacing(_ object: JSONValue, _ key: String, with value: JSONValue) -> JSONValue {
        .object((object.objectValue ?? []).map { $0.key == key ? ($0.key, value) : $0 })
    }

    @Test(
        .enabled(
            if: PythonVerifier.testsRun,
            "needs python3 with the cryptography module (pip install cryptography, or ARCHIVE_SYNC_PYTHON)"))
    func aProofOfTwoSignedOriginsPassesTheVerifierAndEveryTamperingIsRefused() throws {
        try PythonVerifier.requireReady()
        let (laptop, _, id) = try history()
        let written = try laptop.cli.ok(["prove", id, "--output", "p.json"])
        #expect(written.stdout.contains("Wrote a proof of capture"), "\(written.stdout)")
        #expect(written.stdout.contains("(6 events)"), "\(written.stdout)")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: laptop.cli.directory.file("p.json")))
        #expect(bytes.last == UInt8(ascii: "\n"))
        let proof = try JSONParser.parse(Array(bytes))

        // The proof as written holds, and the verifier's state is the proof's.
        let good = try PythonVerifier.verify([laptop.cli.directory.file("p.json"), "--json"])
        try #require(good.status == 0, "the verifier refused the proof: \(good.stderr)")
        let result = try JSONParser.parse(good.stdout)
        #expect(result["ok"]?.boolValue == true)
        #expect(result["unsigned"]?.arrayValue?.isEmpty == true)
        let state = try #require(proof["state"])
        #expect(result["state"] == state)
        #expect(Set((proof["keys"]?.objectValue ?? []).map(\.key)).count == 2)
        #expect(state["conflicts"]?["title"]?.arrayValue?.count == 2)

        // It says what `show` says.
        let shown = try laptop.cli.ok(["show", id, "--json"]).json()
        #expect(proof["record"] == shown["capture"])
        #expect(state["values"]?["title"] == shown["title"])
        #expect(state["tags"] == shown["capture_tags"])
        #expect(state["tags"] == .array([.string("asia"), .string("korea")]))

        // A changed byte in a value of one event: its hash no longer matches.
        let altered = try replacingEvents(proof) { events in
            let index = try #require(events.firstIndex { $0.compactText.contains("Corrected.") })
            let text = events[index].compactText.replacingOccurrences(of: "Corrected.", with: "Corrected!")
            events[index] = try JSONParser.parse(Array(text.utf8))
        }
        try expectRefused(altered, laptop.cli, "altered", because: "its content does not hash to its hash")

        // A dropped event: the prover signed it.
        let dropped = try replacingEvents(proof) { events in events.remove(at: events.count - 2) }
        try expectRefused(dropped, laptop.cli, "dropped", because: "(dropped)")

        // A signature of the same hash by another key.
        let forged = try replacingEvents(proof) { events in
            let event = events[1]
            let hash = try #require(event["hash"]?.stringValue.flatMap(SHA256Digest.init(hex:)))
            let signature = SigningKey().sign(event: hash)
            events[1] = replacing(event, "sig", with: .string(signature.hex))
        }
        try expectRefused(
            forged, laptop.cli, "forged", because: "its signature is not valid for the key of its origin")

        // Two concurrent neighbours swapped: still a causal order, but not the one the prover signed.
        let reordered = try replacingEvents(proof) { events in
            let index = try #require(
                events.indices.dropLast().first { events[$0].concurrent(with: events[$0 + 1]) },
                "the history has two concurrent neighbours")
            events.swapAt(index, index + 1)
        }
        try expectRefused(reordered, laptop.cli, "reordered", because: "(reordered)")

        // The state changed.
        let values = try #require(state["values"])
        let forgedState = replacing(state, "values", with: replacing(values, "title", with: .string("Forged")))
        try expectRefused(
            replacing(proof, "state", with: forgedState), laptop.cli, "state",
            because: "the proof's state does not follow from its events: title is \"Forged\"")
    }

    func expectRefused(
        _ proof: JSONValue, _ cli: CLI, _ name: String, because reason: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let result = try verify(proof, cli, name: name + ".json")
        #expect(result.status == 1, "\(name): \(result.stderr)", sourceLocation: sourceLocation)
        #expect(result.stderr.contains("proof REJECTED"), "\(name): \(result.stderr)", sourceLocation: sourceLocation)
        #expect(result.stderr.contains(reason), "\(name): \(result.stderr)", sourceLocation: sourceLocation)
    }

    @Test func proveRefusesAnUnknownArticleAndAnExistingFile() throws {
        let cli = try CLI("prove-refusals")
        try cli.ok(["init", "--name", "solo"])
        let unknown = try cli.run(["prove", "0123456789abcdef"])
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("there is no article with id 0123456789abcdef"), "\(unknown.stderr)")

        try cli.ok(["capture", "--url", Self.url, "--title", "Title", "--body", "<p>Body.</p>\n"])
        let id = ArticleID(url: Self.url).hex
        let piped = try cli.ok(["prove", String(id.prefix(6))])
        #expect(piped.stdout.hasSuffix("}\n"))
        #expect(try piped.json()["record"] != nil)
        try cli.directory.write("taken.json", "keep me\n")
        let taken = try cli.run(["prove", id, "--output", "taken.json"])
        #expect(taken.status == 1)
        #expect(taken.stderr.contains("already exists"), "\(taken.stderr)")
        #expect(try String(contentsOfFile: cli.directory.file("taken.json"), encoding: .utf8) == "keep me\n")
        try cli.ok(["prove", id, "--output", "taken.json", "--force"])
        #expect(try String(contentsOfFile: cli.directory.file("taken.json"), encoding: .utf8).hasPrefix("{"))
    }
}

extension JSONValue {
    /// True when neither wire-form event happened before the other (by their clocks).
    fileprivate func concurrent(with other: JSONValue) -> Bool {
        guard let origin = self["origin"]?.stringValue, let otherOrigin = other["origin"]?.stringValue,
            let seq = self["seq"]?.integerValue, let otherSeq = other["seq"]?.integerValue, origin != otherOrigin
        else { return false }
        let seesOther = (self["clock"]?[otherOrigin]?.integerValue ?? 0) >= otherSeq
        let otherSees = (other["clock"]?[origin]?.integerValue ?? 0) >= seq
        return !seesOther && !otherSees
    }
}
