import ArchiveModel
import Foundation
import GRDB

/// What a token may do.
package enum TokenScope: String, Sendable, CaseIterable, Comparable {
    /// `info` and `pull`.
    case read
    /// `info`, `pull` and `push`.
    case write

    package static func < (lhs: TokenScope, rhs: TokenScope) -> Bool { lhs == .read && rhs == .write }
}

/// A token as `token list` shows it (never with its secret).
package struct TokenRecord: Sendable, Equatable {
    package var name: String
    package var scope: TokenScope
    package var createdAt: Int64
    package var revokedAt: Int64?
    package var isActive: Bool { revokedAt == nil }
}

/// The `token` table: a token is kept as the SHA-256 of its secret, never the secret.
package enum TokenTable {
    package static func exists(named name: String, _ db: Database) throws -> Bool {
        try Bool.fetchOne(db, sql: "SELECT 1 FROM token WHERE name = ?", arguments: [name]) == true
    }

    package static func insert(
        name: String, secretHash: SHA256Digest, scope: TokenScope, createdAt: Int64, _ db: Database
    ) throws {
        try db.execute(
            sql: "INSERT INTO token (name, hash, scope, created_at) VALUES (?, ?, ?, ?)",
            arguments: [name, Data(secretHash.bytes), scope.rawValue, createdAt])
    }

    /// Every token, active or revoked, by name.
    package static func all(_ db: Database) throws -> [TokenRecord] {
        try Row.fetchAll(db, sql: "SELECT name, scope, created_at, revoked_at FROM token ORDER BY name").map {
            TokenRecord(name: $0[0], scope: TokenScope(rawValue: $0[1]) ?? .read, createdAt: $0[2], revokedAt: $0[3])
        }
    }

    /// Marks the token `name` revoked at `time` unless it already is; false when there is no
    /// such token.
    package static func revoke(named name: String, at time: Int64, _ db: Database) throws -> Bool {
        guard let row = try Row.fetchOne(db, sql: "SELECT revoked_at FROM token WHERE name = ?", arguments: [name])
        else { return false }
        if (row[0] as Int64?) == nil {
            try db.execute(sql: "UPDATE token SET revoked_at = ? WHERE name = ?", arguments: [time, name])
        }
        return true
    }

    /// The active token whose secret hashes to `secretHash`, if any.
    package static func active(secretHash: SHA256Digest, _ db: Database) throws -> TokenRecord? {
        try Row.fetchOne(
            db, sql: "SELECT name, scope, created_at, revoked_at FROM token WHERE hash = ? AND revoked_at IS NULL",
            arguments: [Data(secretHash.bytes)]
        ).map {
            TokenRecord(name: $0[0], scope: TokenScope(rawValue: $0[1]) ?? .read, createdAt: $0[2], revokedAt: nil)
        }
    }

    /// True when at least one token is active.
    package static func anyActive(_ db: Database) throws -> Bool {
        try Bool.fetchOne(db, sql: "SELECT 1 FROM token WHERE revoked_at IS NULL LIMIT 1") ?? false
    }
}
