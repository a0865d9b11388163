import ArchiveModel
import ArticleProjector
import EventJournal
import GRDB

/// What a peer is told of this replica: who it is, what it holds, and the digest of its articles,
/// read in one snapshot. `/v1/info` sends it whole; a pull page's trailer sends it as of the end
/// of the page.
package struct SyncSnapshot: Sendable, Equatable {
    package var origin: OriginID
    package var name: String
    /// The last sequence number held of every origin.
    package var knowledge: VectorClock
    /// The hash of the last event held of every origin.
    package var heads: [OriginID: SHA256Digest]
    /// How many events the journal holds.
    package var events: Int
    package var digest: SHA256Digest
}

/// The event of `dot` as a base a delta-coded value received is rebuilt from: its article, its
/// hash and the text it set for `field`; nil when the event is not held or set no text there.
package typealias HeldValue = (_ dot: Dot, _ field: Field) throws -> (
    article: ArticleID, hash: SHA256Digest, value: String
)?

/// A base to delta-code `event`'s value of `field` against: the latest other event of its
/// article, covered by what the peer knew when it asked, that set a text there.
package typealias DeltaBase = (_ event: Event, _ field: Field) throws -> (
    dot: Dot, hash: SHA256Digest, value: String
)?

extension Replica {
    /// This replica as peers see it, read in one snapshot.
    ///
    /// ```swift
    /// let snapshot = try await replica.syncSnapshot()
    /// print(snapshot.knowledge, snapshot.digest.hex)
    /// ```
    /// Throws what reading the file throws (`DatabaseError`), or `ReplicaError(.notAReplica)`
    /// when the file has no identity.
    package func syncSnapshot() async throws -> SyncSnapshot {
        let (journal, projector, path) = (self.journal, self.projector, self.path)
        return try await pool.read { db in try Self.snapshot(journal: journal, projector: projector, path: path, db) }
    }

    /// What this replica holds and the digest of its articles, read in one snapshot: what a push
    /// is answered with once applied.
    ///
    /// Throws what reading the file throws.
    package func knowledgeAndDigest() async throws -> (knowledge: VectorClock, digest: SHA256Digest) {
        let (journal, projector) = (self.journal, self.projector)
        return try await pool.read { db in (try journal.knowledge(db), try projector.digest(db)) }
    }

    private static func snapshot(
        journal: EventJournal, projector: ArticleProjector, path: String, _ db: Database
    ) throws -> SyncSnapshot {
        let identity = try identity(db, path: path)
        let heads = try journal.heads(db)
        return SyncSnapshot(
            origin: identity.origin, name: identity.name, knowledge: VectorClock(heads.mapValues(\.seq)),
            heads: heads.mapValues(\.hash), events: heads.values.reduce(0) { $0 + Int($1.seq) },
            digest: try projector.digest(db))
    }

    /// One step of a pull: the events a replica knowing `vector` lacks, in causal order, at most
    /// `limit` of them and `maxBytes` of payload (always at least one when any is missing), handed
    /// to `encode` inside the same read snapshot together with a finder of delta bases that a
    /// replica knowing `basesCoveredBy` holds (nil: no deltas). Returns the events and what
    /// `encode` made of them.
    ///
    /// Throws what `encode` throws, or what reading the file throws.
    package func pullStep<T: Sendable>(
        missingFrom vector: VectorClock, limit: Int, maxBytes: Int, basesCoveredBy known: VectorClock?,
        encode: @escaping @Sendable ([Event], DeltaBase?) throws -> T
    ) async throws -> (events: [Event], encoded: T) {
        let journal = self.journal
        return try await pool.read { db in
            let events = try journal.events(missingFrom: vector, limit: limit, maxBytes: maxBytes, db).map(\.event)
            guard let known else { return (events, try encode(events, nil)) }
            return (events, try encode(events, Self.deltaBase(journal, coveredBy: known, db)))
        }
    }

    /// `decodingDeltas(_:)` for async callers (the server, rebuilding a pushed batch's delta-coded
    /// values before applying it): the read runs on GRDB's own threads.
    package func decodingDeltas<T: Sendable>(
        _ decode: @escaping @Sendable (@escaping HeldValue) throws -> T
    ) async throws -> T {
        let journal = self.journal
        return try await pool.read { db in try decode(Self.heldValue(journal, db)) }
    }
}

extension Replica {
    /// What this replica holds now (its knowledge vector): what a waiting pull compares with.
    /// Reads one row per origin, whatever the journal's size.
    ///
    /// Throws what reading the file throws.
    package func knowledgeNow() async throws -> VectorClock {
        let journal = self.journal
        return try await pool.read { db in try journal.knowledge(db) }
    }
}
