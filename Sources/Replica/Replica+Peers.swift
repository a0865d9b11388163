import ArchiveModel
import Foundation
import GRDB
import SyncBookkeeping

extension Replica {
    /// Adds (or replaces) a named peer.
    ///
    /// Throws `invalidValue` for a name that is empty, holds `/` or `:` or breaks the name rules,
    /// and for a URL that is not http or https.
    package func addPeer(name: String, url: String, tokenFile: String?) throws {
        // On bytes: a Character would hide a "/" followed by a combining mark.
        guard !name.isEmpty, !name.utf8.contains(UInt8(ascii: "/")), !name.utf8.contains(UInt8(ascii: ":")) else {
            throw ReplicaError(
                .invalidValue, "a peer name must not be empty or contain / or : (it is used in place of a URL)")
        }
        do { try FieldRules.validateName(name) } catch let error as ArchiveModelError {
            throw ReplicaError(.invalidValue, "a peer name: \(error.message)")
        }
        guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
            throw ReplicaError(.invalidValue, "a peer URL starts with http:// or https://, not \(url)")
        }
        try pool.write { db in try PeerTable.save(PeerRecord(name: name, url: url, tokenFile: tokenFile), db) }
    }

    /// Pins the named peer to the server origin `origin`: its syncs stop when the server is another.
    ///
    /// Throws `unknownPeer` when there is no peer of that name.
    package func pinPeer(name: String, origin: OriginID) throws {
        try pool.write { db in
            guard try PeerTable.pin(named: name, origin: origin.hex, db) else {
                throw ReplicaError(.unknownPeer, "there is no peer named \(name) (see `archive-sync peer list`)")
            }
        }
    }

    /// Removes a named peer; throws `unknownPeer` when there is none.
    package func removePeer(name: String) throws {
        try pool.write { db in
            guard try PeerTable.remove(named: name, db) else {
                throw ReplicaError(.unknownPeer, "there is no peer named \(name) (see `archive-sync peer list`)")
            }
        }
    }

    /// Every named peer, by name.
    package func peers() throws -> [PeerRecord] {
        try read { db in try PeerTable.all(db) }
    }

    /// The peer named `name`, if there is one.
    package func peer(named name: String) throws -> PeerRecord? {
        try peers().first { $0.name == name }
    }

    /// Records how a sync went (the last one per peer is kept).
    ///
    /// Bookkeeping, not data: written without waiting for the disk (a power cut may lose the
    /// record of the last sync, never an event), which keeps a sync with nothing to do quick.
    package func record(_ sync: SyncRecord) throws {
        try pool.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            defer { try? db.execute(sql: "PRAGMA synchronous = FULL") }
            try db.inTransaction {
                try PeerTable.save(sync, db)
                return .commit
            }
        }
    }

    /// The last sync with every peer or URL synced with.
    package func syncRecords() throws -> [SyncRecord] {
        try read { db in try PeerTable.syncRecords(db) }
    }
}
