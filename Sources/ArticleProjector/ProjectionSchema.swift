/*
 The projection's tables: a pure function of the events held (invariant 6), so `rebuild` may
 drop and refill them at any time.

   article(key INTEGER PRIMARY KEY  = ArticleID.rowid, the same on every replica,
           id, url, title, body, front_matter, captured_at, path, note, deleted,
           first_hlc, last_hlc,      earliest and latest hlc of the article's events
           state_hash)               SHA-256 of ArticleState.canonicalJSON
   article_head(article, field, origin, seq, hlc, value_hash)   the heads of every register
   article_tag_add(article, tag, origin, seq)                     surviving tag adds
   article_conflict(article, field)                               fields whose heads disagree
   article_search                 contentless FTS5 over title and body, segmented (SearchText)
   projection_state(key, value)                                   "digest": XOR of state hashes
*/
import GRDB

extension ArticleProjector {
    /// Adds the projection's migration to `migrator` (after the journal's).
    public static func registerMigrations(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration("projection-v1") { db in
            try createTables(db)
        }
    }

    static let tableNames = [
        "article", "article_head", "article_tag_add", "article_conflict", "article_search", "projection_state",
    ]

    /// Creates empty projection tables in `db`.
    public static func createTables(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE article (
                    key INTEGER PRIMARY KEY,
                    id TEXT NOT NULL UNIQUE,
                    url TEXT NOT NULL,
                    title TEXT NOT NULL,
                    body TEXT NOT NULL,
                    front_matter TEXT NOT NULL,
                    captured_at INTEGER NOT NULL,
                    path TEXT NOT NULL,
                    note TEXT NOT NULL,
                    deleted INTEGER NOT NULL,
                    first_hlc INTEGER NOT NULL,
                    last_hlc INTEGER NOT NULL,
                    state_hash BLOB NOT NULL
                );
                CREATE INDEX article_by_path ON article(path);
                    CREATE INDEX article_by_captured_at ON article(captured_at);
                CREATE TABLE article_head (
                    article INTEGER NOT NULL,
                    field TEXT NOT NULL,
                    origin TEXT NOT NULL,
                    seq INTEGER NOT NULL,
                    hlc INTEGER NOT NULL,
                    value_hash BLOB NOT NULL,
                    PRIMARY KEY (article, field, origin, seq)
                ) WITHOUT ROWID;
                CREATE TABLE article_tag_add (
                    article INTEGER NOT NULL,
                    tag TEXT NOT NULL,
                    origin TEXT NOT NULL,
                    seq INTEGER NOT NULL,
                    PRIMARY KEY (article, tag, origin, seq)
                ) WITHOUT ROWID;
                CREATE INDEX article_tag_add_by_tag ON article_tag_add(tag);
                CREATE TABLE article_conflict (
                    article INTEGER NOT NULL,
                    field TEXT NOT NULL,
                    PRIMARY KEY (article, field)
                ) WITHOUT ROWID;
                CREATE VIRTUAL TABLE article_search USING fts5(
                title, body, content = '', tokenize = 'unicode61 remove_diacritics 2');
                CREATE TABLE projection_state (key TEXT PRIMARY KEY, value BLOB NOT NULL);
                INSERT INTO projection_state (key, value) VALUES ('digest', zeroblob(32));
                """)
    }

    /// Drops every projection table (rebuild then creates them afresh).
    static func dropTables(_ db: Database) throws {
        for table in tableNames { try db.execute(sql: "DROP TABLE IF EXISTS \(table)") }
    }
}
