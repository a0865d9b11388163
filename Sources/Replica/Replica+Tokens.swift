/*
 Bearer tokens for `serve` (protocol/SPEC.md, Authentication), in table
 token(name PRIMARY KEY, hash UNIQUE = SHA-256 of the secret, scope, created_at, revoked_at).
 The secret itself is printed once by `token create` and never stored.
*/
import ArchiveModel
import Foundation
import GRDB

/// What a token may do.
public enum TokenScope: String, Sendable, CaseIterable, Comparable {
    /// `info` and `pull`.
    case read
    /// `info`, `pull` and `push`.
    case write

    public static func < (lhs: TokenScope, rhs: TokenScope) -> Bool { lhs == .read && rhs == .write }
}

/// A token as `token list` shows it (never with its secret).
public struct TokenRecord: Sendable, Equatable {
    public var name: String
    public var scope: TokenScope
    public var createdAt: Int64
    public var revokedAt: Int64?
    public var isActive: Bool { revokedAt == nil }
}

extension Replica {
    static func registerSyncMigrations(in migrator: inout DatabaseMigrator) {
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
    }

    /// Makes a token and returns its secret, which is not stored and cannot be shown again.
    ///
    /// Throws `invalidValue` for an empty name and `alreadyExists` for a name in use.
    public func createToken(name: String, scope: TokenScope) throws -> String {
        guard !name.isEmpty, name.utf8.count <= 64, !name.unicodeScalars.contains(where: { $0.value < 0x20 }) else {
            throw ReplicaError(.invalidValue, "a token name must be 1 to 64 bytes without control characters")
        }
        var generator = SystemRandomNumberGenerator()
        let secret = "as1_" + Hex.encode((0..<24).map { _ in UInt8.random(in: 0...255, using: &generator) })
        let hash = SHA256Digest.of(Array(secret.utf8))
        try pool.write { db in
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM token WHERE name = ?", arguments: [name]) == true {
                throw ReplicaError(
                    .alreadyExists, "a token named \(name) already exists; revoke it or choose another name")
            }
            try db.execute(
                sql: "INSERT INTO token (name, hash, scope, created_at) VALUES (?, ?, ?, ?)",
                arguments: [name, Data(hash.bytes), scope.rawValue, wallClock()])
        }
        return secret
    }

    /// Every token, active or revoked, by name.
    public func tokens() throws -> [TokenRecord] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT name, scope, created_at, revoked_at FROM token ORDER BY name").map {
                TokenRecord(
                    name: $0[0], scope: TokenScope(rawValue: $0[1]) ?? .read, createdAt: $0[2], revokedAt: $0[3])
            }
        }
    }

    /// Revokes a token: it is refused from now on. Throws `unknownToken` for a name never made.
    public func revokeToken(name: String) throws {
        try pool.write { db in
            guard
                let revoked = try Row.fetchOne(
                    db, sql: "SELECT revoked_at FROM token WHERE name = ?", arguments: [name])
            else {
                throw ReplicaError(.unknownToken, "there is no token named \(name) (see `archive-sync token list`)")
            }
            if (revoked[0] as Int64?) != nil { return }
            try db.execute(sql: "UPDATE token SET revoked_at = ? WHERE name = ?", arguments: [wallClock(), name])
        }
    }

    /// The active token whose secret is `secret`, if any.
    public func authenticate(_ secret: String) async throws -> TokenRecord? {
        let hash = Data(SHA256Digest.of(Array(secret.utf8)).bytes)
        return try await pool.read { db in
            try Row.fetchOne(
                db, sql: "SELECT name, scope, created_at, revoked_at FROM token WHERE hash = ? AND revoked_at IS NULL",
                arguments: [hash]
            ).map {
                TokenRecord(name: $0[0], scope: TokenScope(rawValue: $0[1]) ?? .read, createdAt: $0[2], revokedAt: nil)
            }
        }
    }

    /// True when at least one token is active (`serve` refuses to start otherwise).
    public func hasActiveTokens() throws -> Bool {
        try read { db in try Bool.fetchOne(db, sql: "SELECT 1 FROM token WHERE revoked_at IS NULL LIMIT 1") ?? false }
    }
}
