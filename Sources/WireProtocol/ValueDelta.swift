/*
 Delta-coded text values on the wire (protocol/SPEC.md, "Deltas"). An event that sets a long
 text field (a new body that adds a sentence to the old one) may carry, instead of
   {"set":"body","value":"…whole new body…"}
 the change
      {"set":"body","delta":{"base":"ORIGIN:SEQ","hash":"…","prefix":P,"suffix":S,"insert":"…"}}
 where ORIGIN:SEQ (whose hash is `hash`) is an earlier event of the same article, setting the same
 field, that the receiver holds; the value is the base's first P bytes, then `insert`, then its last S bytes
 (UTF-8). The receiver rebuilds the value before anything else, so the event and its hash are
 exactly those of the plain form: a delta only shortens the line.
*/
import ArchiveModel

/// Delta coding of long text values in event lines.
public enum ValueDelta {
    /// Values shorter than this are always sent whole.
    public static let minimumLength = 256

    /// Finds, for an event that sets `field`, an earlier value of it the receiver holds.
    public typealias BaseFinder = (_ event: Event, _ field: Field) throws -> (
        dot: Dot, hash: SHA256Digest, value: String
    )?
    /// Returns the hash of event `dot` and the value it set for `field`, from the receiver's journal.
    public typealias BaseResolver = (_ dot: Dot, _ field: Field) throws -> (hash: SHA256Digest, value: String)?

    /// The wire line of `event`, with its long text values delta-coded against the bases
    /// `findBase` gives, when that makes the line shorter.
    public static func wireLine(of event: Event, findBase: BaseFinder) throws -> [UInt8] {
        var changes: [JSONValue] = []
        var coded = false
        for change in event.changes {
            guard case .set(let field, .text(let value)) = change, value.utf8.count >= minimumLength,
                event.kind != .create, let base = try findBase(event, field)
            else {
                changes.append(plain(change))
                continue
            }
            let (prefix, suffix, insert) = difference(from: Array(base.value.utf8), to: Array(value.utf8))
            guard insert.count + 80 < value.utf8.count else {
                changes.append(plain(change))
                continue
            }
            coded = true
            changes.append(
                .object([
                    ("set", .string(field.rawValue)),
                    (
                        "delta",
                        .object([
                            ("base", .string("\(base.dot.origin.hex):\(base.dot.seq)")),
                            ("hash", .string(base.hash.hex)),
                            ("prefix", .integer(Int64(prefix))),
                            ("suffix", .integer(Int64(suffix))),
                            ("insert", .string(String(decoding: insert, as: UTF8.self))),
                        ])
                    ),
                ]))
        }
        guard coded, case .object(let pairs) = event.canonicalObject else { return event.wireLine }
        let replaced: [(key: String, value: JSONValue)] =
            [("hash", .string(event.hash.hex))] + pairs.map { $0.key == "changes" ? ("changes", .array(changes)) : $0 }
        var line: [UInt8] = []
        JSONValue.object(replaced).write(to: &line, sortKeys: false)
        return line
    }

    /// The event JSON with every delta-coded value rebuilt from its base; other lines unchanged.
    /// Throws `malformed-event` for a delta whose base the receiver does not hold or that does
    /// not fit it, and `fork` (naming the base) when the receiver holds another event under the
    /// base's origin and seq: the two sides' histories of that origin differ.
    public static func expand(_ json: JSONValue, resolve: BaseResolver) throws -> JSONValue {
        guard case .object(let pairs) = json, let changes = json["changes"]?.arrayValue,
            changes.contains(where: { $0["delta"] != nil })
        else { return json }
        let expanded = try changes.map { change -> JSONValue in
            guard let delta = change["delta"] else { return change }
            guard let fieldName = change["set"]?.stringValue, let field = Field(rawValue: fieldName),
                let baseText = delta["base"]?.stringValue, let (prefixText, seq) = Dot.parse(baseText),
                let origin = OriginID(hex: prefixText), let hashText = delta["hash"]?.stringValue,
                let baseHash = SHA256Digest(hex: hashText), let prefix = delta["prefix"]?.integerValue,
                let suffix = delta["suffix"]?.integerValue, let insert = delta["insert"]?.stringValue
            else { throw WireProtocolError(.malformedEvent, "a delta-coded change is malformed") }
            guard let base = try resolve(Dot(origin: origin, seq: seq), field) else {
                throw WireProtocolError(
                    .malformedEvent, "a delta-coded \(fieldName) refers to event \(baseText), which is not held here")
            }
            guard base.hash == baseHash else {
                throw WireProtocolError(
                    .fork, "event \(origin.short):\(seq) differs here and on the other side (a delta was based on it)",
                    event: baseText)
            }
            let baseBytes = Array(base.value.utf8)
            guard prefix >= 0, suffix >= 0, prefix <= Int64(baseBytes.count), suffix <= Int64(baseBytes.count) - prefix
            else {
                throw WireProtocolError(.malformedEvent, "a delta-coded \(fieldName) does not fit its base \(baseText)")
            }
            let bytes = baseBytes[0..<Int(prefix)] + Array(insert.utf8) + baseBytes[(baseBytes.count - Int(suffix))...]
            guard let value = String(validating: bytes, as: UTF8.self) else {
                throw WireProtocolError(.malformedEvent, "a delta-coded \(fieldName) does not rebuild valid UTF-8")
            }
            return .object([("set", .string(fieldName)), ("value", .string(value))])
        }
        return .object(pairs.map { $0.key == "changes" ? ("changes", .array(expanded)) : $0 })
    }

    /// The common prefix and suffix of two UTF-8 texts (cut at character boundaries) and what lies
    /// between them in `new`.
    package static func difference(from base: [UInt8], to new: [UInt8]) -> (prefix: Int, suffix: Int, insert: [UInt8]) {
        let limit = min(base.count, new.count)
        var prefix = 0
        while prefix < limit, base[prefix] == new[prefix] { prefix += 1 }
        while prefix > 0, prefix < new.count, new[prefix] & 0xC0 == 0x80 { prefix -= 1 }
        var suffix = 0
        while suffix < limit - prefix, base[base.count - 1 - suffix] == new[new.count - 1 - suffix] { suffix += 1 }
        while suffix > 0, new[new.count - suffix] & 0xC0 == 0x80 { suffix -= 1 }
        return (prefix, suffix, Array(new[prefix..<(new.count - suffix)]))
    }

    private static func plain(_ change: Change) -> JSONValue {
        switch change {
        case .set(let field, let value): .object([("set", .string(field.rawValue)), ("value", JSONValue(value))])
        case .tagAdd(let tag): .object([("tagAdd", .string(tag))])
        case .tagRemove(let tag): .object([("tagRemove", .string(tag))])
        }
    }
}
