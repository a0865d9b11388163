import ArchiveModel
import ArticleProjector
import EventJournal
import GRDB

/// What `status` shows, read from one snapshot.
public struct ReplicaStatus: Sendable {
    public var identity: Replica.Identity
    public var knowledge: VectorClock
    public var names: [OriginID: String]
    public var events: Int
    public var counts: ArticleProjector.Counts
    public var digest: SHA256Digest
}

extension Replica {
    public func status() throws -> ReplicaStatus {
        try read { db in
            ReplicaStatus(
                identity: try Self.identity(db, path: path), knowledge: try journal.knowledge(db),
                names: try journal.replicaNames(db), events: try journal.count(db), counts: try projector.counts(db),
                digest: try projector.digest(db))
        }
    }
}
