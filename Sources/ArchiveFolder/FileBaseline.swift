/*
 What a file is compared with at import and at export, to tell a change made in the file from an
 older version of the article that the replica has moved on from.

 Local bookkeeping, not replicated and not rebuilt, in table
   file_baseline(folder, article, hashes)   PRIMARY KEY (folder, article)
 where `folder` is the real path (realpath) of the archive folder, `article` a capture's id, and
 `hashes` holds 16 bytes of SHA-256 per field of `FileBaseline.fields`, in that order: what the
 capture's file in that folder said when it was last imported from or exported to it. A row of
 another length (written before `date_line` was a field) is no baseline.

 The rule for one file field:
 - With a baseline for (folder, article): the file changed the field exactly when its value
   differs from the baseline. So importing a folder untouched since its last import or export
   writes nothing, whatever was exported elsewhere since, and a file edited back to an older
   value (a revision reverted) is imported.
 - Without one (a folder never seen, or moved): the field is new exactly when the journal has
   never held the value for the article (any event of it set it, or it is the field's default
   and the first event did not set it). So a copy of an old export never undoes a newer change.
 Import writes a field that differs from the article's value only when it is new; export
 overwrites a file that differs from the article only when no field of it is new.
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

/// What an article's file in one folder is compared with: that folder's last import or export,
/// else every value the journal ever held for the article.
package struct FileBaseline {
    package static let fields: [Field] = [.url, .title, .body, .frontMatter, .capturedAt, .path, .dateLine]
    private static let hashLength = 16

    /// The folder's baseline, when it has one.
    private var recorded: [Field: [UInt8]]?
    /// Without one, the hashes of every value the journal held for each field.
    private var known: [Field: Set<SHA256Digest>] = [:]

    /// The baseline of `article` in `folder` (a key from `folderKey(_:)`). Without a recorded
    /// one, reads the article's events only when `needsJournal` (a field differs).
    package static func load(
        folder: String, article: ArticleID, journal: EventJournal, needsJournal: Bool = true, _ db: Database
    ) throws -> FileBaseline {
        var baseline = FileBaseline()
        if let data = try Data.fetchOne(
            db.cachedStatement(sql: "SELECT hashes FROM file_baseline WHERE folder = ? AND article = ?"),
            arguments: [folder, article.hex]), data.count == fields.count * hashLength
        {
            let bytes = Array(data)
            var recorded: [Field: [UInt8]] = [:]
            for (index, field) in fields.enumerated() {
                recorded[field] = Array(bytes[(index * hashLength)..<((index + 1) * hashLength)])
            }
            baseline.recorded = recorded
            return baseline
        }
        if !needsJournal { return baseline }
        // One event at a time, keeping only hashes: an article may hold many large bodies.
        var first = true
        try journal.forEachEvent(ofArticle: article, db) { stored in
            for field in fields {
                if let value = stored.event.value(of: field) {
                    baseline.known[field, default: []].insert(value.valueHash)
                } else if first {
                    baseline.known[field, default: []].insert(field.defaultValue.valueHash)
                }
            }
            first = false
        }
        return baseline
    }

    /// True when `value` of `field` is not a change made in the file (see the rule above).
    package func isSettled(_ field: Field, _ value: FieldValue) -> Bool {
        if let recorded { return recorded[field] == Self.hash(value) }
        return known[field]?.contains(value.valueHash) ?? false
    }

    /// True when `folder` has a baseline row for `article` (of any length): the capture was
    /// imported from that folder or exported to it.
    package static func exists(folder: String, article: ArticleID, _ db: Database) throws -> Bool {
        try Bool.fetchOne(
            db.cachedStatement(sql: "SELECT 1 FROM file_baseline WHERE folder = ? AND article = ?"),
            arguments: [folder, article.hex]) ?? false
    }

    /// True when no field of `file` is a change made in the file: export may overwrite it.
    package func isSettled(_ file: ArticleFile) -> Bool {
        file.fieldValues.allSatisfy { isSettled($0.0, $0.1) }
    }

    /// True when the folder's recorded baseline is exactly `values`: nothing to save.
    package func records(_ values: [(Field, FieldValue)]) -> Bool {
        recorded == Self.hashes(values)
    }

    /// Records what `article`'s file in `folder` now says.
    package static func save(_ values: [(Field, FieldValue)], folder: String, article: ArticleID, _ db: Database) throws
    {
        let hashes = hashes(values)
        var bytes: [UInt8] = []
        for field in fields { bytes += hashes[field] ?? [UInt8](repeating: 0, count: hashLength) }
        try db.cachedStatement(
            sql: """
                INSERT INTO file_baseline (folder, article, hashes) VALUES (?, ?, ?)
                ON CONFLICT (folder, article) DO UPDATE SET hashes = excluded.hashes
                """
        ).execute(arguments: [folder, article.hex, Data(bytes)])
    }

    /// The key of the folder at `path`: its real path, so that one folder named two ways (a
    /// relative path, a link) has one baseline.
    package static func folderKey(_ path: String) -> String {
        guard let resolved = realpath(path, nil) else { return URL(fileURLWithPath: path).standardizedFileURL.path }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// Copies every baseline from the same table of the attached database `schema` (a replica
    /// file being made anew by `reidentify`). The caller owns the transaction.
    package static func copyRows(fromAttached schema: String, _ db: Database) throws {
        try db.execute(sql: "INSERT INTO main.file_baseline SELECT * FROM \(schema).file_baseline")
    }

    package static func registerMigrations(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration("replica-file-baseline") { db in
            try db.execute(sql: "CREATE TABLE file_baseline (article TEXT PRIMARY KEY, hashes BLOB NOT NULL)")
        }
        // Baselines were kept per article, not per folder; those are dropped (the journal rule
        // then applies until a folder is imported or exported again).
        migrator.registerMigration("replica-file-baseline-per-folder") { db in
            try db.execute(
                sql: """
                    DROP TABLE file_baseline;
                    CREATE TABLE file_baseline (
                        folder TEXT NOT NULL, article TEXT NOT NULL, hashes BLOB NOT NULL,
                        PRIMARY KEY (folder, article)) WITHOUT ROWID;
                    """)
        }
    }

    private static func hashes(_ values: [(Field, FieldValue)]) -> [Field: [UInt8]] {
        var hashes: [Field: [UInt8]] = [:]
        for (field, value) in values where fields.contains(field) { hashes[field] = hash(value) }
        return hashes
    }

    private static func hash(_ value: FieldValue) -> [UInt8] {
        Array(value.valueHash.bytes.prefix(hashLength))
    }
}
