/*
 Backups and restores (DESIGN.md invariant 8).

 `backup(to:)` copies the live file with SQLite's online backup API, inside one read transaction
 of the replica: writers go on meanwhile, and the copy holds exactly what was committed when the
 backup began (every origin a gap-free prefix, the projection that of those events). The copy is
 written aside (`FILE.partial-XXXXXXXX`, mode 0600), switched to a rollback journal so that it is
 one self-contained file, marked, synced, and only then put at its path.

 The mark, in the copy's own replica_identity table, written in the copy's own transaction:
   backup_taken_at    Unix milliseconds
   backup_knowledge   the copy's knowledge vector, "ORIGIN:SEQ ORIGIN:SEQ ..."

 What the mark does: opened where its replica was made (`home`: restored in place), a marked file
 writes nothing of its own until it has completed a sync (its events written after the backup,
 which peers may hold, come back first; a write before that would fork its origin) or until
 `reidentify` settles it (a new identity, or `--restored`: this backup is the latest state).
 Opened anywhere else it is a copy like any other (`misplaced`: `reidentify` first). The private
 key (`PATH.key`) is never copied into the backup.
*/
import ArchiveModel
import EventJournal
import Foundation
import GRDB

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What `backup(to:)` wrote.
package struct BackupReport: Sendable {
    /// Where the backup is.
    package var path: String
    package var bytes: Int
    /// The copy's knowledge vector: what it holds of every origin.
    package var knowledge: VectorClock
    /// This replica's own events in the copy.
    package var ownEvents: Int
    package var takenAt: Int64
}

/// How far a running backup is, in database pages.
package struct BackupProgress: Sendable {
    package var pagesDone: Int
    package var pagesTotal: Int
}

/// The mark of a file made by `backup(to:)`: when it was taken and what it held.
package struct RestoredBackup: Sendable, Equatable {
    package var takenAt: Int64
    package var knowledge: VectorClock
    /// The replica's own events the backup held.
    package var ownEvents: Int
}

extension Replica {
    /// Writes a consistent copy of this replica to `destination` while other processes may go on
    /// writing to it, and marks the copy as a backup (see the top of this file).
    ///
    /// The copy is complete and synced before it appears at `destination`; it never replaces an
    /// existing file unless `replacing`, and never this replica's own file, log or key. The key
    /// file is not copied. Throws `alreadyExists` for an existing file, `fileSystem` for a path
    /// that cannot be written, `invalidValue` for a path that cannot be a backup.
    package func backup(
        to destination: String, replacing: Bool, progress: @escaping @Sendable (BackupProgress) -> Void = { _ in }
    ) throws -> BackupReport {
        try checkBackupDestination(destination, replacing: replacing)
        let temporary = destination + ".partial-\(UUID().uuidString.prefix(8))"
        let descriptor = Foundation.open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw Self.fileFailure("cannot create \(temporary)") }
        // The umask can only take permissions away; set the mode anyway so it is exactly 0600.
        _ = fchmod(descriptor, 0o600)
        _ = Foundation.close(descriptor)
        defer {
            for suffix in ["", "-journal", "-wal", "-shm"] { unlink(temporary + suffix) }
        }

        let takenAt = wallClock()
        let journal = self.journal
        let copy = try DatabaseQueue(path: temporary)
        try pool.backup(to: copy, pagesPerStep: 256) { step in
            progress(BackupProgress(pagesDone: step.completedPageCount, pagesTotal: step.totalPageCount))
        }
        let (knowledge, origin) = try copy.writeWithoutTransaction { db in
            let marked = try Self.markBackup(takenAt: takenAt, journal: journal, path: temporary, db)
            // The live file is in WAL mode, and so is its copy's header (the mark went to a log
            // beside it): a backup must be one file, so the copy goes back to a rollback journal,
            // which folds the log into it.
            try db.execute(sql: "PRAGMA journal_mode = DELETE")
            return marked
        }
        try copy.close()
        try Self.syncFile(temporary)
        if replacing {
            guard rename(temporary, destination) == 0 else {
                throw Self.fileFailure("cannot put the backup in place at \(destination)")
            }
        } else if link(temporary, destination) != 0 {
            if errno == EEXIST { throw Self.backupExists(destination) }
            throw Self.fileFailure("cannot put the backup in place at \(destination)")
        }
        Self.syncDirectory(of: destination)
        var info = stat()
        let bytes = stat(destination, &info) == 0 ? Int(info.st_size) : 0
        return BackupReport(
            path: destination, bytes: bytes, knowledge: knowledge, ownEvents: knowledge[origin], takenAt: takenAt)
    }

    /// Writes the mark into the copy, in one transaction of the copy, and returns what it holds.
    private static func markBackup(
        takenAt: Int64, journal: EventJournal, path: String, _ db: Database
    ) throws -> (VectorClock, OriginID) {
        var result: (VectorClock, OriginID)?
        try db.inTransaction {
            let knowledge = try journal.knowledge(db)
            let origin = try identity(db, path: path).origin
            let text = knowledge.sortedEntries.map { "\($0.origin.hex):\($0.seq)" }.joined(separator: " ")
            try db.execute(
                sql: """
                    INSERT INTO replica_identity (key, value) VALUES ('backup_taken_at', ?), ('backup_knowledge', ?)
                    ON CONFLICT (key) DO UPDATE SET value = excluded.value
                    """, arguments: [String(takenAt), text])
            result = (knowledge, origin)
            return .commit
        }
        guard let result else { throw ReplicaError(.fileSystem, "the backup at \(path) could not be marked") }
        return result
    }

    /// The mark of a backup, if this file is one that no sync or `reidentify` has settled yet.
    package func restoredBackup() throws -> RestoredBackup? {
        try read { db in try Self.restoredBackup(db) }
    }

    static func restoredBackup(_ db: Database) throws -> RestoredBackup? {
        let rows = try Row.fetchAll(
            db,
            sql:
                "SELECT key, value FROM replica_identity WHERE key IN ('backup_taken_at', 'backup_knowledge', 'origin')"
        )
        let values = Dictionary(
            rows.map { ($0[0] as String, $0[1] as String) }, uniquingKeysWith: { first, _ in first })
        guard let takenText = values["backup_taken_at"], let takenAt = Int64(takenText) else { return nil }
        var entries: [OriginID: Int] = [:]
        for entry in (values["backup_knowledge"] ?? "").split(separator: " ") {
            guard let (prefix, seq) = Dot.parse(String(entry)), let origin = OriginID(hex: prefix) else { continue }
            entries[origin] = seq
        }
        let knowledge = VectorClock(entries)
        let own = values["origin"].flatMap(OriginID.init(hex:)).map { knowledge[$0] } ?? 0
        return RestoredBackup(takenAt: takenAt, knowledge: knowledge, ownEvents: own)
    }

    /// Settles a restored backup: the file writes again. A completed sync calls it (the events the
    /// replica wrote after the backup came back from the peer that held them), and so does
    /// `reidentify --restored` (the person knows the backup is the latest state). Returns whether
    /// the file was a backup.
    @discardableResult
    package func acceptRestore() throws -> Bool {
        // Read first: most files are no backup, and a read-only one cannot take a write.
        guard try restoredBackup() != nil else { return false }
        return try pool.write { db in
            guard try Self.restoredBackup(db) != nil else { return false }
            try Self.removeBackupMark(db)
            return true
        }
    }

    static func removeBackupMark(_ db: Database) throws {
        try db.execute(sql: "DELETE FROM replica_identity WHERE key IN ('backup_taken_at', 'backup_knowledge')")
    }

    /// What a restored backup says when it is asked to write, and the ways out.
    package static func restoredMessage(_ backup: RestoredBackup) -> String {
        "this file is a backup taken \(ISODate.format(backup.takenAt)) (holding \(backup.ownEvents) events of this "
            + "replica's own), restored in place: the replica may have written later events that its peers hold, so "
            + "it writes nothing until a sync has brought them back (`archive-sync sync PEER`); with no peer at hand, "
            + "`archive-sync reidentify` gives it a new identity (nothing can fork then), and if this backup is "
            + "surely the latest state of the replica, `archive-sync reidentify --restored` lets it write on"
    }

    /// Refuses what cannot be a backup's path, before anything is written.
    private func checkBackupDestination(_ destination: String, replacing: Bool) throws {
        guard !destination.isEmpty, !destination.utf8.contains(0) else {
            throw ReplicaError(.invalidValue, "the backup needs a file name")
        }
        func resolved(_ path: String) -> String {
            URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
        }
        let target = resolved(destination)
        let own = resolved(path)
        let ownFiles = [own, own + "-wal", own + "-shm", own + "-journal", SigningKeyFile.path(forReplicaAt: own)]
        if ownFiles.contains(target) {
            throw ReplicaError(
                .invalidValue, "\(destination) is this replica's own file (or its log or key); a backup goes elsewhere")
        }
        let folder = URL(fileURLWithPath: destination).deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory) else {
            throw ReplicaError(.fileSystem, "the folder \(folder) does not exist; create it first")
        }
        guard isDirectory.boolValue else { throw ReplicaError(.fileSystem, "\(folder) is not a folder") }
        var info = stat()
        if lstat(destination, &info) == 0 {
            if (info.st_mode & S_IFMT) == S_IFDIR {
                throw ReplicaError(
                    .fileSystem, "\(destination) is a folder; give the backup a file name inside it")
            }
            if !replacing { throw Self.backupExists(destination) }
        }
        for suffix in ["-wal", "-shm"] where FileManager.default.fileExists(atPath: destination + suffix) {
            throw ReplicaError(
                .fileSystem,
                "\(destination + suffix) is beside \(destination): that file is open as a replica (or was, and kept "
                    + "its log), and the log would be read into the backup; back up to another path")
        }
        guard access(folder, W_OK) == 0 else {
            throw ReplicaError(.fileSystem, "cannot write into the folder \(folder): permission denied")
        }
    }

    private static func backupExists(_ path: String) -> ReplicaError {
        ReplicaError(.alreadyExists, "\(path) already exists; choose another path or add --force to replace it")
    }

    private static func fileFailure(_ what: String) -> ReplicaError {
        ReplicaError(.fileSystem, "\(what): \(String(cString: strerror(errno)))")
    }

    private static func syncFile(_ path: String) throws {
        let descriptor = Foundation.open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw fileFailure("cannot open \(path)") }
        defer { _ = Foundation.close(descriptor) }
        guard fsync(descriptor) == 0 else { throw fileFailure("cannot sync \(path)") }
    }

    private static func syncDirectory(of path: String) {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        let descriptor = Foundation.open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if descriptor >= 0 {
            _ = fsync(descriptor)
            _ = Foundation.close(descriptor)
        }
    }
}
