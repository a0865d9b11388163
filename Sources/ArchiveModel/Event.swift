/// One change to one article, as written by one replica: the unit of the journal and of sync.
///
/// An `Event` always carries its canonical encoding (`payload`) and `hash == SHA-256(payload)`:
/// the only ways to make one are `seal(_:)`, which computes both, and the decoders in
/// `Event+Encoding.swift`, which check them. Structural rules (`Event.validate`) hold for every
/// value of this type; rules that need the journal (gaps, chains, causal past) are checked there.
public struct Event: Hashable, Sendable, CustomStringConvertible {
    /// The fields of an event before it is encoded and hashed.
    public struct Draft: Hashable, Sendable {
        public var origin: OriginID
        public var seq: Int
        public var hlc: HybridTimestamp
        public var clock: VectorClock
        public var article: ArticleID
        public var kind: EventKind
        public var changes: [Change]
        public var prev: SHA256Digest
        /// The writing replica's name: carried on its first event and on the first after a rename.
        public var name: String?
        /// The origin's public key: carried by the first event of a signed origin, and only there.
        public var key: OriginKey?

        public init(
            origin: OriginID, seq: Int, hlc: HybridTimestamp, clock: VectorClock, article: ArticleID,
            kind: EventKind, changes: [Change], prev: SHA256Digest, name: String? = nil, key: OriginKey? = nil
        ) {
            self.origin = origin
            self.seq = seq
            self.hlc = hlc
            self.clock = clock
            self.article = article
            self.kind = kind
            self.changes = changes
            self.prev = prev
            self.name = name
            self.key = key
        }
    }

    /// The most bytes of values one event may hold: 4 MiB, a hundred times the largest article
    /// of the corpus, and small enough that any event fits a sync page.
    public static let maxValueBytes = 4 << 20

    public let draft: Draft
    /// The canonical encoding: the bytes the hash covers and the journal stores.
    public let payload: [UInt8]
    public let hash: SHA256Digest
    /// The origin's signature of `hash` (`Ed25519Signature.eventMessage`); nil for the events of
    /// an unsigned origin, made before signatures existed. Not part of the payload: checked
    /// against the origin's key by the journal, which is where that key is known.
    public let signature: Ed25519Signature?

    package init(draft: Draft, payload: [UInt8], hash: SHA256Digest, signature: Ed25519Signature?) {
        self.draft = draft
        self.payload = payload
        self.hash = hash
        self.signature = signature
    }

    /// Validates `draft`, encodes it canonically and hashes it, without a signature: the events of
    /// unsigned origins (and of tests about them).
    public static func seal(_ draft: Draft) throws -> Event {
        try validate(draft)
        let payload = canonicalPayload(of: draft)
        return Event(draft: draft, payload: payload, hash: SHA256Digest.of(payload), signature: nil)
    }

    /// Validates `draft`, encodes it canonically, hashes it and signs the hash with `key`.
    ///
    /// The first event of the origin gets `key`'s public half (`Draft.key`); later ones none.
    /// Throws `badSignature` when `key` is not the key of `draft.origin`.
    public static func seal(_ draft: Draft, signedBy key: SigningKey) throws -> Event {
        var draft = draft
        draft.key = draft.seq == 1 ? key.publicKey : nil
        guard key.origin == draft.origin else {
            throw ArchiveModelError(
                .badSignature, "the key given signs for origin \(key.origin.short), not for \(draft.origin.short)",
                context: "event \(draft.origin.short):\(draft.seq)")
        }
        try validate(draft)
        let payload = canonicalPayload(of: draft)
        let hash = SHA256Digest.of(payload)
        return Event(draft: draft, payload: payload, hash: hash, signature: key.sign(event: hash))
    }

    /// The same event with another signature (or none): how tests forge one.
    package func withSignature(_ signature: Ed25519Signature?) -> Event {
        Event(draft: draft, payload: payload, hash: hash, signature: signature)
    }

    public var origin: OriginID { draft.origin }
    public var seq: Int { draft.seq }
    public var hlc: HybridTimestamp { draft.hlc }
    public var clock: VectorClock { draft.clock }
    public var article: ArticleID { draft.article }
    public var kind: EventKind { draft.kind }
    public var changes: [Change] { draft.changes }
    public var prev: SHA256Digest { draft.prev }
    public var name: String? { draft.name }
    public var key: OriginKey? { draft.key }
    public var dot: Dot { Dot(origin: origin, seq: seq) }

    /// True when `other` happened before this event: this event's writer held it.
    public func happened(after other: Dot) -> Bool {
        if other.origin == origin { return other.seq < seq }
        return clock.covers(origin: other.origin, seq: other.seq)
    }

    /// How this event relates to `other` in the happened-before order.
    public func causality(to other: Event) -> Causality {
        if dot == other.dot { return .equal }
        if other.happened(after: dot) { return .before }
        if happened(after: other.dot) { return .after }
        return .concurrent
    }

    /// The value the event sets for `field`, if it sets one.
    public func value(of field: Field) -> FieldValue? {
        for case .set(let f, let value) in changes where f == field { return value }
        return nil
    }

    public var description: String { "\(origin.short):\(seq)" }

    public static func == (lhs: Event, rhs: Event) -> Bool { lhs.hash == rhs.hash }
    public func hash(into hasher: inout Hasher) { hasher.combine(hash) }
}

extension Event {
    /// Checks every rule an event must satisfy on its own; throws `malformedEvent` or `invalidValue`.
    public static func validate(_ draft: Draft) throws {
        let context = "\(draft.origin.short):\(draft.seq)"
        func fail(_ message: String) -> ArchiveModelError {
            ArchiveModelError(.malformedEvent, message, context: "event \(context)")
        }
        guard draft.seq >= 1 else { throw fail("seq must be 1 or more") }
        guard draft.hlc.isValid else { throw fail("the hybrid clock value is out of range") }
        guard draft.clock[draft.origin] == draft.seq - 1 else {
            throw fail(
                "its clock must hold seq - 1 (\(draft.seq - 1)) for its own origin, not \(draft.clock[draft.origin])")
        }
        if draft.seq == 1, draft.prev != .zero { throw fail("the first event of an origin must have a zero prev") }
        guard !draft.changes.isEmpty else { throw fail("an event must change something") }
        let size = draft.changes.reduce(0) { total, change in
            if case .set(_, .text(let text)) = change { return total + text.utf8.count }
            return total + 64
        }
        guard size <= Event.maxValueBytes else {
            throw fail("its values hold \(size) bytes; an event holds at most \(Event.maxValueBytes) (4 MiB)")
        }
        if let name = draft.name { try FieldRules.validateName(name) }
        if let key = draft.key {
            guard draft.seq == 1 else { throw fail("only the first event of an origin carries its key") }
            guard key.origin == draft.origin else {
                throw ArchiveModelError(
                    .badSignature,
                    "its key hashes to origin \(key.origin.hex), not to the origin it claims (\(draft.origin.hex))",
                    context: "event \(context)")
            }
        }

        var fields = Set<Field>()
        var tags = Set<[UInt8]>()
        for change in draft.changes {
            switch change {
            case .set(let field, let value):
                guard fields.insert(field).inserted else { throw fail("it sets \(field) twice") }
                do { try FieldRules.validate(value, for: field) } catch var error as ArchiveModelError {
                    error.context = "event \(context), field \(field)"
                    throw error
                }
            case .tagAdd(let tag), .tagRemove(let tag):
                try FieldRules.validateTag(tag)
                guard tags.insert(Array(tag.utf8)).inserted else { throw fail("it changes the tag \"\(tag)\" twice") }
            }
        }
        // A date line carries its capture time: an event that writes one writes that time too.
        for case .set(.dateLine, .text(let line)) in draft.changes where !line.isEmpty {
            let instant = try? DateLine.milliseconds(of: line)
            guard draft.changes.contains(where: { $0 == .set(.capturedAt, .integer(instant ?? -1)) }) else {
                throw fail("it sets a date_line without setting captured_at to its instant (\(instant ?? -1))")
            }
        }
        switch draft.kind {
        case .create:
            guard
                case .text(let url)? = draft.changes.lazy.compactMap({ change -> FieldValue? in
                    if case .set(.url, let v) = change { v } else { nil }
                }).first
            else { throw fail("a create must set the url") }
            // A capture is named by its url and path (with an attempt number when a capture that
            // moved away holds that name); records made before captures, by the url alone.
            let path = draft.changes.lazy.compactMap { change -> String? in
                if case .set(.path, .text(let path)) = change { path } else { nil }
            }.first
            let named =
                ArticleID(url: url) == draft.article
                || path.map { path in
                    (1...ArticleID.maxCaptureAttempts).contains {
                        ArticleID(captureOf: url, at: path, attempt: $0) == draft.article
                    }
                } ?? false
            guard named else {
                throw fail(
                    "article id \(draft.article) is neither the id of its url (\(ArticleID(url: url))) nor that of a"
                        + " capture of it at its path (\(ArticleID(captureOf: url, at: path ?? "")))")
            }
        case .delete:
            guard draft.changes.contains(.set(.deleted, .flag(true))) else {
                throw fail("a delete must set deleted to true")
            }
        case .restore:
            guard draft.changes.contains(.set(.deleted, .flag(false))) else {
                throw fail("a restore must set deleted to false")
            }
        case .update, .resolve:
            break
        }
    }
}
