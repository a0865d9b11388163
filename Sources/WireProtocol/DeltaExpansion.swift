/*
 Rebuilding delta-coded values (protocol/SPEC.md, "Deltas" and "Limits"). A delta line is short but
 the value it rebuilds may be 4 MiB: a batch of short lines against one large base would rebuild
 gigabytes. So every rebuilt byte is counted before it is built:
   - the values one event rebuilds from deltas (prefix + insert + suffix): at most
     Event.maxValueBytes (4 MiB), else `malformed-event`;
   - a whole batch or page as rebuilt (its lines, plus the whole base value every delta reads,
     which is at least its prefix + suffix): at most the budget's limit (max_decompressed_bytes,
     64 MiB), else `too-large`.
 A base must be an event of the same article that set the same field.
*/
import ArchiveModel

/// The bytes a batch or a page may grow to once its deltas are rebuilt, counted as it is decoded.
public struct ExpansionBudget: Sendable {
    public let limit: Int
    public private(set) var used = 0

    public init(limit: Int) { self.limit = limit }

    /// Counts `bytes` more; throws `too-large` once the total passes the limit.
    public mutating func spend(_ bytes: Int) throws {
        guard bytes >= 0, bytes <= limit - used else {
            throw WireProtocolError(
                .tooLarge,
                "the batch grows past \(limit) bytes once its deltas are rebuilt; send fewer events per batch")
        }
        used += bytes
    }
}

extension ValueDelta {
    /// The event JSON with every delta-coded value rebuilt from its base; other lines unchanged.
    ///
    /// Checks each delta before building it: its base must be held (`malformed-event`), carry the
    /// delta's hash (`fork`, naming the base: the two sides' histories of that origin differ), be
    /// of the same article (`malformed-event`), and the rebuilt values of the event must fit
    /// `Event.maxValueBytes` (`malformed-event`); `budget` is charged the base value every delta
    /// reads (`too-large` past its limit).
    public static func expand(
        _ json: JSONValue, source: BaseSource, budget: inout ExpansionBudget
    ) throws -> JSONValue {
        guard case .object(let pairs) = json, let changes = json["changes"]?.arrayValue,
            changes.contains(where: { $0["delta"] != nil })
        else { return json }
        let article = json["article"]?.stringValue.flatMap(ArticleID.init(hex:))
        var rebuiltInEvent = 0
        var expanded: [JSONValue] = []
        for change in changes {
            guard let delta = change["delta"] else {
                expanded.append(change)
                continue
            }
            guard let fieldName = change["set"]?.stringValue, let field = Field(rawValue: fieldName),
                let baseText = delta["base"]?.stringValue, let (prefixText, seq) = Dot.parse(baseText),
                let origin = OriginID(hex: prefixText), let hashText = delta["hash"]?.stringValue,
                let baseHash = SHA256Digest(hex: hashText), let prefix = delta["prefix"]?.integerValue,
                let suffix = delta["suffix"]?.integerValue, let insert = delta["insert"]?.stringValue
            else { throw WireProtocolError(.malformedEvent, "a delta-coded change is malformed") }
            guard let base = try source(Dot(origin: origin, seq: seq), field) else {
                throw WireProtocolError(
                    .malformedEvent,
                    "a delta-coded \(fieldName) refers to event \(baseText), which is not held here or sets no \(fieldName)"
                )
            }
            guard base.hash == baseHash else {
                throw WireProtocolError(
                    .fork, "event \(origin.short):\(seq) differs here and on the other side (a delta was based on it)",
                    event: baseText)
            }
            if base.article != article {
                throw WireProtocolError(
                    .malformedEvent,
                    "a delta-coded \(fieldName) is based on event \(baseText), which belongs to another article")
            }
            let baseCount = base.value.utf8.count
            guard prefix >= 0, suffix >= 0, prefix <= Int64(baseCount), suffix <= Int64(baseCount) - prefix else {
                throw WireProtocolError(.malformedEvent, "a delta-coded \(fieldName) does not fit its base \(baseText)")
            }
            let length = Int(prefix) + insert.utf8.count + Int(suffix)
            rebuiltInEvent += length
            guard rebuiltInEvent <= Event.maxValueBytes else {
                throw WireProtocolError(
                    .malformedEvent,
                    "a delta-coded \(fieldName) rebuilds to \(length) bytes; an event holds at most \(Event.maxValueBytes) bytes of values"
                )
            }
            // The whole base was read to rebuild the value: charge it, so that many short deltas
            // against one large base cost what reading it costs, not what they keep of it.
            try budget.spend(baseCount)
            var bytes: [UInt8] = []
            bytes.reserveCapacity(length)
            bytes.append(contentsOf: base.value.utf8.prefix(Int(prefix)))
            bytes.append(contentsOf: insert.utf8)
            bytes.append(contentsOf: base.value.utf8.suffix(Int(suffix)))
            guard let value = String(validating: bytes, as: UTF8.self) else {
                throw WireProtocolError(.malformedEvent, "a delta-coded \(fieldName) does not rebuild valid UTF-8")
            }
            expanded.append(.object([("set", .string(fieldName)), ("value", .string(value))]))
        }
        return .object(pairs.map { $0.key == "changes" ? ("changes", .array(expanded)) : $0 })
    }
}
