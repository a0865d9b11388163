/*
 Local bookkeeping, not replicated and not rebuilt: for each article, the hash of every field
 as its file last said it (at import or export), in table file_baseline(article, hashes) where
 `hashes` is 16 bytes of SHA-256 per field of `FileBaseline.fields`, in that order.
*/
import ArchiveModel
import Foundation
import GRDB

/// What an article's file said the last time it was imported or exported.
///
/// Import writes a field only when the file's value differs from this baseline, that is, when
/// the file itself changed. So an edit made in the replica (`edit`, or a change synced from
/// another replica) is not undone by importing the same, older file again.
struct FileBaseline: Equatable {
    static let fields: [Field] = [.url, .title, .body, .frontMatter, .capturedAt, .path]
    private static let hashLength = 16

    private var hashes: [Field: [UInt8]]

    init(_ values: [(Field, FieldValue)]) {
        hashes = [:]
        for (field, value) in values { hashes[field] = Self.hash(value) }
    }

    /// True when the file still says what it said at the baseline for `field`.
    func isUnchanged(_ field: Field, _ value: FieldValue) -> Bool {
        hashes[field] == Self.hash(value)
    }

    static func registerMigrations(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration("replica-file-baseline") { db in
            try db.execute(sql: "CREATE TABLE file_baseline (article TEXT PRIMARY KEY, hashes BLOB NOT NULL)")
        }
    }

    static func load(_ id: ArticleID, _ db: Database) throws -> FileBaseline? {
        guard
            let data = try Data.fetchOne(
                db.cachedStatement(sql: "SELECT hashes FROM file_baseline WHERE article = ?"), arguments: [id.hex]),
            data.count == fields.count * hashLength
        else { return nil }
        let bytes = Array(data)
        var baseline = FileBaseline([])
        for (index, field) in fields.enumerated() {
            baseline.hashes[field] = Array(bytes[(index * hashLength)..<((index + 1) * hashLength)])
        }
        return baseline
    }

    func save(_ id: ArticleID, _ db: Database) throws {
        var bytes: [UInt8] = []
        for field in Self.fields { bytes += hashes[field] ?? [UInt8](repeating: 0, count: Self.hashLength) }
        try db.cachedStatement(
            sql: """
                INSERT INTO file_baseline (article, hashes) VALUES (?, ?)
                ON CONFLICT (article) DO UPDATE SET hashes = excluded.hashes
                """
        ).execute(arguments: [id.hex, Data(bytes)])
    }

    private static func hash(_ value: FieldValue) -> [UInt8] {
        Array(value.valueHash.bytes.prefix(hashLength))
    }
}
