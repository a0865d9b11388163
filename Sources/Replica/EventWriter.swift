import ArchiveModel
import ArticleProjector
import EventJournal
import GRDB

/// Writes this replica's own events inside one transaction: numbers them, clocks them, chains
/// them, appends them to the journal and projects them.
///
/// Valid only inside the `Replica.write` transaction that made it: it caches what it read from
/// the journal (the knowledge vector, the last hash, the latest hlc) and updates the cache as it
/// writes, since nothing else writes in that transaction.
package struct EventWriter {
    package let identity: Replica.Identity
    private let wallClock: @Sendable () -> Int64
    private let journal = EventJournal()
    private var projection: ArticleProjector.Batch
    private var knowledge: VectorClock
    private var lastHash: SHA256Digest
    private var latestHLC: HybridTimestamp
    private var nameIsKnown: Bool

    init(identity: Replica.Identity, path: String, wallClock: @escaping @Sendable () -> Int64, _ db: Database) throws {
        if let fork = try Replica.forkNotice(db) { throw ReplicaError(.forked, Replica.forkMessage(fork)) }
        // A copy must not write under the identity of the replica it was copied from.
        let here = Replica.location(of: path)
        if let home = try String.fetchOne(db, sql: "SELECT value FROM replica_identity WHERE key = 'home'"),
            home != here
        {
            throw ReplicaError(.misplaced, Replica.misplacedMessage(madeAt: home, nowAt: here))
        }
        self.identity = identity
        self.wallClock = wallClock
        knowledge = try journal.knowledge(db)
        lastHash = try journal.head(of: identity.origin, db)?.hash ?? .zero
        latestHLC = try journal.latestHLC(db)
        nameIsKnown = try journal.replicaNames(db)[identity.origin] == identity.name
        projection = try ArticleProjector().batch(db)
    }

    /// Stores what the projection kept in memory (the digest); `Replica.write` calls it before
    /// the transaction commits.
    mutating func finish(_ db: Database) throws {
        try projection.finish(db)
    }

    /// Writes one event of this replica and returns it with what it changed.
    package mutating func write(
        _ kind: EventKind, article: ArticleID, changes: [Change], _ db: Database
    ) throws -> (event: Event, change: StateChange) {
        let seq = knowledge[identity.origin] + 1
        let hlc = HybridTimestamp.next(after: latestHLC, wallMilliseconds: wallClock())
        let draft = Event.Draft(
            origin: identity.origin, seq: seq, hlc: hlc, clock: knowledge, article: article, kind: kind,
            changes: changes, prev: lastHash, name: nameIsKnown ? nil : identity.name)
        let event: Event
        do { event = try Event.seal(draft) } catch let error as ArchiveModelError {
            throw ReplicaError(.invalidValue, error.message, underlying: error)
        }
        _ = try journal.append(event, db)
        let change = try projection.apply(event, db)
        knowledge[identity.origin] = seq
        lastHash = event.hash
        latestHLC = hlc
        nameIsKnown = true
        return (event, change)
    }
}
