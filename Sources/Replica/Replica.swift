import ArchiveFolder
import ArchiveModel
import ArticleProjector
import EventJournal
import Foundation
import GRDB
import SyncBookkeeping

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One replica: its SQLite file holding the journal, the projection, the archive folders'
/// baselines, the sync bookkeeping and its identity, and the use cases people and peers run on it.
///
/// Invariants it keeps (see `DESIGN.md` and `protocol/`):
/// - Every change is an event: `apply(_:)` appends events written elsewhere, the use cases
///   (`importFiles`, `edit`, `tag`, …) write this replica's own through `write(_:)`; either way the
///   journal and the projection change in one transaction, all or nothing.
/// - The projection is a pure function of the journal (`verify` checks it against a rebuild).
/// - Its own events carry its origin; a file copied or restored elsewhere writes nothing until
///   `reidentify` gives it a new one.
///
/// Callers outside the package's storage modules use only the use cases (each runs its own
/// transaction and returns values, never a `Database`); `journal`, `projector`, `read(_:)` and
/// `write(_:)` are for the package's modules and tests. Safe to use from several threads and
/// processes: SQLite serialises writers, readers see snapshots.
///
/// ```swift
/// let replica = try Replica.open(at: "laptop.db")
/// let report = try replica.importFiles(["archive/"])
/// print(report.created, try replica.status().counts.articles)
/// ```
package final class Replica: Sendable {
    /// Who this replica is: the origin of the events it writes and the name people see.
    package struct Identity: Sendable, Equatable {
        package var origin: OriginID
        package var name: String
        /// The public key `origin` names; nil for a replica made before events were signed and not
        /// upgraded yet (`upgradeToSignedOrigin()`).
        package var key: OriginKey?
    }

    package let path: String
    /// The journal and the projection this replica keeps in its file; the package's modules
    /// reach them only through `read(_:)` and `write(_:)`, callers outside it through use cases.
    package let journal = EventJournal()
    package let projector = ArticleProjector()
    let pool: DatabasePool
    let wallClock: @Sendable () -> Int64

    /// Wall time in Unix milliseconds.
    package static let systemClock: @Sendable () -> Int64 = {
        Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
    }

    private init(path: String, pool: DatabasePool, wallClock: @escaping @Sendable () -> Int64) {
        self.path = path
        self.pool = pool
        self.wallClock = wallClock
    }

    /// Makes a new replica file at `path`, with a new signing key pair (or `signingKey`, for
    /// tests) in its key file beside it (`SigningKeyFile`); its origin is the one the key names.
    ///
    /// Throws `alreadyExists` when something is already at `path` or at its key file's path.
    package static func create(
        at path: String, name: String, signingKey: SigningKey = SigningKey(),
        wallClock: @escaping @Sendable () -> Int64 = systemClock
    ) throws -> Replica {
        do { try FieldRules.validateName(name) } catch let error as ArchiveModelError {
            throw ReplicaError(.invalidValue, error.message)
        }
        if FileManager.default.fileExists(atPath: path) {
            throw ReplicaError(.alreadyExists, "\(path) already exists; choose another path or remove it first")
        }
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ReplicaError(.fileSystem, "the folder \(directory) does not exist")
        }
        let keyPath = SigningKeyFile.path(forReplicaAt: path)
        if FileManager.default.fileExists(atPath: keyPath) {
            throw ReplicaError(
                .alreadyExists,
                "\(keyPath) already exists (the signing key of another replica?); choose another path or remove it first"
            )
        }
        try SigningKeyFile.write(signingKey, to: keyPath, replacing: false)
        let pool: DatabasePool
        do {
            pool = try openPool(path)
            try pool.write { db in
                try db.execute(
                    sql: """
                        INSERT INTO replica_identity (key, value)
                        VALUES ('origin', ?), ('name', ?), ('created_at', ?), ('home', ?), ('key', ?)
                        """,
                    arguments: [
                        signingKey.origin.hex, name, String(wallClock()), location(of: path), signingKey.publicKey.hex,
                    ])
            }
        } catch {
            unlink(keyPath)
            throw error
        }
        return Replica(path: path, pool: pool, wallClock: wallClock)
    }

    /// Opens an existing replica file, applying any pending schema migrations.
    package static func open(
        at path: String, wallClock: @escaping @Sendable () -> Int64 = systemClock
    ) throws -> Replica {
        guard FileManager.default.fileExists(atPath: path) else {
            throw ReplicaError(
                .noReplica, "there is no replica at \(path); create one with `archive-sync init --name NAME`")
        }
        let pool: DatabasePool
        do {
            pool = try openPool(path)
        } catch let error as DatabaseError where error.resultCode == .SQLITE_NOTADB {
            throw ReplicaError(
                .notAReplica, "\(path) is not an archive-sync replica (not a SQLite database)", underlying: error)
        }
        let replica = Replica(path: path, pool: pool, wallClock: wallClock)
        _ = try replica.identity()
        return replica
    }

    private static func openPool(_ path: String) throws -> DatabasePool {
        var configuration = Configuration()
        configuration.busyMode = .timeout(30)
        configuration.prepareDatabase { db in
            // Durable commits: in WAL mode, FULL syncs the log at every commit.
            try db.execute(sql: "PRAGMA synchronous = FULL")
            // A bounded page cache, so that memory stays the same whatever the size of the
            // archive: 16 MiB for the writer (bulk imports and rebuilds re-read fewer pages),
            // 4 MiB for each reader (a server may run several at once; they stream).
            try db.execute(sql: "PRAGMA cache_size = \(db.configuration.readonly ? -4096 : -16384)")
            // After a large transaction (a rebuild), give the log's disk space back.
            try db.execute(sql: "PRAGMA journal_size_limit = 67108864")
        }
        let pool = try DatabasePool(path: path, configuration: configuration)
        var migrator = DatabaseMigrator()
        migrator.registerMigration("replica-v1") { db in
            try db.execute(sql: "CREATE TABLE replica_identity (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        }
        EventJournal.registerMigrations(in: &migrator)
        ArticleProjector.registerMigrations(in: &migrator)
        FileBaseline.registerMigrations(in: &migrator)
        SyncBookkeeping.registerMigrations(in: &migrator)
        do {
            try migrator.migrate(pool)
        } catch let error as DatabaseError where error.resultCode == .SQLITE_NOTADB {
            throw error
        }
        return pool
    }

    /// This replica's origin and name.
    package func identity() throws -> Identity {
        try pool.read { db in try Self.identity(db, path: path) }
    }

    /// This replica's origin and name, read inside a transaction the caller holds.
    package func identity(_ db: Database) throws -> Identity { try Self.identity(db, path: path) }

    static func identity(_ db: Database, path: String) throws -> Identity {
        let values = try Dictionary(
            uniqueKeysWithValues: Row.fetchAll(db, sql: "SELECT key, value FROM replica_identity").map {
                ($0[0] as String, $0[1] as String)
            })
        guard let originText = values["origin"], let origin = OriginID(hex: originText), let name = values["name"]
        else {
            throw ReplicaError(.notAReplica, "\(path) is not an archive-sync replica (it has no identity)")
        }
        var key: OriginKey?
        if let keyText = values["key"] {
            guard let parsed = OriginKey(hex: keyText), parsed.origin == origin else {
                throw ReplicaError(
                    .notAReplica,
                    "\(path) has a damaged identity: its public key does not name its origin \(origin.hex)")
            }
            key = parsed
        }
        return Identity(origin: origin, name: name, key: key)
    }

    /// Reads a consistent snapshot.
    package func read<T: Sendable>(_ body: @Sendable (Database) throws -> T) throws -> T {
        try pool.read(body)
    }

    /// Applies events written elsewhere, in order, in one transaction: all or nothing.
    ///
    /// Events already held are skipped (idempotent); any refusal (gap, fork, broken chain,
    /// missing causal past) throws and applies none of the batch. An event is never refused for
    /// its date, however far ahead of this replica's clock: its hash chain makes it unchangeable,
    /// so refusing it would stop every sync after it for good (protocol/CLOCKS.md).
    ///
    /// Every event of a signed origin must carry its origin key's signature (`bad-signature`
    /// otherwise); events of unsigned origins are taken as history unless `unsigned` refuses
    /// them (`unsigned-event`).
    package func apply(_ events: [Event], unsigned: EventJournal.UnsignedEvents = .accept) throws -> ApplyReport {
        let (journal, now) = (self.journal, wallClock())
        let checked = try pool.read { db in try Self.checkSignatures(events, journal: journal, db) }
        return try pool.write { db in
            try Self.apply(
                events, checked: checked, now: now, unsigned: unsigned, journal: journal, projector: projector, db)
        }
    }

    /// Checks the signatures of `events` on every core, before the write transaction that applies
    /// them (so that the file is not held while they are checked): true for each event found
    /// signed by its origin's key, as the journal holds it or as the batch brings it in an
    /// origin's first event. The journal checks again, in the write, each event not found valid
    /// here, and refuses it with its precise reason.
    static func checkSignatures(_ events: [Event], journal: EventJournal, _ db: Database) throws -> [Bool] {
        var keys = try journal.keys(db)
        for event in events where event.seq == 1 {
            if let key = event.key, key.origin == event.origin { keys[event.origin] = key }
        }
        return Event.signaturesValid(events, keys: keys)
    }

    static func apply(
        _ events: [Event], checked: [Bool], now: Int64, unsigned: EventJournal.UnsignedEvents,
        journal: EventJournal, projector: ArticleProjector, _ db: Database
    ) throws -> ApplyReport {
        var report = ApplyReport()
        var batch = try projector.batch(db)
        for (index, event) in events.enumerated() {
            let signatureChecked = index < checked.count && checked[index]
            switch try journal.append(event, db, unsigned: unsigned, signatureChecked: signatureChecked) {
            case .appended:
                try batch.apply(event, db)
                report.appended += 1
                report.furthestAhead = max(report.furthestAhead, event.hlc.milliseconds - now)
            case .alreadyHeld:
                report.alreadyHeld += 1
            }
        }
        try batch.finish(db)
        return report
    }

    /// Runs `body` in one write transaction with an `EventWriter` for this replica's own events,
    /// signed with the key in the replica's key file.
    package func write<T: Sendable>(_ body: @Sendable (inout EventWriter, Database) throws -> T) throws -> T {
        // Read before the transaction; a missing key is reported after the writer's own checks
        // (a copy is told to reidentify before it is told it has no key).
        let key = Result { try signingKey() }
        return try pool.write { db in
            var writer = try EventWriter(
                identity: Self.identity(db, path: path), signingKey: key, path: path, wallClock: wallClock, db)
            let result = try body(&writer, db)
            try writer.finish(db)
            // This replica's own writes are searchable as they commit; what arrives from peers
            // is indexed behind (`indexForSearch`), never inside someone's write.
            _ = try projector.indexPending(keys: writer.queuedForSearch, db)
            return result
        }
    }

    /// The knowledge vector: what this replica holds of every origin.
    package func knowledge() throws -> VectorClock {
        try pool.read { db in try journal.knowledge(db) }
    }

    /// The archive digest, kept up to date with every change.
    package func digest() throws -> SHA256Digest {
        try pool.read { db in try projector.digest(db) }
    }
}

/// How many events of a batch were new.
package struct ApplyReport: Sendable, Equatable {
    package var appended = 0
    package var alreadyHeld = 0
    /// How far the latest-dated new event is ahead of this replica's clock, in milliseconds (0
    /// when none is): kept, and reported, since a date never makes an event refused.
    package var furthestAhead: Int64 = 0
    package init(appended: Int = 0, alreadyHeld: Int = 0) {
        self.appended = appended
        self.alreadyHeld = alreadyHeld
    }
}

extension Replica {
    /// The events held here that a replica knowing `vector` lacks, in causal order, bounded in
    /// count and bytes (see `EventJournal.events(missingFrom:limit:maxBytes:_:)`).
    package func events(missingFrom vector: VectorClock, limit: Int = 1000, maxBytes: Int = 4 << 20) throws -> [Event] {
        try read { db in try journal.events(missingFrom: vector, limit: limit, maxBytes: maxBytes, db).map(\.event) }
    }
}

extension Replica {
    /// `read(_:)` for async callers (the server): the read runs on GRDB's own threads.
    package func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await pool.read(body)
    }

    /// `apply(_:)` for async callers: one transaction, all or nothing.
    ///
    /// Throws `ReplicaError.Code.busy` when another writer held the file past the wait, so that
    /// the server can answer 503 without knowing SQLite.
    package func apply(_ events: [Event], unsigned: EventJournal.UnsignedEvents) async throws -> ApplyReport {
        let (journal, projector, now) = (self.journal, self.projector, wallClock())
        do {
            // Checked on GRDB's reader threads and every core, outside the write transaction.
            let checked = try await pool.read { db in try Self.checkSignatures(events, journal: journal, db) }
            return try await pool.write { db in
                try Self.apply(
                    events, checked: checked, now: now, unsigned: unsigned, journal: journal, projector: projector, db)
            }
        } catch let error as DatabaseError
            where error.resultCode == .SQLITE_BUSY || error.resultCode == .SQLITE_LOCKED
        {
            throw ReplicaError(
                .busy, "the replica is busy with another writer; try again in a moment", underlying: error)
        }
    }
}
