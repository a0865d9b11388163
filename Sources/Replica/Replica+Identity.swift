/*
 Copies and restores (DESIGN.md invariant 8). The replica remembers where its file was made
 (replica_identity 'home' = host:path) and any fork of its own origin a sync met
 (replica_identity 'fork' = ORIGIN:SEQ, the first seq whose event differs from the network's).
 `reidentify` is the way out of both; see protocol/SPEC.md, "Copies, restores and forks".
*/
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

/// Where a replica's file is, compared with where it was made.
package enum ReplicaLocation: Sendable, Equatable {
    case home
    /// The file is not where it was made: a copy meant as a second replica, or a moved file.
    case elsewhere(madeAt: String, nowAt: String)
}

extension Replica {
    /// `host:path` of this process's view of the file: what `home` records.
    package var currentLocation: String { Self.location(of: path) }

    /// `host:path` for a replica file at `path` (the host may be set with $ARCHIVE_SYNC_HOST, for
    /// containers whose host name changes).
    static func location(of path: String) -> String {
        let host = ProcessInfo.processInfo.environment["ARCHIVE_SYNC_HOST"] ?? ProcessInfo.processInfo.hostName
        let resolved = URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
        return host + ":" + resolved
    }

    /// Whether the file is where it was made. A replica made before homes were recorded adopts
    /// its current place.
    package func location() throws -> ReplicaLocation {
        let here = currentLocation
        let home = try read { db in
            try String.fetchOne(db, sql: "SELECT value FROM replica_identity WHERE key = 'home'")
        }
        guard let home else {
            try setMeta("home", here)
            return .home
        }
        return home == here ? .home : .elsewhere(madeAt: home, nowAt: here)
    }

    /// The first event of this replica's own origin that the network holds differently, if a
    /// sync found one.
    package func forkNotice() throws -> Dot? {
        try read { db in try Self.forkNotice(db) }
    }

    static func forkNotice(_ db: Database) throws -> Dot? {
        guard let text = try String.fetchOne(db, sql: "SELECT value FROM replica_identity WHERE key = 'fork'"),
            let (prefix, seq) = Dot.parse(text), let origin = OriginID(hex: prefix)
        else { return nil }
        return Dot(origin: origin, seq: seq)
    }

    /// Records a fork of this replica's own origin found by a sync; from now on local writes are
    /// refused until `reidentify`. Keeps the earliest seq when called again.
    package func recordFork(at dot: Dot) throws {
        try pool.write { db in
            let identity = try Self.identity(db, path: path)
            guard dot.origin == identity.origin else { return }
            if let existing = try Self.forkNotice(db), existing.seq <= dot.seq { return }
            try db.execute(
                sql:
                    "INSERT INTO replica_identity (key, value) VALUES ('fork', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                arguments: ["\(dot.origin.hex):\(dot.seq)"])
        }
    }

    func setMeta(_ key: String, _ value: String) throws {
        try pool.write { db in
            try db.execute(
                sql:
                    "INSERT INTO replica_identity (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                arguments: [key, value])
        }
    }

    /// The message that explains a fork of our own origin and the way out.
    package static func forkMessage(_ dot: Dot) -> String {
        "this replica and its peers hold different events \(dot.origin.short):\(dot.seq) and after of this replica's own origin: "
            + "the file is a copy of another replica, or was restored from a backup and written to before it synced; "
            + "run `archive-sync reidentify` to give it a new identity (its own events are re-issued, nothing is lost)"
    }

    /// The message for a file found away from where it was made.
    package static func misplacedMessage(madeAt: String, nowAt: String) -> String {
        "this replica was made at \(madeAt) and is now at \(nowAt): if it is a copy meant as a second replica, run "
            + "`archive-sync reidentify` to give it its own identity; if you moved it, run `archive-sync reidentify --moved`"
    }
}

/// What `reidentify` did.
package struct ReidentifyReport: Sendable {
    package var oldOrigin: OriginID
    package var newOrigin: OriginID
    /// Own events that only this replica held, written again under the new origin.
    package var reissued: Int
    /// Events of other replicas that depended on the forked events and were left out (they come
    /// back from the replicas that hold them).
    package var droppedForeign: Int
    /// The previous file, kept beside the new one.
    package var backup: String?
}

extension Replica {
    /// Records the file's current place as its home, keeping its identity (a moved file).
    package func acceptMove() throws {
        try setMeta("home", currentLocation)
    }

    /// Gives the replica at `path` a new origin, for a copy used as a second replica or a file
    /// that forked from the network.
    ///
    /// Without a recorded fork, the journal stays and only the identity changes: events from now
    /// on are written under the new origin. With one (at seq s of origin O), the journal cannot
    /// simply continue (it is append-only and holds events O:s… the network holds differently),
    /// so a new file is built beside it: every event but O:s… (and any event that depended on
    /// them) is copied, O:s… are written again under the new origin with the same changes, and the
    /// new file takes the old one's place; the old file is kept as `PATH.before-reidentify-TIME`.
    /// No other process may have the replica open meanwhile.
    package static func reidentify(
        at path: String, name: String? = nil, wallClock: @escaping @Sendable () -> Int64 = systemClock
    ) throws -> ReidentifyReport {
        let replica = try Replica.open(at: path, wallClock: wallClock)
        let identity = try replica.identity()
        let newKey = SigningKey()
        let newOrigin = newKey.origin
        let newName = name ?? identity.name
        guard let fork = try replica.forkNotice(), fork.origin == identity.origin else {
            // The new key goes beside the old one first, and takes its place once the new
            // identity is committed; `write` finishes the swap if this is cut off in between.
            let keyPath = SigningKeyFile.path(forReplicaAt: path)
            try SigningKeyFile.write(newKey, to: keyPath + ".next", replacing: true)
            try replica.pool.write { db in
                try db.execute(
                    sql: "UPDATE replica_identity SET value = ? WHERE key = 'origin'", arguments: [newOrigin.hex])
                try db.execute(sql: "UPDATE replica_identity SET value = ? WHERE key = 'name'", arguments: [newName])
                try db.execute(
                    sql: """
                        INSERT INTO replica_identity (key, value) VALUES ('key', ?)
                        ON CONFLICT (key) DO UPDATE SET value = excluded.value
                        """, arguments: [newKey.publicKey.hex])
                try db.execute(sql: "DELETE FROM replica_identity WHERE key = 'fork'")
                // A restored backup with a new identity cannot fork its old origin any more.
                try Self.removeBackupMark(db)
            }
            try SigningKeyFile.finishReplacing(keyPath)
            try replica.acceptMove()
            return ReidentifyReport(
                oldOrigin: identity.origin, newOrigin: newOrigin, reissued: 0, droppedForeign: 0, backup: nil)
        }

        let scratch = path + ".reidentify-\(UUID().uuidString.prefix(8))"
        let fresh = try Replica.create(at: scratch, name: newName, signingKey: newKey, wallClock: wallClock)
        var reissue: [Event] = []
        var droppedForeign = 0
        // Copy the local bookkeeping: tokens, peers, last syncs, file baselines.
        try fresh.pool.writeWithoutTransaction { db in
            try db.execute(sql: "ATTACH DATABASE ? AS old", arguments: [path])
            try db.inTransaction {
                try SyncBookkeeping.copyRows(fromAttached: "old", db)
                try FileBaseline.copyRows(fromAttached: "old", db)
                return .commit
            }
            try db.execute(sql: "DETACH DATABASE old")
        }
        // Copy every event that is not forked and does not depend on one.
        var dropFrom: [OriginID: Int] = [identity.origin: fork.seq]
        var pending: [Event] = []
        var position: Int64 = 0
        while true {
            let after = position
            let batch = try replica.read { db in try replica.journal.events(after: after, limit: 1000, db) }
            for stored in batch {
                let event = stored.event
                let dependsOnDropped = dropFrom.contains { origin, seq in
                    (event.origin == origin && event.seq >= seq) || event.clock[origin] >= seq
                }
                if dependsOnDropped {
                    if event.origin == identity.origin {
                        reissue.append(event)
                    } else {
                        droppedForeign += 1
                    }
                    if dropFrom[event.origin] == nil { dropFrom[event.origin] = event.seq }
                } else {
                    pending.append(event)
                }
            }
            if !pending.isEmpty {
                _ = try fresh.apply(pending)
                pending.removeAll()
            }
            guard let last = batch.last, batch.count == 1000 else { break }
            position = last.position
        }
        // Write this replica's own forked events again, under the new origin.
        let ownEvents = reissue
        try fresh.write { writer, db in
            for event in ownEvents {
                _ = try writer.write(event.kind, article: event.article, changes: event.changes, db)
            }
        }
        try fresh.close()
        try replica.close()
        let backup = path + ".before-reidentify-\(wallClock())"
        let fileManager = FileManager.default
        try fileManager.moveItem(atPath: path, toPath: backup)
        // The old key goes with the old file (which, away from its home, signs nothing).
        for suffix in ["-wal", "-shm", ".key"] where fileManager.fileExists(atPath: path + suffix) {
            try fileManager.moveItem(atPath: path + suffix, toPath: backup + suffix)
        }
        try fileManager.moveItem(atPath: scratch, toPath: path)
        for suffix in ["-wal", "-shm", ".key"] where fileManager.fileExists(atPath: scratch + suffix) {
            try fileManager.moveItem(atPath: scratch + suffix, toPath: path + suffix)
        }
        let moved = try Replica.open(at: path, wallClock: wallClock)
        try moved.acceptMove()
        return ReidentifyReport(
            oldOrigin: identity.origin, newOrigin: newOrigin, reissued: reissue.count, droppedForeign: droppedForeign,
            backup: backup)
    }

    /// Checkpoints the log into the main file and closes the file (the replica is unusable after).
    package func close() throws {
        try pool.writeWithoutTransaction { db in try db.checkpoint(.truncate) }
        try pool.close()
    }
}

/// What `upgradeToSignedOrigin()` did.
package struct SignedOriginUpgrade: Sendable, Equatable {
    /// The origin the replica wrote under before: its events stay, as unsigned history.
    package var unsignedOrigin: OriginID
    /// The new origin, named by the new key; every event from now on is signed with that key.
    package var signedOrigin: OriginID
    package var keyFile: String
}

extension Replica {
    /// Gives a replica made before events were signed a key pair, and the origin that key names:
    /// its events so far stay in the journal, unchanged, as unsigned history of its old origin,
    /// and every event it writes from now on is signed under the new one (README, "Signed
    /// origins"). Like `reidentify`, but nothing of the file is rebuilt.
    ///
    /// Returns nil, changing nothing, when the replica already signs, when it cannot be written
    /// (a read-only file), or when it must first be reidentified (a copy away from its home, or a
    /// recorded fork): `reidentify` then gives it a key pair.
    package func upgradeToSignedOrigin() throws -> SignedOriginUpgrade? {
        let identity = try identity()
        guard identity.key == nil, access(path, W_OK) == 0, try forkNotice() == nil, case .home = try location()
        else { return nil }
        let keyPath = SigningKeyFile.path(forReplicaAt: path)
        // The key about to be made is recorded first: a key file found at its place is adopted
        // only if it is that one (left by an upgrade cut off before it committed), never the key
        // of another replica that lived at this path.
        func pendingKey() throws -> String? {
            try read { db in
                try String.fetchOne(db, sql: "SELECT value FROM replica_identity WHERE key = 'pending_key'")
            }
        }
        func adoptExisting() throws -> SigningKey {
            let existing = try SigningKeyFile.read(at: keyPath)
            guard try pendingKey() == existing.origin.hex, try knowledge()[existing.origin] == 0 else {
                throw ReplicaError(
                    .badSigningKey,
                    "\(keyPath) holds the key of origin \(existing.origin.short), which is not the key this replica was "
                        + "giving itself (another replica's key, left at this path?): move that file away, then run "
                        + "the command again")
            }
            return existing
        }
        var key = SigningKey()
        if FileManager.default.fileExists(atPath: keyPath) {
            key = try adoptExisting()
        } else {
            try setMeta("pending_key", key.origin.hex)
            do {
                try SigningKeyFile.write(key, to: keyPath, replacing: false)
            } catch ReplicaError.Code.alreadyExists {
                // Another process upgrading the same file at this moment.
                if try self.identity().key != nil { return nil }
                key = try adoptExisting()
            }
        }
        let chosen = key
        let upgraded = try pool.write { db -> Bool in
            // Another process may have upgraded the file meanwhile (with this same key file).
            guard try Self.identity(db, path: path).key == nil else { return false }
            try db.execute(
                sql: "UPDATE replica_identity SET value = ? WHERE key = 'origin'", arguments: [chosen.origin.hex])
            try db.execute(
                sql: "INSERT INTO replica_identity (key, value) VALUES ('key', ?), ('unsigned_origin', ?)",
                arguments: [chosen.publicKey.hex, identity.origin.hex])
            try db.execute(sql: "DELETE FROM replica_identity WHERE key = 'pending_key'")
            return true
        }
        guard upgraded else { return nil }
        return SignedOriginUpgrade(unsignedOrigin: identity.origin, signedOrigin: key.origin, keyFile: keyPath)
    }

    /// The origin this replica wrote under before it signed its events, if it was upgraded.
    package func unsignedOrigin() throws -> OriginID? {
        try read { db in
            try String.fetchOne(db, sql: "SELECT value FROM replica_identity WHERE key = 'unsigned_origin'")
                .flatMap(OriginID.init(hex:))
        }
    }

    /// This replica's signing key, read from its key file (`SigningKeyFile`), checked against
    /// its identity.
    package func signingKey() throws -> SigningKey {
        let identity = try identity()
        let keyPath = SigningKeyFile.path(forReplicaAt: path)
        // Finish a `reidentify` cut off between its commit and putting its key in place.
        if FileManager.default.fileExists(atPath: keyPath + ".next"),
            let next = try? SigningKeyFile.read(at: keyPath + ".next"), next.origin == identity.origin
        {
            try SigningKeyFile.finishReplacing(keyPath)
        }
        let key = try SigningKeyFile.read(at: keyPath)
        guard key.origin == identity.origin else {
            throw ReplicaError(
                .badSigningKey,
                "the key in \(keyPath) signs for origin \(key.origin.short), not for this replica's (\(identity.origin.short)): "
                    + "it belongs to another replica; put this replica's key back, or run `archive-sync reidentify`")
        }
        return key
    }
}
