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
    /// Returns event `dot` of the receiver's journal as a base for `field`: its article, its hash
    /// and the text it set for `field`; nil when the event is not held or set no text there.
    public typealias BaseSource = (_ dot: Dot, _ field: Field) throws -> Base?

    /// An earlier value a delta is rebuilt from.
    public struct Base: Sendable {
        /// The article of the event that set it: a delta must be based on its own article.
        public var article: ArticleID
        public var hash: SHA256Digest
        public var value: String

        public init(article: ArticleID, hash: SHA256Digest, value: String) {
            self.article = article
            self.hash = hash
            self.value = value
        }
    }

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
            event.wireHeader + pairs.map { $0.key == "changes" ? ("changes", .array(changes)) : $0 }
        var line: [UInt8] = []
        JSONValue.object(replaced).write(to: &line, sortKeys: false)
        return line
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
