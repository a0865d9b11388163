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
    private let signingKey: SigningKey
    private let wallClock: @Sendable () -> Int64
    private let journal = EventJournal()
    private var projection: ArticleProjector.Batch
    private var knowledge: VectorClock
    private var lastHash: SHA256Digest
    private var latestHLC: HybridTimestamp
    private var nameIsKnown: Bool

    init(
        identity: Replica.Identity, signingKey: Result<SigningKey, any Error>, path: String,
        wallClock: @escaping @Sendable () -> Int64, _ db: Database
    ) throws {
        if let fork = try Replica.forkNotice(db) { throw ReplicaError(.forked, Replica.forkMessage(fork)) }
        // A copy must not write under the identity of the replica it was copied from.
        let here = Replica.location(of: path)
        if let home = try String.fetchOne(db, sql: "SELECT value FROM replica_identity WHERE key = 'home'"),
            home != here
        {
            throw ReplicaError(.misplaced, Replica.misplacedMessage(madeAt: home, nowAt: here))
        }
        // A backup restored in place would fork its origin if it wrote before its later events
        // came back.
        if let backup = try Replica.restoredBackup(db) {
            throw ReplicaError(.restoredBackup, Replica.restoredMessage(backup))
        }
        guard identity.key != nil else {
            throw ReplicaError(
                .noSigningKey,
                "this replica was made before events were signed and has no signing key yet: any archive-sync "
                    + "command run on it where it was made, with write access to the file, gives it one (its earlier "
                    + "events stay as unsigned history); a copy gets one from `archive-sync reidentify`")
        }
        let keyPath = SigningKeyFile.path(forReplicaAt: path)
        let key: SigningKey
        do { key = try signingKey.get() } catch let error as ReplicaError where error.code == .noSigningKey {
            throw ReplicaError(
                .noSigningKey,
                "this replica's signing key is not at \(keyPath), and it signs every event it writes: put the key file "
                    + "back, or if it is lost, run `archive-sync reidentify` to give the replica a new key pair "
                    + "(nothing held is lost)", underlying: error)
        }
        guard key.origin == identity.origin else {
            throw ReplicaError(
                .badSigningKey,
                "the key in \(keyPath) signs for origin \(key.origin.short), not for this replica's (\(identity.origin.short)): "
                    + "it belongs to another replica; put this replica's key back, or run `archive-sync reidentify`")
        }
        self.signingKey = key
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

    /// The captures the events written so far queued for the search index.
    var queuedForSearch: [Int64] { projection.queuedForSearch }

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
        do { event = try Event.seal(draft, signedBy: signingKey) } catch let error as ArchiveModelError {
            throw ReplicaError(.invalidValue, error.message, underlying: error)
        }
        _ = try journal.append(event, db, signatureChecked: true)
        let change = try projection.apply(event, db)
        knowledge[identity.origin] = seq
        lastHash = event.hash
        latestHLC = hlc
        nameIsKnown = true
        return (event, change)
    }
}
