/*
 The batch format (protocol/SPEC.md): newline-delimited JSON, one event per line in its wire form
 ({"hash":…, …}), in causal order. A pull response ends with one trailer line
 {"end":true,"events":N,"more":BOOL,"knowledge":{…}}; a page without it was cut off.
*/
import ArchiveModel

/// Encoding and decoding of event batches.
public enum EventBatch {
    /// The NDJSON bytes of `events`, one line each, each line ending with a newline.
    public static func encode(_ events: [Event]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(events.reduce(0) { $0 + $1.payload.count + 80 })
        for event in events {
            out.append(contentsOf: event.wireLine)
            out.append(0x0A)
        }
        return out
    }

    /// `encode`, with long text values delta-coded against bases the receiver holds, found by
    /// `findBase` (see `ValueDelta`).
    public static func encode(_ events: [Event], findBase: ValueDelta.BaseFinder) throws -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(events.reduce(0) { $0 + $1.payload.count + 80 })
        for event in events {
            out.append(contentsOf: try ValueDelta.wireLine(of: event, findBase: findBase))
            out.append(0x0A)
        }
        return out
    }

    /// Reads one event line, rebuilding delta-coded values from `source` within `budget`.
    static func event(
        _ line: ArraySlice<UInt8>, source: ValueDelta.BaseSource?, budget: inout ExpansionBudget
    ) throws -> Event {
        try budget.spend(line.count)
        let json = try JSONParser.parse(line)
        guard let source else { return try Event(wireJSON: json) }
        return try Event(wireJSON: ValueDelta.expand(json, source: source, budget: &budget))
    }

    /// Decodes a push batch: every non-empty line an event, delta-coded values rebuilt from the
    /// bases `source` gives. Throws `WireProtocolError` naming the line (`malformed-json`,
    /// `malformed-event`, `hash-mismatch`, `fork`), or `too-large` past `maxEvents` or once the
    /// batch with its deltas rebuilt passes `maxExpandedBytes` (checked before each value is built,
    /// so the events returned hold at most that many bytes of lines).
    public static func decode(
        _ bytes: [UInt8], maxEvents: Int = .max,
        maxExpandedBytes: Int = WireLimits.standard.maxDecompressedBytes, bases source: ValueDelta.BaseSource? = nil
    ) throws -> [Event] {
        var events: [Event] = []
        var budget = ExpansionBudget(limit: maxExpandedBytes)
        var lineNumber = 0
        try forEachLine(bytes) { line in
            lineNumber += 1
            guard !line.isEmpty else { return }
            if events.count >= maxEvents {
                throw WireProtocolError(.tooLarge, "a push may hold at most \(maxEvents) events; split the batch")
            }
            do {
                events.append(try event(line, source: source, budget: &budget))
            } catch {
                throw WireProtocolError(mapping: error, line: lineNumber)
            }
        }
        return events
    }

    /// Calls `body` with each line of `bytes` (without its newline), the last one even without a
    /// final newline.
    public static func forEachLine(_ bytes: [UInt8], _ body: (ArraySlice<UInt8>) throws -> Void) rethrows {
        var start = 0
        while start < bytes.count {
            let end = bytes[start...].firstIndex(of: 0x0A) ?? bytes.count
            try body(bytes[start..<end])
            start = end + 1
        }
    }
}

/// The last line of a pull page: how many events the page held, whether more are left, and
/// what the server is and holds, so that a sync needs no other request to start.
public struct PullTrailer: Sendable, Equatable {
    public var events: Int
    public var more: Bool
    /// The server's knowledge vector when it wrote the page.
    public var knowledge: VectorClock
    /// The hash of the server's last event of every origin (to find forks).
    public var heads: [OriginID: SHA256Digest]
    public var node: OriginID?
    public var name: String
    public var digest: String
    /// The server's public key, and its signature of the request's challenge (`ServerProof`).
    public var key: OriginKey?
    public var proof: Ed25519Signature?

    public init(
        events: Int, more: Bool, knowledge: VectorClock, heads: [OriginID: SHA256Digest] = [:], node: OriginID? = nil,
        name: String = "", digest: String = "", key: OriginKey? = nil, proof: Ed25519Signature? = nil
    ) {
        self.events = events
        self.more = more
        self.knowledge = knowledge
        self.heads = heads
        self.node = node
        self.name = name
        self.digest = digest
        self.key = key
        self.proof = proof
    }

    public var json: JSONValue {
        var pairs: [(key: String, value: JSONValue)] = [
            ("end", .bool(true)), ("events", .integer(Int64(events))), ("more", .bool(more)),
            ("knowledge", knowledge.json), ("heads", HeadsJSON.encode(heads)),
        ]
        if let node { pairs.append(("node", .string(node.hex))) }
        pairs.append(("name", .string(name)))
        pairs.append(("digest", .string(digest)))
        if let key { pairs.append(("key", .string(key.hex))) }
        if let proof { pairs.append(("proof", .string(proof.hex))) }
        return .object(pairs)
    }

    /// Reads a trailer line; nil when the line is not one (an event line).
    public init?(line: ArraySlice<UInt8>) throws {
        guard line.starts(with: Array("{\"end\"".utf8)) else { return nil }
        let json = try JSONParser.parse(line)
        guard json["end"]?.boolValue == true, let events = json["events"]?.integerValue,
            let more = json["more"]?.boolValue, let knowledge = json["knowledge"]
        else { throw WireProtocolError(.malformedJSON, "the pull page ends with a malformed trailer") }
        self.init(
            events: Int(events), more: more, knowledge: try VectorClock(json: knowledge),
            heads: try HeadsJSON.decode(json["heads"]), node: json["node"]?.stringValue.flatMap(OriginID.init(hex:)),
            name: json["name"]?.stringValue ?? "", digest: json["digest"]?.stringValue ?? "",
            key: json["key"]?.stringValue.flatMap(OriginKey.init(hex:)),
            proof: json["proof"]?.stringValue.flatMap(Ed25519Signature.init(hex:)))
    }
}

/// `{origin: hash}`: the hash of the last event held of each origin.
public enum HeadsJSON {
    public static func encode(_ heads: [OriginID: SHA256Digest]) -> JSONValue {
        .object(heads.sorted { $0.key < $1.key }.map { ($0.key.hex, .string($0.value.hex)) })
    }

    public static func decode(_ json: JSONValue?) throws -> [OriginID: SHA256Digest] {
        var heads: [OriginID: SHA256Digest] = [:]
        for (key, value) in json?.objectValue ?? [] {
            guard let origin = OriginID(hex: key), let text = value.stringValue, let hash = SHA256Digest(hex: text)
            else {
                throw WireProtocolError(
                    .malformedJSON, "a head must map an origin id to 64 hex digits; \(key) does not")
            }
            heads[origin] = hash
        }
        return heads
    }
}

/// A pull page as the client reads it: the events, and the trailer if the page was complete.
public struct PullPage: Sendable {
    public var events: [Event]
    public var trailer: PullTrailer?

    /// Decodes a page; a page cut off inside a line keeps the complete lines before it.
    /// `source` gives the bases of delta-coded values from this replica's journal; the page with
    /// its deltas rebuilt may hold at most `maxExpandedBytes` (else `too-large`), so a hostile
    /// server cannot make the client rebuild more than that.
    public init(
        _ bytes: [UInt8], maxExpandedBytes: Int = WireLimits.standard.maxDecompressedBytes,
        bases source: ValueDelta.BaseSource? = nil
    ) throws {
        events = []
        trailer = nil
        var budget = ExpansionBudget(limit: maxExpandedBytes)
        var lines: [ArraySlice<UInt8>] = []
        EventBatch.forEachLine(bytes) { lines.append($0) }
        // A last line without its newline was cut off mid-line: drop it.
        if bytes.last != 0x0A, !lines.isEmpty { lines.removeLast() }
        for (index, line) in lines.enumerated() where !line.isEmpty {
            if let trailer = try PullTrailer(line: line) {
                guard index == lines.count - 1 else {
                    throw WireProtocolError(.malformedJSON, "the pull page has lines after its trailer")
                }
                guard trailer.events == events.count else {
                    throw WireProtocolError(
                        .malformedJSON,
                        "the pull page's trailer counts \(trailer.events) events but the page holds \(events.count)")
                }
                self.trailer = trailer
            } else {
                do {
                    events.append(try EventBatch.event(line, source: source, budget: &budget))
                } catch {
                    throw WireProtocolError(mapping: error, line: index + 1)
                }
            }
        }
    }
}
