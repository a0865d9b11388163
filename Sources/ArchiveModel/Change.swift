/// One field write inside an event.
///
/// Registers are written with `set`; the tag set with `tagAdd` / `tagRemove` (an add-wins set).
public enum Change: Hashable, Sendable {
    case set(Field, FieldValue)
    case tagAdd(String)
    case tagRemove(String)

    /// The register this change writes, if it writes one.
    public var field: Field? {
        if case .set(let field, _) = self { field } else { nil }
    }

    /// The tag this change adds or removes, if it is a tag change.
    public var tag: String? {
        switch self {
        case .set: nil
        case .tagAdd(let tag), .tagRemove(let tag): tag
        }
    }
}

/// What an event does, for people reading the history. The projection looks only at `changes`.
public enum EventKind: String, CaseIterable, Hashable, Sendable, CustomStringConvertible {
    case create, update, delete, restore, resolve
    public var description: String { rawValue }
}

/// The identity of one event: its origin and its sequence number there.
public struct Dot: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let origin: OriginID
    public let seq: Int

    public init(origin: OriginID, seq: Int) {
        self.origin = origin
        self.seq = seq
    }

    /// Parses `ORIGIN:SEQ`, where ORIGIN may be a prefix the caller resolves later.
    public static func parse(_ text: String) -> (originPrefix: String, seq: Int)? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, let seq = Int(parts[1]), seq > 0 else { return nil }
        return (String(parts[0]), seq)
    }

    public var description: String { "\(origin.hex):\(seq)" }
    public static func < (lhs: Dot, rhs: Dot) -> Bool { (lhs.origin, lhs.seq) < (rhs.origin, rhs.seq) }
}
