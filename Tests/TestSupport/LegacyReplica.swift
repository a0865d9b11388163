import ArchiveModel
import Foundation
import GRDB
import Replica

/// Replica files as the version before signed origins made them.
package enum LegacyReplica {
    /// Turns a new replica's file into one as it was before events were signed: an origin of
    /// random digits, no key, no signature column, no key table, and unsigned events of its own.
    package static func make(at path: String) throws -> OriginID {
        let legacy = OriginID.random()
        let replica = try Replica.create(at: path, name: "old laptop")
        try FileManager.default.removeItem(atPath: SigningKeyFile.path(forReplicaAt: path))
        let events = try unsignedCreates(origin: legacy, count: 2, label: "old", name: "old laptop")
        _ = try replica.apply(events)
        try replica.close()
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            try db.execute(sql: "UPDATE replica_identity SET value = ? WHERE key = 'origin'", arguments: [legacy.hex])
            try db.execute(sql: "DELETE FROM replica_identity WHERE key = 'key'")
            try db.execute(sql: "DROP TABLE journal_origin_key")
            try db.execute(sql: "ALTER TABLE journal DROP COLUMN signature")
            try db.execute(sql: "ALTER TABLE peer DROP COLUMN origin")
            try db.execute(
                sql: "DELETE FROM grdb_migrations WHERE identifier IN ('journal-signatures-v1', 'peer-origin-pin')")
        }
        try queue.close()
        return legacy
    }

    /// `count` creates of articles at `https://news.example.org/LABEL/N` by the unsigned origin
    /// `origin`, chained, the first carrying `name`: history as written before events were signed
    /// (or as anybody could make it up under any origin id).
    package static func unsignedCreates(origin: OriginID, count: Int, label: String, name: String) throws -> [Event] {
        var events: [Event] = []
        for seq in 1...count {
            let url = "https://news.example.org/\(label)/\(seq)"
            var clock = VectorClock()
            clock[origin] = seq - 1
            events.append(
                try Event.seal(
                    Event.Draft(
                        origin: origin, seq: seq, hlc: HybridTimestamp(milliseconds: 1_000 + Int64(seq), counter: 0),
                        clock: clock, article: ArticleID(url: url), kind: .create,
                        changes: [
                            .set(.url, .text(url)), .set(.title, .text("\(label) \(seq)")),
                            .set(.body, .text("<p/>\n")),
                            .set(.capturedAt, .integer(1_000)), .set(.path, .text("\(label)/\(seq).txt")),
                        ], prev: events.last?.hash ?? .zero, name: seq == 1 ? name : nil)))
        }
        return events
    }
}
