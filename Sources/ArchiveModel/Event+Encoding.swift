/*
 The canonical encoding of an event (protocol/CANONICAL.md is the reference; this is the code).

   {"article":"<16 hex>","changes":[<change>...],"clock":{"<origin>":<seq>...},
    "hlc":[<ms>,<counter>],"key":"<64 hex>","kind":"<kind>","name":"<replica name>",
    "origin":"<32 hex>","prev":"<64 hex>","seq":<n>}

 Keys sorted by bytes, no whitespace, `name` and `key` only when present (`key` only on the first
 event of a signed origin), clock entries of zero left out.
 A change is {"set":"<field>","value":<string|integer|bool>}, {"tagAdd":"<tag>"} or
 {"tagRemove":"<tag>"}; changes keep the order the writer gave them. hash = SHA-256 of these bytes.

 On the wire and in `--json` output an event is one line: the same object with "hash" first and
 the signature next, {"hash":"<64 hex>","sig":"<128 hex>","article":...} (no "sig" for an
 unsigned origin). Readers accept any key order and whitespace; the hash is
 always computed over the canonical re-encoding, so a reordered event keeps its hash.
*/

extension Event {
    /// The canonical JSON object of a draft (without the hash).
    static func canonicalObject(of draft: Draft) -> JSONValue {
        var pairs: [(key: String, value: JSONValue)] = [
            ("article", .string(draft.article.hex)),
            ("changes", .array(draft.changes.map(encode))),
            ("clock", .object(draft.clock.sortedEntries.map { ($0.origin.hex, .integer(Int64($0.seq))) })),
            ("hlc", .array([.integer(draft.hlc.milliseconds), .integer(Int64(draft.hlc.counter))])),
        ]
        if let key = draft.key { pairs.append(("key", .string(key.hex))) }
        pairs.append(("kind", .string(draft.kind.rawValue)))
        if let name = draft.name { pairs.append(("name", .string(name))) }
        pairs.append(("origin", .string(draft.origin.hex)))
        pairs.append(("prev", .string(draft.prev.hex)))
        pairs.append(("seq", .integer(Int64(draft.seq))))
        return .object(pairs)
    }

    static func canonicalPayload(of draft: Draft) -> [UInt8] {
        canonicalObject(of: draft).canonicalBytes
    }

    private static func encode(_ change: Change) -> JSONValue {
        switch change {
        case .set(let field, let value): .object([("set", .string(field.rawValue)), ("value", JSONValue(value))])
        case .tagAdd(let tag): .object([("tagAdd", .string(tag))])
        case .tagRemove(let tag): .object([("tagRemove", .string(tag))])
        }
    }

    /// The canonical JSON object of the event (without its hash).
    public var canonicalObject: JSONValue { Event.canonicalObject(of: draft) }

    /// The event as one line of JSON with its hash and signature first: the wire and export form.
    public var wireLine: [UInt8] {
        var line: [UInt8] = Array("{\"hash\":\"".utf8)
        line.reserveCapacity(payload.count + 220)
        line.append(contentsOf: Array(hash.hex.utf8))
        if let signature {
            line.append(contentsOf: Array("\",\"sig\":\"".utf8))
            line.append(contentsOf: Array(signature.hex.utf8))
        }
        line.append(contentsOf: Array("\",".utf8))
        line.append(contentsOf: payload.dropFirst())
        return line
    }

    /// The leading pairs of the wire form: the hash, then the signature when there is one.
    public var wireHeader: [(key: String, value: JSONValue)] {
        var pairs: [(key: String, value: JSONValue)] = [("hash", .string(hash.hex))]
        if let signature { pairs.append(("sig", .string(signature.hex))) }
        return pairs
    }

    /// Reads an event from its wire form (a JSON object with a "hash" key) and checks its hash.
    ///
    /// Throws `malformedJSON`, `malformedEvent` or `hashMismatch`.
    public init<Bytes: Collection>(wireLine: Bytes) throws where Bytes.Element == UInt8 {
        try self.init(wireJSON: JSONParser.parse(wireLine))
    }

    /// Reads an event from the parsed JSON of its wire form (see `init(wireLine:)`).
    public init(wireJSON json: JSONValue) throws {
        guard case .object(var pairs) = json else {
            throw ArchiveModelError(.malformedEvent, "an event must be a JSON object")
        }
        guard let hashIndex = pairs.firstIndex(where: { $0.key == "hash" }) else {
            throw ArchiveModelError(.malformedEvent, "the event has no \"hash\"")
        }
        guard let hashText = pairs[hashIndex].value.stringValue, let claimed = SHA256Digest(hex: hashText) else {
            throw ArchiveModelError(.malformedEvent, "the event's hash is not 64 lowercase hex digits")
        }
        pairs.remove(at: hashIndex)
        var signature: Ed25519Signature?
        if let sigIndex = pairs.firstIndex(where: { $0.key == "sig" }) {
            guard let text = pairs[sigIndex].value.stringValue, let parsed = Ed25519Signature(hex: text) else {
                throw ArchiveModelError(
                    .malformedEvent, "the event's signature (\"sig\") is not 128 lowercase hex digits")
            }
            signature = parsed
            pairs.remove(at: sigIndex)
        }
        let draft = try Event.draft(from: .object(pairs))
        try Event.validate(draft)
        let payload = Event.canonicalPayload(of: draft)
        let actual = SHA256Digest.of(payload)
        guard actual == claimed else {
            throw ArchiveModelError(
                .hashMismatch, "its content hashes to \(actual.hex), not to the hash it carries (\(claimed.hex))",
                context: "event \(draft.origin.short):\(draft.seq)")
        }
        self.init(draft: draft, payload: payload, hash: actual, signature: signature)
    }

    /// Reads an event from its canonical payload as stored in the journal.
    ///
    /// With `verify`, also checks that `payload` is canonical, that it hashes to `hash` and that the
    /// event is valid; without, trusts the journal (rebuild reads millions of rows this way).
    public init(payload: [UInt8], hash: SHA256Digest, signature: Ed25519Signature?, verify: Bool) throws {
        let draft = try Event.draft(from: JSONParser.parse(payload))
        if verify {
            try Event.validate(draft)
            guard Event.canonicalPayload(of: draft) == payload else {
                throw ArchiveModelError(
                    .hashMismatch, "the stored event is not in canonical form",
                    context: "event \(draft.origin.short):\(draft.seq)")
            }
            let actual = SHA256Digest.of(payload)
            guard actual == hash else {
                throw ArchiveModelError(
                    .hashMismatch, "its content hashes to \(actual.hex), not to the stored hash \(hash.hex)",
                    context: "event \(draft.origin.short):\(draft.seq)")
            }
        }
        self.init(draft: draft, payload: payload, hash: hash, signature: signature)
    }

    /// Builds a draft from the JSON object of an event (without its hash), strictly.
    static func draft(from json: JSONValue) throws -> Draft {
        guard case .object(let pairs) = json else { throw malformed("an event must be a JSON object") }
        let known: Set<String> = ["article", "changes", "clock", "hlc", "key", "kind", "name", "origin", "prev", "seq"]
        if let unknown = pairs.first(where: { !known.contains($0.key) }) {
            throw malformed("unknown key \"\(unknown.key)\"")
        }
        guard let originText = json["origin"]?.stringValue, let origin = OriginID(hex: originText) else {
            throw malformed("\"origin\" must be 32 lowercase hex digits")
        }
        guard let seq = json["seq"]?.integerValue, seq >= 1, seq <= Int64(Int32.max) else {
            throw malformed("\"seq\" must be a positive integer")
        }
        guard let hlcParts = json["hlc"]?.arrayValue, hlcParts.count == 2,
            let ms = hlcParts[0].integerValue, let counter = hlcParts[1].integerValue,
            (0...Int64(HybridTimestamp.maxCounter)).contains(counter)
        else { throw malformed("\"hlc\" must be [milliseconds, counter]") }
        guard let clockPairs = json["clock"]?.objectValue else { throw malformed("\"clock\" must be an object") }
        var clock = VectorClock()
        for (key, value) in clockPairs {
            guard let entryOrigin = OriginID(hex: key), let entry = value.integerValue, entry >= 1,
                entry <= Int64(Int32.max)
            else { throw malformed("\"clock\" entries must map origin ids to positive integers") }
            clock[entryOrigin] = Int(entry)
        }
        guard let articleText = json["article"]?.stringValue, let article = ArticleID(hex: articleText) else {
            throw malformed("\"article\" must be 16 lowercase hex digits")
        }
        guard let kindText = json["kind"]?.stringValue, let kind = EventKind(rawValue: kindText) else {
            throw malformed("\"kind\" must be one of \(EventKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard let prevText = json["prev"]?.stringValue, let prev = SHA256Digest(hex: prevText) else {
            throw malformed("\"prev\" must be 64 lowercase hex digits")
        }
        var name: String?
        if let nameValue = json["name"] {
            guard let text = nameValue.stringValue else { throw malformed("\"name\" must be a string") }
            name = text
        }
        var key: OriginKey?
        if let keyValue = json["key"] {
            guard let text = keyValue.stringValue, let parsed = OriginKey(hex: text) else {
                throw malformed("\"key\" must be 64 lowercase hex digits (an Ed25519 public key)")
            }
            key = parsed
        }
        guard let changeValues = json["changes"]?.arrayValue else { throw malformed("\"changes\" must be an array") }
        let changes = try changeValues.map(decodeChange)
        return Draft(
            origin: origin, seq: Int(seq), hlc: HybridTimestamp(milliseconds: ms, counter: Int(counter)),
            clock: clock, article: article, kind: kind, changes: changes, prev: prev, name: name, key: key)
    }

    private static func decodeChange(_ json: JSONValue) throws -> Change {
        guard case .object(let pairs) = json else { throw malformed("a change must be an object") }
        if pairs.count == 2, let fieldName = json["set"]?.stringValue, let value = json["value"] {
            guard let field = Field(rawValue: fieldName) else { throw malformed("unknown field \"\(fieldName)\"") }
            switch value {
            case .string(let text): return .set(field, .text(text))
            case .integer(let number): return .set(field, .integer(number))
            case .bool(let flag): return .set(field, .flag(flag))
            default: throw malformed("the value of \(fieldName) must be a string, an integer or a boolean")
            }
        }
        if pairs.count == 1, let tag = json["tagAdd"]?.stringValue { return .tagAdd(tag) }
        if pairs.count == 1, let tag = json["tagRemove"]?.stringValue { return .tagRemove(tag) }
        throw malformed("a change must be {\"set\",\"value\"}, {\"tagAdd\"} or {\"tagRemove\"}")
    }

    private static func malformed(_ message: String) -> ArchiveModelError {
        ArchiveModelError(.malformedEvent, message)
    }
}
