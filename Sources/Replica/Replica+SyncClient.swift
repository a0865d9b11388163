import ArchiveModel
import ArticleProjector
import EventJournal
import GRDB

/// What the sync client reads of a replica besides its events and knowledge: hashes to compare
/// with a server's, and the earlier values long values are delta-coded against on the wire.
extension Replica {
    /// For every origin of which this replica holds the event that `vector` names last, that
    /// event's hash here: what a sync compares with the hashes that end the server's chains.
    ///
    /// Origins of which this replica holds fewer events than `vector` are left out. Runs in one
    /// read transaction; throws the database's error when the file cannot be read.
    package func hashes(ofEventsEnding vector: VectorClock) throws -> [OriginID: SHA256Digest] {
        try pool.read { db in
            let local = try journal.knowledge(db)
            var hashes: [OriginID: SHA256Digest] = [:]
            for (origin, seq) in vector.sortedEntries where local[origin] >= seq {
                hashes[origin] = try journal.hash(of: Dot(origin: origin, seq: seq), db)
            }
            return hashes
        }
    }

    /// The hash of event `dot` here; nil when this replica does not hold it.
    ///
    /// Runs in one read transaction; throws the database's error when the file cannot be read.
    package func hash(of dot: Dot) throws -> SHA256Digest? {
        try pool.read { db in try journal.hash(of: dot, db) }
    }

    /// The titles of the captures (journal records) `ids` this replica holds; those it does not
    /// hold are left out. For saying what a sync would exchange.
    ///
    /// Runs in one read transaction; throws the database's error when the file cannot be read.
    package func titles(ofCaptures ids: [ArticleID]) throws -> [ArticleID: String] {
        try pool.read { db in
            var titles: [ArticleID: String] = [:]
            for id in ids { titles[id] = try projector.title(ofCapture: id, db) }
            return titles
        }
    }

    /// Runs `decode` with `valueSetBy`, which gives the article and hash of an event held here
    /// and the value it set for a field (nil when the event is not held or set none): the bases
    /// the delta-coded values of a pulled page are rebuilt from.
    ///
    /// `decode` runs in one read transaction, so every lookup sees the same snapshot; it must not
    /// write. Throws what `decode` or a lookup throws (the database's error when the file cannot
    /// be read).
    package func decodingDeltas<T>(_ decode: (_ valueSetBy: HeldValue) throws -> T) throws -> T {
        try pool.read { db in try decode(Self.heldValue(journal, db)) }
    }

    /// Runs `encode` with `baseFor`, which gives for an event that sets a field the latest earlier
    /// value of it a replica knowing `vector` holds (see `EventJournal.base(for:field:coveredBy:_:)`):
    /// the bases the long values of a pushed batch are delta-coded against.
    ///
    /// `encode` runs in one read transaction, so every lookup sees the same snapshot; it must not
    /// write. Throws what `encode` or a lookup throws (the database's error when the file cannot
    /// be read).
    package func encodingDeltas<T>(
        coveredBy vector: VectorClock, _ encode: (_ baseFor: DeltaBase) throws -> T
    ) throws
        -> T
    {
        try pool.read { db in try encode(Self.deltaBase(journal, coveredBy: vector, db)) }
    }

    /// The lookup of `decodingDeltas`, inside the transaction of `db`.
    static func heldValue(_ journal: EventJournal, _ db: Database) -> HeldValue {
        { dot, field in try journal.value(setBy: dot, field: field, db) }
    }

    /// The lookup of `encodingDeltas`, inside the transaction of `db`.
    static func deltaBase(_ journal: EventJournal, coveredBy vector: VectorClock, _ db: Database) -> DeltaBase {
        { event, field in try journal.base(for: event, field: field, coveredBy: vector, db) }
    }
}
