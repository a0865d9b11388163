/*
 What a replica keeps about syncing, beside its articles: the bearer tokens `serve` accepts, the
 named peers `sync` reaches, and how the last sync with each went. None of it is journaled or
 synced; losing it loses no article.

 Tables (created by `SyncBookkeeping.registerMigrations(in:)`):
   token(name PRIMARY KEY, hash UNIQUE = SHA-256 of the secret, scope, created_at, revoked_at)
   peer(name PRIMARY KEY, url, token_file, origin)   origin: the server's origin, pinned at the
             first sync with it (migration "peer-origin-pin")
   peer_sync(peer PRIMARY KEY, started_at, finished_at, sent_events, sent_bytes, received_events,
             received_bytes, result, clock_skew_ms, events_ahead_ms,
             contact_at, local_knowledge, server_knowledge, local_digest, server_digest, server_origin)
             the last columns (migration "peer-sync-contact"): where both sides stood at the end of
             the last sync that reached the peer; knowledge as "origin:seq,..." sorted, NULL when
             no sync has reached it
 Every function takes the `Database` of a transaction its caller owns (the replica).
*/
import GRDB

/// The schema of the sync bookkeeping tables.
package enum SyncBookkeeping {
    /// Registers the migrations that create and extend the tables, under the identifiers files
    /// made by earlier versions already record.
    package static func registerMigrations(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration("replica-sync-v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE token (
                        name TEXT PRIMARY KEY,
                        hash BLOB NOT NULL UNIQUE,
                        scope TEXT NOT NULL,
                        created_at INTEGER NOT NULL,
                        revoked_at INTEGER
                    );
                    CREATE TABLE peer (
                        name TEXT PRIMARY KEY,
                        url TEXT NOT NULL,
                        token_file TEXT
                    );
                    CREATE TABLE peer_sync (
                        peer TEXT PRIMARY KEY,
                        started_at INTEGER NOT NULL,
                        finished_at INTEGER NOT NULL,
                        sent_events INTEGER NOT NULL,
                        sent_bytes INTEGER NOT NULL,
                        received_events INTEGER NOT NULL,
                        received_bytes INTEGER NOT NULL,
                        result TEXT NOT NULL
                    );
                    """)
        }
        // The clock columns of the last syncs (protocol/CLOCKS.md): what `status` reports.
        migrator.registerMigration("peer-sync-clock") { db in
            try db.execute(sql: "ALTER TABLE peer_sync ADD COLUMN clock_skew_ms INTEGER")
            try db.execute(sql: "ALTER TABLE peer_sync ADD COLUMN events_ahead_ms INTEGER NOT NULL DEFAULT 0")
        }
        // Signed origins: the origin a named peer's server proved at the first sync with it.
        migrator.registerMigration("peer-origin-pin") { db in
            try db.execute(sql: "ALTER TABLE peer ADD COLUMN origin TEXT")
        }
        // What each side still lacked at the last contact: both knowledge vectors and digests as
        // the sync ended (SyncContact), so that `status` can say what was pending.
        migrator.registerMigration("peer-sync-contact") { db in
            try db.execute(sql: "ALTER TABLE peer_sync ADD COLUMN contact_at INTEGER")
            for column in ["local_knowledge", "server_knowledge", "local_digest", "server_digest", "server_origin"] {
                try db.execute(sql: "ALTER TABLE peer_sync ADD COLUMN \(column) TEXT")
            }
        }
    }

    /// Copies every row of the bookkeeping tables from the same tables of the attached database
    /// `schema` (a replica file being made anew by `reidentify`). The caller owns the transaction.
    package static func copyRows(fromAttached schema: String, _ db: Database) throws {
        for table in ["token", "peer", "peer_sync"] {
            try db.execute(sql: "INSERT INTO main.\(table) SELECT * FROM \(schema).\(table)")
        }
    }
}
