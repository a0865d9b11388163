/// An article field that events write as a register (everything but `tags`).
///
/// `rawValue` is the name used in events, on the command line and in JSON output. The position of
/// a case in `allCases` is stored on disk (the projection's register heads), so a new case goes
/// last in the declaration; `<` gives the order of changes in events instead.
public enum Field: String, CaseIterable, Hashable, Comparable, Sendable, CustomStringConvertible {
    case url
    case title
    case body
    case frontMatter = "front_matter"
    case capturedAt = "captured_at"
    case path
    case note
    case deleted
    /// The whole "日期：" line of a file in the date-line form; empty for the `<!--ms-->` form.
    case dateLine = "date_line"

    public enum ValueKind: Sendable { case text, integer, flag }

    /// The type of value the field holds.
    public var valueKind: ValueKind {
        switch self {
        case .capturedAt: .integer
        case .deleted: .flag
        default: .text
        }
    }

    /// The value of a field no event has set yet.
    public var defaultValue: FieldValue {
        switch valueKind {
        case .text: .text("")
        case .integer: .integer(0)
        case .flag: .flag(false)
        }
    }

    public var description: String { rawValue }

    /// Fields in a fixed order: the order of changes in events this project writes.
    public static func < (lhs: Field, rhs: Field) -> Bool {
        lhs.order < rhs.order
    }

    private var order: Int {
        switch self {
        case .url: 0
        case .title: 1
        case .body: 2
        case .frontMatter: 3
        case .capturedAt: 4
        case .dateLine: 5
        case .path: 6
        case .note: 7
        case .deleted: 8
        }
    }
}

/// The value of one field: text, an integer (milliseconds) or a flag.
///
/// Text compares by its UTF-8 bytes, not by Swift's canonical equivalence, so that a change of
/// Unicode normalisation in a body is a change.
public enum FieldValue: Hashable, Sendable, CustomStringConvertible {
    case text(String)
    case integer(Int64)
    case flag(Bool)

    public var kind: Field.ValueKind {
        switch self {
        case .text: .text
        case .integer: .integer
        case .flag: .flag
        }
    }

    public var text: String? { if case .text(let value) = self { value } else { nil } }
    public var integer: Int64? { if case .integer(let value) = self { value } else { nil } }
    public var flag: Bool? { if case .flag(let value) = self { value } else { nil } }

    public static func == (lhs: FieldValue, rhs: FieldValue) -> Bool {
        switch (lhs, rhs) {
        case (.text(let a), .text(let b)): a.utf8.elementsEqual(b.utf8)
        case (.integer(let a), .integer(let b)): a == b
        case (.flag(let a), .flag(let b)): a == b
        default: false
        }
    }

    public func hash(into hasher: inout Hasher) {
        switch self {
        case .text(let value): hasher.combine(0); for byte in value.utf8 { hasher.combine(byte) }
        case .integer(let value): hasher.combine(1); hasher.combine(value)
        case .flag(let value): hasher.combine(2); hasher.combine(value)
        }
    }

    /// The value's canonical JSON bytes: what `valueHash` hashes.
    public var canonicalJSON: [UInt8] { JSONValue(self).canonicalBytes }

    /// SHA-256 of the canonical JSON of the value: how the projection compares register heads
    /// without keeping their (possibly large) values.
    public var valueHash: SHA256Digest { SHA256Digest.of(canonicalJSON) }

    public var description: String {
        switch self {
        case .text(let value): value
        case .integer(let value): String(value)
        case .flag(let value): String(value)
        }
    }
}

extension JSONValue {
    /// The JSON form of a field value: a string, an integer or a boolean.
    public init(_ value: FieldValue) {
        switch value {
        case .text(let text): self = .string(text)
        case .integer(let number): self = .integer(number)
        case .flag(let flag): self = .bool(flag)
        }
    }
}
