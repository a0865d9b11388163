import ArchiveModel

/// `GET /v1/info`: who the server is and what it holds.
public struct InfoResponse: Sendable, Equatable {
    public var protocolVersion: Int
    public var node: OriginID
    public var name: String
    public var knowledge: VectorClock
    /// For every origin, the hash of the last event the server holds of it.
    public var heads: [OriginID: SHA256Digest]
    public var events: Int
    public var digest: String
    public var limits: WireLimits

    public init(
        protocolVersion: Int = WireProtocol.version, node: OriginID, name: String, knowledge: VectorClock,
        heads: [OriginID: SHA256Digest] = [:], events: Int, digest: String, limits: WireLimits = .standard
    ) {
        self.protocolVersion = protocolVersion
        self.node = node
        self.name = name
        self.knowledge = knowledge
        self.heads = heads
        self.events = events
        self.digest = digest
        self.limits = limits
    }

    public var json: JSONValue {
        .object([
            ("protocol", .integer(Int64(protocolVersion))), ("node", .string(node.hex)), ("name", .string(name)),
            ("knowledge", knowledge.json),
            ("heads", HeadsJSON.encode(heads)),
            ("events", .integer(Int64(events))), ("digest", .string(digest)), ("limits", limits.json),
        ])
    }

    public init(json: JSONValue) throws {
        guard let version = json["protocol"]?.integerValue, let nodeText = json["node"]?.stringValue,
            let node = OriginID(hex: nodeText), let knowledge = json["knowledge"]
        else {
            throw WireProtocolError(
                .malformedJSON,
                "the server's info answer is not what protocol version \(WireProtocol.version) describes")
        }
        let heads = try HeadsJSON.decode(json["heads"])
        self.init(
            protocolVersion: Int(version), node: node, name: json["name"]?.stringValue ?? "",
            knowledge: try VectorClock(json: knowledge), heads: heads,
            events: Int(json["events"]?.integerValue ?? 0), digest: json["digest"]?.stringValue ?? "",
            limits: json["limits"].map(WireLimits.init(json:)) ?? .standard)
    }
}

/// `POST /v1/pull` request: the caller's knowledge and the page size it wants.
public struct PullRequest: Sendable, Equatable {
    public var knowledge: VectorClock
    public var maxEvents: Int
    public var maxBytes: Int
    /// Whether the server may delta-code long values against events `knowledge` covers (false
    /// when `knowledge` is not what the caller holds, as in the probes that locate a fork).
    public var deltas: Bool
    /// 16 random bytes the server signs in the page's trailer, proving it holds the key of the
    /// origin it names (SPEC.md, "Who the server is"); nil asks for no proof.
    public var challenge: [UInt8]?
    /// How long, in milliseconds, the server may hold its answer while it has nothing the caller
    /// lacks (a long poll, SPEC.md "Waiting for changes"); 0 answers at once.
    public var waitMilliseconds: Int

    public init(
        knowledge: VectorClock, maxEvents: Int = 1_000, maxBytes: Int = 4 << 20, deltas: Bool = true,
        challenge: [UInt8]? = nil, waitMilliseconds: Int = 0
    ) {
        self.knowledge = knowledge
        self.maxEvents = maxEvents
        self.maxBytes = maxBytes
        self.deltas = deltas
        self.challenge = challenge
        self.waitMilliseconds = waitMilliseconds
    }

    public var json: JSONValue {
        var pairs: [(key: String, value: JSONValue)] = [
            ("knowledge", knowledge.json), ("max_events", .integer(Int64(maxEvents))),
            ("max_bytes", .integer(Int64(maxBytes))), ("deltas", .bool(deltas)),
        ]
        if let challenge { pairs.append(("challenge", .string(Hex.encode(challenge)))) }
        if waitMilliseconds > 0 { pairs.append(("wait_ms", .integer(Int64(waitMilliseconds)))) }
        return .object(pairs)
    }

    /// Reads a request body; limits are capped by `limits`. Throws `malformed-json` or
    /// `malformed-request`.
    public init(body: [UInt8], limits: WireLimits) throws {
        let json: JSONValue
        do { json = try JSONParser.parse(body) } catch {
            throw WireProtocolError(.malformedJSON, "the pull request is not JSON: \(error)")
        }
        guard case .object = json, let knowledge = json["knowledge"] else {
            throw WireProtocolError(.malformedRequest, "a pull request needs a \"knowledge\" object ({} when empty)")
        }
        let known: Set = ["knowledge", "max_events", "max_bytes", "deltas", "challenge", "wait_ms"]
        for (key, _) in json.objectValue ?? [] where !known.contains(key) {
            throw WireProtocolError(
                .malformedRequest,
                "a pull request holds only knowledge, max_events, max_bytes, deltas, challenge and wait_ms; \"\(key)\" is not one of them"
            )
        }
        var wait = 0
        if let value = json["wait_ms"] {
            guard let milliseconds = value.integerValue, milliseconds >= 0,
                milliseconds <= Int64(limits.maxWaitMilliseconds)
            else {
                throw WireProtocolError(
                    .malformedRequest,
                    "wait_ms must be an integer from 0 to \(limits.maxWaitMilliseconds) (this server's max_wait_ms)")
            }
            wait = Int(milliseconds)
        }
        var challenge: [UInt8]?
        if let value = json["challenge"] {
            guard let text = value.stringValue, let bytes = Hex.decode(text, count: ServerProof.challengeBytes) else {
                throw WireProtocolError(.malformedRequest, "challenge must be 32 lowercase hex digits (16 bytes)")
            }
            challenge = bytes
        }
        for key in ["max_events", "max_bytes"] where json[key] != nil && json[key]?.integerValue == nil {
            throw WireProtocolError(.malformedRequest, "\(key) must be an integer")
        }
        if let deltas = json["deltas"], deltas.boolValue == nil {
            throw WireProtocolError(.malformedRequest, "deltas must be true or false")
        }
        let maxEvents = json["max_events"]?.integerValue ?? 1_000
        let maxBytes = json["max_bytes"]?.integerValue ?? Int64(4 << 20)
        guard maxEvents > 0, maxBytes > 0 else {
            throw WireProtocolError(.malformedRequest, "max_events and max_bytes must be positive")
        }
        self.init(
            knowledge: try VectorClock(json: knowledge), maxEvents: Int(min(maxEvents, Int64(limits.maxPullEvents))),
            maxBytes: Int(min(maxBytes, Int64(limits.maxPullBytes))), deltas: json["deltas"]?.boolValue ?? true,
            challenge: challenge, waitMilliseconds: wait)
    }
}

/// `POST /v1/push` answer.
public struct PushResponse: Sendable, Equatable {
    public var applied: Int
    public var alreadyHeld: Int
    public var knowledge: VectorClock
    /// The server's digest after the batch.
    public var digest: String

    public init(applied: Int, alreadyHeld: Int, knowledge: VectorClock, digest: String = "") {
        self.applied = applied
        self.alreadyHeld = alreadyHeld
        self.knowledge = knowledge
        self.digest = digest
    }

    public var json: JSONValue {
        .object([
            ("applied", .integer(Int64(applied))), ("already_held", .integer(Int64(alreadyHeld))),
            ("knowledge", knowledge.json), ("digest", .string(digest)),
        ])
    }

    public init(json: JSONValue) throws {
        guard let applied = json["applied"]?.integerValue, let knowledge = json["knowledge"] else {
            throw WireProtocolError(
                .malformedJSON,
                "the server's push answer is not what protocol version \(WireProtocol.version) describes")
        }
        self.init(
            applied: Int(applied), alreadyHeld: Int(json["already_held"]?.integerValue ?? 0),
            knowledge: try VectorClock(json: knowledge), digest: json["digest"]?.stringValue ?? "")
    }
}

/// A server's proof that it holds the key of the origin it names, bound to the page it answers:
/// its signature of the client's challenge and of the SHA-256 of every byte of the page before
/// the proof, trailer included (SPEC.md, "Who the server is"). So a page is taken only whole and
/// from the server that proved itself; nothing in it can be changed on the way.
public enum ServerProof {
    public static let challengeBytes = 16

    /// A new random challenge.
    public static func challenge() -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<challengeBytes).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }

    /// What the server signs: `archive-sync challenge\n`, the 16 challenge bytes, then the
    /// SHA-256 of the page's bytes up to the proof.
    public static func message(challenge: [UInt8], page: SHA256Digest) -> [UInt8] {
        Ed25519Signature.challengePrefix + challenge + page.bytes
    }

    /// The trailer line (without its line feed) that ends a page whose earlier bytes `page` has
    /// hashed: `trailer` as JSON, then `"key"` and `"proof"` as its last two pairs.
    public static func trailerLine(
        _ trailer: PullTrailer, page: SHA256Stream, challenge: [UInt8], key: SigningKey
    ) -> [UInt8] {
        var unsigned = trailer
        unsigned.key = nil
        unsigned.proof = nil
        var line: [UInt8] = []
        unsigned.json.write(to: &line, sortKeys: false)
        line.removeLast()  // the closing brace: the proof's pairs follow
        var hashed = page
        hashed.update(line)
        let proof = key.sign(message(challenge: challenge, page: hashed.finalize()))
        line += Array(",\"key\":\"\(key.publicKey.hex)\",\"proof\":\"\(proof.hex)\"}".utf8)
        return line
    }

    /// `trailerLine` for a page whose bytes before the trailer are all in `page`.
    public static func trailerLine(
        _ trailer: PullTrailer, page: [UInt8], challenge: [UInt8], key: SigningKey
    ) -> [UInt8] {
        var stream = SHA256Stream()
        stream.update(page)
        return trailerLine(trailer, page: stream, challenge: challenge, key: key)
    }

    /// Checks the proof that ends `body`, a whole page answered to `challenge`: its trailer's last
    /// pairs are the key and the proof, the key names `node`, and the proof is the key's signature
    /// of the challenge and of every byte before it.
    public static func verify(body: [UInt8], challenge: [UInt8], node: OriginID) -> Bool {
        // ,"key":"<64 hex>","proof":"<128 hex>"} and the line's end.
        var end = body.count
        while end > 0, body[end - 1] == 0x0A { end -= 1 }
        let suffixLength = 8 + 64 + 11 + 128 + 2
        guard end >= suffixLength else { return false }
        let suffix = Array(body[(end - suffixLength)..<end])
        guard suffix.starts(with: Array(",\"key\":\"".utf8)),
            Array(suffix[72..<83]) == Array("\",\"proof\":\"".utf8), Array(suffix[211...]) == Array("\"}".utf8),
            let key = OriginKey(hex: String(decoding: suffix[8..<72], as: UTF8.self)),
            let proof = Ed25519Signature(hex: String(decoding: suffix[83..<211], as: UTF8.self)),
            key.origin == node
        else { return false }
        let page = SHA256Digest.of(Array(body[..<(end - suffixLength)]))
        return key.isValid(proof, of: message(challenge: challenge, page: page))
    }
}
