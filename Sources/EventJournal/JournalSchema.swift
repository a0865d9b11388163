/*
 The journal's tables (migration "journal-v1"); protocol/CANONICAL.md describes `payload`.

   journal(position INTEGER PRIMARY KEY,   insertion order, always a causal order
           origin, seq, hlc (packed), article, kind, prev, hash, payload)
           UNIQUE(origin, seq); index on article
   journal_head(origin PRIMARY KEY, seq, hash, hlc, position)   last event of each origin: the
           knowledge vector, kept by an AFTER INSERT trigger
   journal_origin_name(origin PRIMARY KEY, name)   replica names carried by events
 Migration "journal-signatures-v1" (signed origins, protocol/CANONICAL.md):
   journal.signature BLOB   the origin's Ed25519 signature of the event's hash; NULL for the
           events of an unsigned origin (made before signatures existed)
   journal_origin_key(origin PRIMARY KEY, key)   the public key carried by each signed origin's
           first event: what its later events are checked against

 Triggers make invariants 1 and 2 hold whatever the caller: UPDATE and DELETE of journal rows
 abort, and an INSERT that is not the next seq of its origin or whose prev is not the hash of the
 origin's last event aborts.
*/
import GRDB

extension EventJournal {
    /// Adds the journal's migrations to `migrator`; they run before the projection's.
    ///
    /// ```swift
    /// var migrator = DatabaseMigrator()
    /// EventJournal.registerMigrations(in: &migrator)
    /// ArticleProjector.registerMigrations(in: &migrator)
    /// try migrator.migrate(dbPool)
    /// ```
    ///
    /// - Precondition: No migration named "journal-v1" is registered in `migrator` yet (GRDB's
    ///   `registerMigration` requires distinct names).
    package static func registerMigrations(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration("journal-v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE journal (
                        position INTEGER PRIMARY KEY,
                        origin TEXT NOT NULL,
                        seq INTEGER NOT NULL,
                        hlc INTEGER NOT NULL,
                        article TEXT NOT NULL,
                        kind TEXT NOT NULL,
                        prev BLOB NOT NULL,
                        hash BLOB NOT NULL,
                        payload BLOB NOT NULL,
                        UNIQUE (origin, seq)
                    );
                    CREATE INDEX journal_by_article ON journal(article);
                    CREATE TABLE journal_head (
                        origin TEXT PRIMARY KEY,
                        seq INTEGER NOT NULL,
                        hash BLOB NOT NULL,
                        hlc INTEGER NOT NULL,
                        position INTEGER NOT NULL
                    );
                    CREATE TABLE journal_origin_name (
                        origin TEXT PRIMARY KEY,
                        name TEXT NOT NULL
                    );
                    CREATE TRIGGER journal_refuses_update BEFORE UPDATE ON journal
                    BEGIN SELECT RAISE(ABORT, 'the journal is append-only: UPDATE refused'); END;
                    CREATE TRIGGER journal_refuses_delete BEFORE DELETE ON journal
                    BEGIN SELECT RAISE(ABORT, 'the journal is append-only: DELETE refused'); END;
                    CREATE TRIGGER journal_keeps_chains BEFORE INSERT ON journal
                    WHEN NEW.seq != coalesce((SELECT seq FROM journal_head WHERE origin = NEW.origin), 0) + 1
                      OR NEW.prev != coalesce((SELECT hash FROM journal_head WHERE origin = NEW.origin), zeroblob(32))
                    BEGIN SELECT RAISE(ABORT, 'the journal refuses an event that is not the next of its origin''s hash chain'); END;
                    CREATE TRIGGER journal_advances_head AFTER INSERT ON journal
                    BEGIN
                        INSERT INTO journal_head (origin, seq, hash, hlc, position)
                        VALUES (NEW.origin, NEW.seq, NEW.hash, NEW.hlc, NEW.position)
                        ON CONFLICT (origin) DO UPDATE SET
                            seq = excluded.seq, hash = excluded.hash, hlc = excluded.hlc, position = excluded.position;
                    END;
                    """)
        }
        migrator.registerMigration("journal-signatures-v1") { db in
            try db.execute(
                sql: """
                    ALTER TABLE journal ADD COLUMN signature BLOB;
                    CREATE TABLE journal_origin_key (
                        origin TEXT PRIMARY KEY,
                        key BLOB NOT NULL
                    );
                    """)
        }
    }

    /// The names of the triggers that guard the journal; `verify` checks they are all present.
    package static let guardTriggers = [
        "journal_refuses_update", "journal_refuses_delete", "journal_keeps_chains", "journal_advances_head",
    ]
}
