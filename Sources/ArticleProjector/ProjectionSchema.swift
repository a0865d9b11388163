/*
 The projection's tables: a pure function of the events held (invariant 6), so `rebuild` may
 drop and refill them at any time.

   article(key INTEGER PRIMARY KEY  in order of arrival (rows append; other tables refer to it),
           id UNIQUE,                the record: one capture (a file of the archive)
           article_id,               the article it is a capture of: ArticleID(url:) of its url
           url, title, body, front_matter, captured_at, date_line, path, note, deleted,
           first_hlc, last_hlc,      earliest and latest hlc of the article's events
           state_hash,               SHA-256 of ArticleState.canonicalJSON
           heads, tag_adds)          register heads and surviving tag adds (RegisterCodec)
   article_head(article_id PRIMARY KEY,  one row per article (captures sharing a url):
           head,                     key of the capture list and search show: the newest live one
                                     (highest captured_at, then id), else the newest deleted one
           captures, live,           how many captures it has, how many of them are not deleted
           last_hlc,                 latest hlc of any of its captures
           captured_at)              the head's capture time (list's default order, by index)
   article_tag(article, tag)                                      tags present, for queries
   article_conflict(article, field)                               fields whose heads disagree
   article_search                 contentless FTS5 over title and body, segmented (SearchText)
   article_search_row(rowid, article)   which capture each index row is (rowids follow capture
                                  times: SearchIndex.swift)
   search_pending(article)        captures waiting to be indexed (the index follows behind)
   projection_state(key, value)                                   "digest": XOR of state hashes
*/
import EventJournal
import GRDB

extension ArticleProjector {
    /// Adds the projection's migration to `migrator` (after the journal's).
    ///
    /// See `EventJournal.registerMigrations(in:)` for the order in which a replica registers them.
    package static func registerMigrations(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration("projection-v1") { db in
            try createTables(db)
        }
        // Captures: the article rows gain the article they belong to and the date line, and
        // articles get a head row; the tables are rebuilt from the journal.
        migrator.registerMigration("projection-v2-captures") { db in
            _ = try ArticleProjector().rebuild(from: EventJournal(), db, indexSearch: false)
        }
        registerSearchMigration(in: &migrator)
    }

    static let tableNames = [
        "article", "article_head", "article_tag", "article_conflict", "article_search", "article_search_row",
        "search_pending", "projection_state",
    ]

    /// Creates empty projection tables in `db`, with a zero digest.
    ///
    /// Runs in the caller's write transaction; throws GRDB's `DatabaseError` when SQLite fails
    /// (for example when the tables exist already).
    package static func createTables(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE article (
                    key INTEGER PRIMARY KEY,
                    id TEXT NOT NULL UNIQUE,
                    article_id TEXT NOT NULL,
                    url TEXT NOT NULL,
                    title TEXT NOT NULL,
                    body TEXT NOT NULL,
                    front_matter TEXT NOT NULL,
                    captured_at INTEGER NOT NULL,
                    date_line TEXT NOT NULL,
                    path TEXT NOT NULL,
                    note TEXT NOT NULL,
                    deleted INTEGER NOT NULL,
                    first_hlc INTEGER NOT NULL,
                    last_hlc INTEGER NOT NULL,
                    state_hash BLOB NOT NULL,
                    heads BLOB NOT NULL,
                    tag_adds BLOB NOT NULL
                );
                CREATE INDEX article_by_path ON article(path);
                CREATE INDEX article_by_captured_at ON article(captured_at);
                CREATE INDEX article_by_article_id ON article(article_id);
                CREATE TABLE article_head (
                    article_id TEXT PRIMARY KEY,
                    head INTEGER NOT NULL,
                    captures INTEGER NOT NULL,
                    live INTEGER NOT NULL,
                    last_hlc INTEGER NOT NULL,
                    captured_at INTEGER NOT NULL
                ) WITHOUT ROWID;
                CREATE INDEX article_head_by_captured_at ON article_head(captured_at);
                CREATE TABLE article_tag (
                    article INTEGER NOT NULL,
                    tag TEXT NOT NULL,
                    PRIMARY KEY (article, tag)
                ) WITHOUT ROWID;
                CREATE INDEX article_tag_by_tag ON article_tag(tag);
                CREATE TABLE article_conflict (
                    article INTEGER NOT NULL,
                    field TEXT NOT NULL,
                    PRIMARY KEY (article, field)
                ) WITHOUT ROWID;
                CREATE TABLE projection_state (key TEXT PRIMARY KEY, value BLOB NOT NULL);
                INSERT INTO projection_state (key, value) VALUES ('digest', zeroblob(32));
                """)
        try createSearchTables(db)
    }

    /// Drops every projection table (rebuild then creates them afresh).
    static func dropTables(_ db: Database) throws {
        for table in tableNames { try db.execute(sql: "DROP TABLE IF EXISTS \(table)") }
    }
}
