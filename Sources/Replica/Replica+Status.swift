import ArchiveModel
import ArticleProjector
import EventJournal
import GRDB

/// What `status` shows, read from one snapshot.
public struct ReplicaStatus: Sendable {
    public var identity: Replica.Identity
    public var knowledge: VectorClock
    /// The names replicas gave themselves, as carried by their events.
    public var names: [OriginID: String]
    public var events: Int
    public var counts: ArticleProjector.Counts
    public var digest: SHA256Digest
    /// The highest hybrid time of any event held: a clock behind it is reported.
    public var latestHLC: HybridTimestamp
}

extension Replica {
    /// Who this replica is, what it holds and how many articles, read in one snapshot.
    ///
    /// Throws what reading the file throws.
    public func status() throws -> ReplicaStatus {
        try read { db in
            ReplicaStatus(
                identity: try Self.identity(db, path: path), knowledge: try journal.knowledge(db),
                names: try journal.replicaNames(db), events: try journal.count(db), counts: try projector.counts(db),
                digest: try projector.digest(db), latestHLC: try journal.latestHLC(db))
        }
    }

    /// The names replicas gave themselves, as carried by their events (for showing an origin).
    public func replicaNames() throws -> [OriginID: String] {
        try read { db in try journal.replicaNames(db) }
    }

    /// The articles, one line each (the newest live capture of each), in `order`; with
    /// `includeDeleted` deleted ones too, with `onlyDeleted` only those; with `tag`, only articles
    /// carrying it; at most `limit` (all when nil).
    ///
    /// Throws what reading the file throws.
    public func list(
        includeDeleted: Bool = false, onlyDeleted: Bool = false, tag: String? = nil, order: ArticleOrder = .captured,
        limit: Int? = nil
    ) throws -> [ArticleSummary] {
        try read { db in
            try projector.list(
                includeDeleted: includeDeleted, onlyDeleted: onlyDeleted, tag: tag, order: order, limit: limit, db)
        }
    }

    /// The articles whose title or body holds every word of `query`, best match first, each
    /// article once; at most `limit`. An empty query finds nothing.
    ///
    /// Throws what reading the file throws.
    public func search(_ query: String, includeDeleted: Bool = false, limit: Int) throws -> [ArticleSummary] {
        try read { db in try projector.search(query, includeDeleted: includeDeleted, limit: limit, db) }
    }
}
