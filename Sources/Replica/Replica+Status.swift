import ArchiveModel
import ArticleProjector
import EventJournal
import GRDB

/// What `status` shows, read from one snapshot.
package struct ReplicaStatus: Sendable {
    package var identity: Replica.Identity
    package var knowledge: VectorClock
    /// The names replicas gave themselves, as carried by their events.
    package var names: [OriginID: String]
    package var events: Int
    package var counts: ArticleProjector.Counts
    package var digest: SHA256Digest
    /// The highest hybrid time of any event held: a clock behind it is reported.
    package var latestHLC: HybridTimestamp
    /// The public key of every signed origin held; an origin held but absent here is unsigned
    /// history.
    package var keys: [OriginID: OriginKey]
    /// Captures waiting to be indexed for search (the index follows the journal).
    package var searchPending: Int
}

extension Replica {
    /// Who this replica is, what it holds and how many articles, read in one snapshot.
    ///
    /// Throws what reading the file throws.
    package func status() throws -> ReplicaStatus {
        try read { db in
            ReplicaStatus(
                identity: try Self.identity(db, path: path), knowledge: try journal.knowledge(db),
                names: try journal.replicaNames(db), events: try journal.count(db), counts: try projector.counts(db),
                digest: try projector.digest(db), latestHLC: try journal.latestHLC(db), keys: try journal.keys(db),
                searchPending: try projector.searchPending(db))
        }
    }

    /// The names replicas gave themselves, as carried by their events (for showing an origin).
    package func replicaNames() throws -> [OriginID: String] {
        try read { db in try journal.replicaNames(db) }
    }

    /// The articles, one line each (the newest live capture of each), in `order`; with
    /// `includeDeleted` deleted ones too, with `onlyDeleted` only those; with `tag`, only articles
    /// carrying it; at most `limit` (all when nil).
    ///
    /// Throws what reading the file throws.
    package func list(
        includeDeleted: Bool = false, onlyDeleted: Bool = false, tag: String? = nil, order: ArticleOrder = .captured,
        limit: Int? = nil
    ) throws -> [ArticleSummary] {
        try read { db in
            try projector.list(
                includeDeleted: includeDeleted, onlyDeleted: onlyDeleted, tag: tag, order: order, limit: limit, db)
        }
    }

    /// The articles whose title or body holds every word of `query`, in `order`, each article
    /// once; at most `limit`. An empty query finds nothing. With `indexFirst`, captures still
    /// queued for the index are indexed first; else they are not found.
    ///
    /// Throws what reading or writing the file throws.
    package func search(
        _ query: String, includeDeleted: Bool = false, limit: Int, order: ArticleProjector.SearchOrder = .newest,
        indexFirst: Bool = true
    ) throws -> [ArticleSummary] {
        if indexFirst, try searchPending() > 0 { try indexForSearch() }
        return try read { db in
            try projector.search(query, includeDeleted: includeDeleted, limit: limit, order: order, db)
        }
    }
}
