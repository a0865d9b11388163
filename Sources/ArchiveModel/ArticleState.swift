/*
 The conflict rules of DESIGN.md as a pure value: an article's registers and tag set, and how
 one event changes them. The projector loads this state from its tables, applies an event and
 stores it back; `history` replays one article's events through it; the tests check the rules
 here, without SQLite.

 Register: its heads are the events that set the field and that no other event setting it
 happened after. Applying an event e that sets f removes the heads e happened after and adds e;
 since events arrive in causal order, no held event happened after e. The value is the head with
 the highest (hlc, origin), except `deleted`, which is false when any head says false.
  Tags: an add-wins set: a tag is present while one of its tagAdds has no tagRemove after it (a
 tagAdd drops the adds it happened after: presence is unchanged and the set stays small).
 An event that does not set `deleted` itself sets it to false (an edit undoes a concurrent delete).
*/

/// One head of a register: an event that set the field, with the hash of the value it set.
public struct RegisterHead: Hashable, Sendable {
    public var dot: Dot
    public var hlc: HybridTimestamp
    public var valueHash: SHA256Digest

    public init(dot: Dot, hlc: HybridTimestamp, valueHash: SHA256Digest) {
        self.dot = dot
        self.hlc = hlc
        self.valueHash = valueHash
    }

    /// The order that picks a register's value among concurrent heads: `(hlc, origin)`.
    public func wins(over other: RegisterHead) -> Bool {
        (hlc, dot.origin) > (other.hlc, other.dot.origin)
    }
}

/// A multi-value register: the heads of one field and the value they give.
public struct Register: Hashable, Sendable {
    /// Sorted by dot.
    public var heads: [RegisterHead]
    public var value: FieldValue

    public init(heads: [RegisterHead], value: FieldValue) {
        self.heads = heads.sorted { $0.dot < $1.dot }
        self.value = value
    }

    /// True when the heads hold more than one distinct value.
    public var isConflict: Bool {
        guard let first = heads.first else { return false }
        return heads.contains { $0.valueHash != first.valueHash }
    }

    /// The head whose value the register shows (for `deleted`, see `ArticleState`).
    public var winner: RegisterHead? {
        heads.max { $1.wins(over: $0) }
    }
}

/// A tag compared by its UTF-8 bytes, so that two spellings of one text are two tags everywhere.
public struct Tag: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let text: String
    public init(_ text: String) { self.text = text }
    public static func == (lhs: Tag, rhs: Tag) -> Bool { lhs.text.utf8.elementsEqual(rhs.text.utf8) }
    public func hash(into hasher: inout Hasher) { for byte in text.utf8 { hasher.combine(byte) } }
    public static func < (lhs: Tag, rhs: Tag) -> Bool { lhs.text.utf8.lexicographicallyPrecedes(rhs.text.utf8) }
    public var description: String { text }
}

/// What one event did to an article's visible state.
public struct StateChange: Sendable {
    /// Fields whose value changed, with the old and new value.
    public var values: [(field: Field, old: FieldValue, new: FieldValue)] = []
    /// Fields whose conflict state or heads changed.
    public var touchedFields: Set<Field> = []
    public var tagsAdded: [Tag] = []
    public var tagsRemoved: [Tag] = []
}

/// An article as the projection holds it: its registers and its surviving tag adds.
public struct ArticleState: Hashable, Sendable {
    public let id: ArticleID
    public var registers: [Field: Register]
    /// For each tag, the tagAdd events no tagRemove of it happened after.
    public var tagAdds: [Tag: Set<Dot>]

    public init(id: ArticleID, registers: [Field: Register] = [:], tagAdds: [Tag: Set<Dot>] = [:]) {
        self.id = id
        self.registers = registers
        self.tagAdds = tagAdds
    }

    public static let falseHash = FieldValue.flag(false).valueHash
    public static let trueHash = FieldValue.flag(true).valueHash
    private static let defaultHashes: [Field: SHA256Digest] = Dictionary(
        uniqueKeysWithValues: Field.allCases.map { ($0, $0.defaultValue.valueHash) })

    public func value(of field: Field) -> FieldValue {
        registers[field]?.value ?? field.defaultValue
    }

    public func text(_ field: Field) -> String { value(of: field).text ?? "" }
    public var capturedAt: Int64 { value(of: .capturedAt).integer ?? 0 }
    public var isDeleted: Bool { value(of: .deleted).flag ?? false }

    /// Tags present, sorted by bytes.
    public var tags: [Tag] { tagAdds.keys.sorted() }

    /// Fields in conflict, in field order.
    public var conflictedFields: [Field] {
        Field.allCases.filter { registers[$0]?.isConflict ?? false }
    }

    /// The changes `event` makes, with the implicit `deleted = false` of every event that does
    /// not set `deleted` itself.
    public static func effectiveChanges(of event: Event) -> [Change] {
        var changes = event.changes
        if event.value(of: .deleted) == nil { changes.append(.set(.deleted, .flag(false))) }
        return changes
    }

    /// Applies one event; the caller guarantees causal order and that the event is new.
    @discardableResult
    public mutating func apply(_ event: Event) -> StateChange {
        var result = StateChange()
        for change in Self.effectiveChanges(of: event) {
            switch change {
            case .set(let field, let value):
                let valueHash =
                    field == .deleted
                    ? (value.flag == false ? Self.falseHash : FieldValue.flag(true).valueHash) : value.valueHash
                var register = registers[field] ?? Register(heads: [], value: field.defaultValue)
                let old = register.value
                register.heads.removeAll { event.happened(after: $0.dot) }
                let head = RegisterHead(dot: event.dot, hlc: event.hlc, valueHash: valueHash)
                let index = register.heads.firstIndex { $0.dot > head.dot } ?? register.heads.endIndex
                register.heads.insert(head, at: index)
                if field == .deleted {
                    register.value = .flag(!register.heads.contains { $0.valueHash == Self.falseHash })
                } else if register.winner?.dot == event.dot {
                    // The old winner is either still a head with a lower (hlc, origin), or it
                    // happened before this event and so has a lower hlc: the value is this event's.
                    register.value = value
                }
                registers[field] = register
                result.touchedFields.insert(field)
                if register.value != old { result.values.append((field, old, register.value)) }
            case .tagAdd(let text):
                let tag = Tag(text)
                if tagAdds[tag] == nil { result.tagsAdded.append(tag) }
                // Adds this one happened after say nothing more: dropping them keeps the set to
                // the concurrent adds (a later remove that saw this add saw those too).
                var adds = (tagAdds[tag] ?? []).filter { !event.happened(after: $0) }
                adds.insert(event.dot)
                tagAdds[tag] = adds
            case .tagRemove(let text):
                let tag = Tag(text)
                guard var adds = tagAdds[tag] else { continue }
                adds = adds.filter { !event.happened(after: $0) }
                if adds.isEmpty {
                    tagAdds[tag] = nil
                    result.tagsRemoved.append(tag)
                } else {
                    tagAdds[tag] = adds
                }
            }
        }
        return result
    }

    /// The hash of the value `field` shows, from its heads (no need to hash the value itself):
    /// the winning head's value hash, or for `deleted` the hash of the flag the heads give.
    public func valueHash(of field: Field) -> SHA256Digest {
        guard let register = registers[field], let winner = register.winner else {
            return Self.defaultHashes[field] ?? field.defaultValue.valueHash
        }
        if field == .deleted { return register.value.flag == false ? Self.falseHash : Self.trueHash }
        return winner.valueHash
    }

    /// The canonical JSON of the article's visible state: the hash of each field's value, its
    /// tags and its conflicts.
    public var canonicalJSON: JSONValue {
        let fields: [(key: String, value: JSONValue)] = Field.allCases.map {
            ($0.rawValue, .string(valueHash(of: $0).hex))
        }
        let conflicts: [JSONValue] = conflictedFields.map { field in
            let heads: [JSONValue] = (registers[field]?.heads ?? []).map { head in
                .object([
                    ("origin", .string(head.dot.origin.hex)), ("seq", .integer(Int64(head.dot.seq))),
                    ("value", .string(head.valueHash.hex)),
                ])
            }
            return .object([("field", .string(field.rawValue)), ("heads", .array(heads))])
        }
        return .object([
            ("conflicts", .array(conflicts)), ("fields", .object(fields)), ("id", .string(id.hex)),
            ("tags", .array(tags.map { .string($0.text) })),
        ])
    }

    /// SHA-256 of `canonicalJSON`: this article's share of the archive digest.
    public var stateHash: SHA256Digest { SHA256Digest.of(canonicalJSON.canonicalBytes) }

    /// Fields whose shown value does not hash to what its heads say (a row edited behind the
    /// projector's back): how `verify` catches a changed value that the state hash cannot see.
    public var fieldsDisagreeingWithHeads: [Field] {
        Field.allCases.filter { field in
            registers[field] != nil && value(of: field).valueHash != valueHash(of: field)
        }
    }
}
