/*
 Bearer tokens for `serve` (protocol/SPEC.md, Authentication), kept in the `token` table of
 SyncBookkeeping. The secret itself is printed once by `token create` and never stored.
*/
import ArchiveModel
import Foundation
import GRDB
import SyncBookkeeping

extension Replica {
    /// Makes a token and returns its secret, which is not stored and cannot be shown again.
    ///
    /// Throws `invalidValue` for an empty name and `alreadyExists` for a name in use.
    package func createToken(name: String, scope: TokenScope) throws -> String {
        guard !name.isEmpty, name.utf8.count <= 64, !name.unicodeScalars.contains(where: { $0.value < 0x20 }) else {
            throw ReplicaError(.invalidValue, "a token name must be 1 to 64 bytes without control characters")
        }
        var generator = SystemRandomNumberGenerator()
        let secret = "as1_" + Hex.encode((0..<24).map { _ in UInt8.random(in: 0...255, using: &generator) })
        let hash = SHA256Digest.of(Array(secret.utf8))
        try pool.write { db in
            if try TokenTable.exists(named: name, db) {
                throw ReplicaError(
                    .alreadyExists, "a token named \(name) already exists; revoke it or choose another name")
            }
            try TokenTable.insert(name: name, secretHash: hash, scope: scope, createdAt: wallClock(), db)
        }
        return secret
    }

    /// Every token, active or revoked, by name.
    package func tokens() throws -> [TokenRecord] {
        try read { db in try TokenTable.all(db) }
    }

    /// Revokes a token: it is refused from now on. Throws `unknownToken` for a name never made.
    package func revokeToken(name: String) throws {
        try pool.write { db in
            guard try TokenTable.revoke(named: name, at: wallClock(), db) else {
                throw ReplicaError(.unknownToken, "there is no token named \(name) (see `archive-sync token list`)")
            }
        }
    }

    /// The active token whose secret is `secret`, if any.
    package func authenticate(_ secret: String) async throws -> TokenRecord? {
        let hash = SHA256Digest.of(Array(secret.utf8))
        return try await pool.read { db in try TokenTable.active(secretHash: hash, db) }
    }

    /// True when at least one token is active (`serve` refuses to start otherwise).
    package func hasActiveTokens() throws -> Bool {
        try read { db in try TokenTable.anyActive(db) }
    }
}
