import ArchiveModel
import Foundation
import GRDB

/// The replica's append-only event log in its SQLite file.
///
/// The journal keeps these invariants (numbered as the code and protocol/ cite them):
///
/// 1. **Append-only.** A stored event is never changed or removed: the schema's triggers abort
///    any UPDATE or DELETE of the `journal` table, whoever runs it.
/// 2. **One hash chain per origin, without gaps.** Event `(origin, n)` is stored only after
///    `(origin, n - 1)`, and its `prev` is that event's hash (zeros for `n == 1`). `append`
///    checks it, and a trigger checks it again for any other writer.
/// 3. **Causal closure.** An event is stored only when every event its `clock` names is held, and
///    its hybrid clock is after theirs and after its origin's previous event. So `position`, the
///    order of insertion, is always a causal order.
/// 4. **Idempotent append.** An event already held (same origin, seq and hash) changes nothing;
///    the same origin and seq with another hash is a fork, refused.
/// 5. **Signed origins.** The first event of a signed origin carries the origin's public key,
///    which must name the origin (`OriginKey.origin`); it is kept in `journal_origin_key`, and
///    every event of that origin must carry a signature of its hash by that key. An origin whose
///    first event carries no key is unsigned history (made before signatures existed): its events
///    carry no signature, and a caller may refuse them (`UnsignedEvents.refuse`).
///
/// `journal_head` holds the last event of each origin, kept by a trigger on every insert: it is
/// the knowledge vector (`knowledge(_:)`) and the chain heads (`heads(_:)`), read without
/// scanning the journal. `verify(_:limit:)` checks invariants 1 to 3 and `journal_head` on a
/// stored file.
///
/// ## Transactions
///
/// `EventJournal` holds no connection and no state: every method takes the `Database` of a GRDB
/// read or write that the caller opened, and the caller owns the transaction. That is how a batch
/// of events and its projection commit together or not at all (invariant 5): append each event,
/// apply the appended ones to the `ArticleProjector` in the same write, and let the write commit.
///
/// ```swift
/// try dbPool.write { db in
///     var projection = try projector.batch(db)
///     for event in events {
///         if case .appended = try journal.append(event, db) {
///             try projection.apply(event, db)
///         }
///     }
///     try projection.finish(db)
/// }   // a throw anywhere rolls back the journal and the projection together
/// ```
///
/// Methods throw `EventJournalError` for an event they refuse or a row they cannot read (the
/// exceptions say so), and let GRDB's `DatabaseError` through for SQLite failures.
package struct EventJournal: Sendable {
    package init() {}

    /// The last event held of one origin.
    package struct Head: Sendable, Equatable {
        package var seq: Int
        package var hash: SHA256Digest
        package var hlc: HybridTimestamp
        package var position: Int64
    }

    /// An event with its place in this journal.
    package struct StoredEvent: Sendable {
        package var position: Int64
        package var event: Event
    }

    /// Whether `append` takes events of unsigned origins (protocol/SPEC.md, "Signed origins").
    package enum UnsignedEvents: Sendable, Equatable {
        /// Accept them, as history written before signatures existed.
        case accept
        /// Refuse them with `unsigned-event`.
        case refuse
    }

    /// What `append` did.
    package enum AppendOutcome: Sendable, Equatable {
        case appended(position: Int64)
        /// The same event (same origin, seq and hash) is already held: nothing changed.
        case alreadyHeld
    }

    // MARK: Knowledge

    /// The knowledge vector: for each origin, the highest seq held (all of `1...seq` are held).
    ///
    /// Read from `journal_head`, one row per origin, so it costs nothing whatever the journal's
    /// size. Origins that are not 32 lowercase hex digits are skipped (`verify` reports them).
    ///
    /// - Parameter db: A connection in a transaction the caller owns (a read is enough).
    /// - Throws: GRDB's `DatabaseError` when SQLite fails.
    package func knowledge(_ db: Database) throws -> VectorClock {
        var clock = VectorClock()
        let rows = try Row.fetchCursor(db.cachedStatement(sql: "SELECT origin, seq FROM journal_head"))
        while let row = try rows.next() {
            if let origin = OriginID(hex: row[0]) { clock[origin] = row[1] }
        }
        return clock
    }

    /// The last event held of every origin: the knowledge vector with the hashes that end each
    /// chain (sync compares them to find forks the vectors alone cannot show).
    ///
    /// - Throws: `EventJournalError.Code.corruptRow` when a stored hash is not 32 bytes;
    ///   GRDB's `DatabaseError` when SQLite fails.
    package func heads(_ db: Database) throws -> [OriginID: Head] {
        var heads: [OriginID: Head] = [:]
        for row in try Row.fetchAll(
            db.cachedStatement(sql: "SELECT origin, seq, hash, hlc, position FROM journal_head"))
        {
            guard let origin = OriginID(hex: row[0]) else { continue }
            heads[origin] = Head(
                seq: row[1], hash: try digest(row[2]), hlc: HybridTimestamp(packed: row[3]), position: row[4])
        }
        return heads
    }

    /// The last event held of `origin`, or nil when none is held.
    ///
    /// - Throws: `EventJournalError.Code.corruptRow` when its stored hash is not 32 bytes;
    ///   GRDB's `DatabaseError` when SQLite fails.
    package func head(of origin: OriginID, _ db: Database) throws -> Head? {
        guard
            let row = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT seq, hash, hlc, position FROM journal_head WHERE origin = ?"),
                arguments: [origin.hex])
        else { return nil }
        return Head(seq: row[0], hash: try digest(row[1]), hlc: HybridTimestamp(packed: row[2]), position: row[3])
    }

    /// The highest hybrid clock value of any event held, `.zero` for an empty journal.
    ///
    /// Each origin's last event has its origin's highest hlc (hlcs grow along a chain), so this
    /// reads only `journal_head`.
    package func latestHLC(_ db: Database) throws -> HybridTimestamp {
        let packed = try Int64.fetchOne(db.cachedStatement(sql: "SELECT max(hlc) FROM journal_head")) ?? 0
        return HybridTimestamp(packed: packed)
    }

    /// The number of events held: the sum of the knowledge vector, since chains have no gaps.
    package func count(_ db: Database) throws -> Int {
        try Int.fetchOne(db.cachedStatement(sql: "SELECT coalesce(sum(seq), 0) FROM journal_head")) ?? 0
    }

    /// The names replicas gave themselves, as carried by their events: for each origin, the name of
    /// the last of its events appended here that carried one.
    package func replicaNames(_ db: Database) throws -> [OriginID: String] {
        var names: [OriginID: String] = [:]
        for row in try Row.fetchAll(db.cachedStatement(sql: "SELECT origin, name FROM journal_origin_name")) {
            if let origin = OriginID(hex: row[0]) { names[origin] = row[1] }
        }
        return names
    }

    // MARK: Appending

    /// Appends one event after checking it against what is held.
    ///
    /// Returns `.alreadyHeld` for an event already held (idempotent apply), else
    /// `.appended(position:)` with the event's place in the journal. The event's hash is taken as
    /// it is (ArchiveModel checks it when an `Event` is sealed or decoded from a peer). The
    /// projection is not touched: apply an appended event to the `ArticleProjector` in the same
    /// transaction (see the example on `EventJournal`).
    ///
    /// An event is never refused for being dated ahead of this replica's clock, only for a date
    /// no clock can give (`.clockAhead`, past the year 3000; protocol/CLOCKS.md).
    ///
    /// ```swift
    /// switch try journal.append(event, db) {
    /// case .appended: try projection.apply(event, db)
    /// case .alreadyHeld: break   // received twice: nothing to do
    /// }
    /// ```
    ///
    /// - Parameters:
    ///   - event: A sealed event, of this replica or received from a peer.
    ///   - db: A connection in a write transaction the caller owns; the caller commits or rolls
    ///     back, and a refusal thrown here leaves the transaction as it was.
    /// - Throws: `EventJournalError`, writing nothing, with the event's dot and one code per
    ///   refusal: `.fork` for the same origin and seq with another hash, `.gap` when events of
    ///   its origin are missing before it, `.brokenChain` when `prev` is not the hash of its
    ///   origin's previous event, `.missingCausalPast` when its clock names events not held,
    ///   `.clockNotAfterPast` when its hlc is not after theirs or after its origin's previous
    ///   event, `.clockAhead` as above; `.corruptRow` when a stored hash cannot be read. GRDB's
    ///   `DatabaseError` when SQLite fails (for example a guard trigger that aborts the insert).
    ///   `.badSignature` when the event of a signed origin has no signature, or one that is not
    ///   its origin key's signature of its hash, or an unsigned origin's event carries one;
    ///   `.unsigned` for an unsigned origin's event when `unsigned` is `.refuse`.
    ///
    /// - Parameters:
    ///   - unsigned: Whether events of unsigned origins are taken.
    ///   - signatureChecked: True when the caller has just made the signature with the origin's
    ///     key (this replica's own events), or checked it against `key(of:_:)`: it is not checked
    ///     again.
    package func append(
        _ event: Event, _ db: Database, unsigned: UnsignedEvents = .accept, signatureChecked: Bool = false
    ) throws -> AppendOutcome {
        let head = try head(of: event.origin, db)
        let heldSeq = head?.seq ?? 0
        let label = "event \(event.origin.short):\(event.seq)"
        if event.seq <= heldSeq {
            let held = try hash(of: event.dot, db)
            if held == event.hash {
                // The same event again: its signature, if it differs from the one held, must
                // still be the origin's (nothing is applied either way).
                if !signatureChecked, try storedSignature(of: event.dot, db) != event.signature {
                    try checkSignature(event, key: try key(of: event.origin, db), unsigned: unsigned, label: label)
                }
                return .alreadyHeld
            }
            throw EventJournalError(
                .fork,
                "\(label) is a fork: this replica already holds a different event \(event.origin.short):\(event.seq)"
                    + " (hash \(held?.hex.prefix(12) ?? "?") instead of \(event.hash.hex.prefix(12)))",
                event: event.dot)
        }
        if event.seq != heldSeq + 1 {
            throw EventJournalError(
                .gap, "\(label) leaves a gap: events \(heldSeq + 1)...\(event.seq - 1) of its origin are missing",
                event: event.dot)
        }
        if event.prev != (head?.hash ?? .zero) {
            throw EventJournalError(
                .brokenChain,
                "\(label) breaks its origin's hash chain: its prev is not the hash of event \(event.seq - 1)",
                event: event.dot)
        }
        // The first event's key names its origin (checked when the event was sealed or decoded);
        // later events are checked against the key their origin's first event brought.
        if !signatureChecked {
            let key = event.seq == 1 ? event.key : try self.key(of: event.origin, db)
            try checkSignature(event, key: key, unsigned: unsigned, label: label)
        }
        var latestPast = head?.hlc ?? .zero
        for (origin, seq) in event.clock.sortedEntries where origin != event.origin {
            guard let other = try self.head(of: origin, db), other.seq >= seq else {
                throw EventJournalError(
                    .missingCausalPast,
                    "\(label) depends on event \(origin.short):\(seq), which this replica does not hold",
                    event: event.dot)
            }
            let pastHLC = other.seq == seq ? other.hlc : try hlc(of: Dot(origin: origin, seq: seq), db)
            if let pastHLC, event.hlc <= pastHLC {
                throw EventJournalError(
                    .clockNotAfterPast,
                    "\(label) has a hybrid clock not after that of \(origin.short):\(seq), which it follows",
                    event: event.dot)
            }
            if let pastHLC { latestPast = max(latestPast, pastHLC) }
        }
        // Past the horizon, a date may only be the counter rolling on from the causal past: one
        // event dated at the end of time would otherwise leave no dates for anything after it.
        if event.hlc.milliseconds > HybridTimestamp.horizonMilliseconds,
            event.hlc.milliseconds > latestPast.milliseconds + 1
        {
            throw EventJournalError(
                .clockAhead,
                "\(label) is dated after the year 3000 (\(event.hlc.milliseconds) ms); no clock is that far ahead",
                event: event.dot)
        }
        if let head, event.hlc <= head.hlc {
            throw EventJournalError(
                .clockNotAfterPast, "\(label) has a hybrid clock not after that of its origin's previous event",
                event: event.dot)
        }
        try db.cachedStatement(
            sql: """
                INSERT INTO journal (origin, seq, hlc, article, kind, prev, hash, payload, signature)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
        ).execute(arguments: [
            event.origin.hex, event.seq, event.hlc.packed, event.article.hex, event.kind.rawValue,
            Data(event.prev.bytes), Data(event.hash.bytes), Data(event.payload), event.signature.map { Data($0.bytes) },
        ])
        if event.seq == 1, let key = event.key {
            try db.cachedStatement(sql: "INSERT INTO journal_origin_key (origin, key) VALUES (?, ?)")
                .execute(arguments: [event.origin.hex, Data(key.bytes)])
        }
        if let name = event.name {
            try db.cachedStatement(
                sql: """
                    INSERT INTO journal_origin_name (origin, name) VALUES (?, ?)
                    ON CONFLICT (origin) DO UPDATE SET name = excluded.name
                    """
            ).execute(arguments: [event.origin.hex, name])
        }
        return .appended(position: db.lastInsertedRowID)
    }

    // MARK: Reading

    /// The hash of the event `dot`, if held.
    ///
    /// - Throws: `EventJournalError.Code.corruptRow` when the stored hash is not 32 bytes.
    package func hash(of dot: Dot, _ db: Database) throws -> SHA256Digest? {
        guard
            let blob = try Data.fetchOne(
                db.cachedStatement(sql: "SELECT hash FROM journal WHERE origin = ? AND seq = ?"),
                arguments: [dot.origin.hex, dot.seq])
        else { return nil }
        return try digest(blob)
    }

    private func hlc(of dot: Dot, _ db: Database) throws -> HybridTimestamp? {
        try Int64.fetchOne(
            db.cachedStatement(sql: "SELECT hlc FROM journal WHERE origin = ? AND seq = ?"),
            arguments: [dot.origin.hex, dot.seq]
        ).map(HybridTimestamp.init(packed:))
    }

    /// The event `dot`, if held, with its position.
    ///
    /// Stored events are decoded without recomputing their hash (they were checked when
    /// appended; `verify` rechecks them).
    ///
    /// - Throws: `EventJournalError.Code.corruptRow` when the row does not decode.
    package func event(_ dot: Dot, _ db: Database) throws -> StoredEvent? {
        try fetch(
            db, sql: "SELECT position, payload, hash, signature FROM journal WHERE origin = ? AND seq = ?",
            arguments: [dot.origin.hex, dot.seq]
        ).first
    }

    /// Every event of one article (one capture), in journal order, all in memory.
    ///
    /// For an article with many large events prefer `forEachEvent(ofArticle:_:_:)`.
    ///
    /// - Throws: `EventJournalError.Code.corruptRow` when a row does not decode.
    package func events(ofArticle article: ArticleID, _ db: Database) throws -> [StoredEvent] {
        try fetch(
            db, sql: "SELECT position, payload, hash, signature FROM journal WHERE article = ? ORDER BY position",
            arguments: [article.hex])
    }

    /// How many events of one article the journal holds (the caller owns the transaction).
    package func eventCount(ofArticle article: ArticleID, _ db: Database) throws -> Int {
        try Int.fetchOne(
            db.cachedStatement(sql: "SELECT count(*) FROM journal WHERE article = ?"), arguments: [article.hex]) ?? 0
    }

    /// Up to `limit` events after `position`, in journal order: how rebuild, verify and `log`
    /// walk the whole journal in bounded memory.
    package func events(after position: Int64, limit: Int, _ db: Database) throws -> [StoredEvent] {
        try fetch(
            db,
            sql: "SELECT position, payload, hash, signature FROM journal WHERE position > ? ORDER BY position LIMIT ?",
            arguments: [position, limit])
    }

    /// Up to `limit` events before `position`, newest first (`log` reads backwards this way).
    package func events(before position: Int64, limit: Int, _ db: Database) throws -> [StoredEvent] {
        try fetch(
            db,
            sql:
                "SELECT position, payload, hash, signature FROM journal WHERE position < ? ORDER BY position DESC LIMIT ?",
            arguments: [position, limit])
    }

    /// Calls `body` with every event in journal order, reading `batchSize` rows at a time.
    ///
    /// Journal order is a causal order, so replaying it rebuilds the projection:
    ///
    /// ```swift
    /// var projection = try projector.batch(db)
    /// try journal.forEachEvent(db) { stored in try projection.apply(stored.event, db) }
    /// try projection.finish(db)
    /// ```
    ///
    /// - Throws: `EventJournalError.Code.corruptRow` when a row does not decode, or what `body`
    ///   throws (the walk stops there).
    package func forEachEvent(
        batchSize: Int = 1000, _ db: Database, _ body: (StoredEvent) throws -> Void
    ) throws {
        var position: Int64 = 0
        while true {
            let batch = try events(after: position, limit: batchSize, db)
            for stored in batch { try body(stored) }
            guard let last = batch.last, batch.count == batchSize else { return }
            position = last.position
        }
    }

    /// Calls `body` with each event of `article`, in journal order, one at a time: for walks that
    /// keep a little of each event (an article may hold thousands of large events).
    package func forEachEvent(
        ofArticle article: ArticleID, _ db: Database, _ body: (StoredEvent) throws -> Void
    )
        throws
    {
        try walk(
            db, sql: "SELECT position, payload, hash, signature FROM journal WHERE article = ? ORDER BY position",
            arguments: [article.hex], body)
    }

    private func fetch(_ db: Database, sql: String, arguments: StatementArguments) throws -> [StoredEvent] {
        var result: [StoredEvent] = []
        try walk(db, sql: sql, arguments: arguments) { result.append($0) }
        return result
    }

    private func walk(
        _ db: Database, sql: String, arguments: StatementArguments, _ body: (StoredEvent) throws -> Void
    ) throws {
        let rows = try Row.fetchCursor(db.cachedStatement(sql: sql), arguments: arguments)
        while let row = try rows.next() {
            let position: Int64 = row[0]
            let payload: Data = row[1]
            let event: Event
            do {
                event = try Event(
                    payload: Array(payload), hash: try digest(row[2]),
                    signature: try signature(row[3], position: position),
                    verify: false)
            } catch {
                throw EventJournalError(
                    .corruptRow, "journal row \(position) does not hold a readable event: \(error)", underlying: error)
            }
            try body(StoredEvent(position: position, event: event))
        }
    }

    private func digest(_ data: Data) throws -> SHA256Digest {
        guard let digest = SHA256Digest(bytes: Array(data)) else {
            throw EventJournalError(.corruptRow, "a stored hash is not 32 bytes long")
        }
        return digest
    }
}
