import ArchiveModel
import Foundation
import GRDB

extension EventJournal {
    /// The outcome of one check of `verify`.
    package struct CheckResult: Sendable {
        package var name: String
        package var problems: [String]
        package var ok: Bool { problems.isEmpty }

        package init(name: String, problems: [String]) {
            self.name = name
            self.problems = problems
        }
    }

    /// What `verify` found of one origin's signatures.
    package struct OriginSignatures: Sendable, Equatable {
        package var origin: OriginID
        /// The key its first event brought; nil for an unsigned origin.
        package var key: OriginKey?
        package var events: Int
        /// Events whose signature verified against `key`.
        package var verified: Int
        /// Events whose signature is missing, malformed or not `key`'s.
        package var bad: Int
        package var isSigned: Bool { key != nil }
    }

    /// Proves that the append-only guards refuse: an UPDATE and a DELETE of the journal's first
    /// row are each tried in a savepoint that is rolled back, and must be refused by a trigger
    /// (a constraint failure). Returns what was not refused; an empty journal proves nothing and
    /// returns nothing.
    ///
    /// Must run in a write transaction the caller owns (in a read-only one SQLite refuses the
    /// statements before any trigger runs, which would prove nothing); the journal is left as it
    /// was whatever happens.
    ///
    /// - Throws: GRDB's `DatabaseError` for any failure other than a trigger's refusal.
    package func guardProblems(_ db: Database) throws -> [String] {
        var problems: [String] = []
        let probes = [
            ("an UPDATE", "UPDATE journal SET kind = kind WHERE position = (SELECT min(position) FROM journal)"),
            ("a DELETE", "DELETE FROM journal WHERE position = (SELECT min(position) FROM journal)"),
        ]
        for (what, sql) in probes {
            var changed = 0
            do {
                try db.inSavepoint {
                    try db.execute(sql: sql)
                    changed = db.changesCount
                    return .rollback
                }
            } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
                continue  // Refused by a guard, as it must be.
            }
            if changed > 0 { problems.append("\(what) of the journal was not refused") }
        }
        return problems
    }

    /// Checks invariants 1 to 3 on the stored journal, row by row, in bounded memory.
    ///
    /// Reports (at most `limit` problems per check): missing guard triggers; rows that do not
    /// decode, are not canonical, do not hash to their stored hash or whose columns disagree
    /// with their payload; gaps and broken hash chains; events stored before their causal past
    /// or with a hybrid clock not after it; a knowledge table that disagrees with the rows.
    ///
    /// A problem found is reported, never thrown, and nothing is repaired: the results come back
    /// in a fixed order (append-only guards, event rows, hash chains, causal order, knowledge
    /// vector). Runs in the caller's transaction, which may be read-only: it checks that the guards
    /// are there; `guardProblems(_:)`, in a write transaction, proves that they refuse.
    ///
    /// ```swift
    /// let checks = try dbPool.read { db in try journal.verify(db) }
    /// for check in checks where !check.ok { print(check.name, check.problems) }
    /// ```
    ///
    /// - Throws: GRDB's `DatabaseError` when SQLite fails.
    package func verify(_ db: Database, limit: Int = 20) throws -> [CheckResult] {
        try verifyWithSignatures(db, limit: limit).checks
    }

    /// `verify(_:limit:)`, with what was found of each origin's signatures (by origin).
    ///
    /// The check "signatures" reports every event of a signed origin whose signature is missing
    /// or is not its origin key's signature of its hash, every signature carried by an event of an
    /// unsigned origin, and a stored key that is not the one the origin's first event carries.
    package func verifyWithSignatures(
        _ db: Database, limit: Int = 20
    ) throws -> (checks: [CheckResult], origins: [OriginSignatures]) {
        let triggers = Set(try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'trigger'"))
        let missingTriggers = Self.guardTriggers.filter { !triggers.contains($0) }
        let guards = CheckResult(
            name: "append-only guards",
            problems: missingTriggers.map {
                "the trigger \($0) is missing: the journal is no longer protected against changes"
            })

        var rows = CheckResult(name: "event rows", problems: [])
        var chains = CheckResult(name: "hash chains", problems: [])
        var causal = CheckResult(name: "causal order", problems: [])
        var signatures = CheckResult(name: "signatures", problems: [])
        var origins: [OriginID: OriginSignatures] = [:]
        let storedKeys = try keys(db)
        var last: [OriginID: (seq: Int, hash: SHA256Digest, hlc: HybridTimestamp, position: Int64)] = [:]
        var position: Int64 = 0
        func note(_ check: inout CheckResult, _ message: String) {
            if check.problems.count < limit { check.problems.append(message) }
        }
        while true {
            let batch = try Row.fetchAll(
                db,
                sql: """
                    SELECT position, origin, seq, hlc, article, kind, prev, hash, payload, signature FROM journal
                    WHERE position > ? ORDER BY position LIMIT 1000
                    """, arguments: [position])
            for row in batch {
                position = row[0]
                let label = "row \(position) (\(String((row[1] as String).prefix(8))):\(row[2] as Int64))"
                guard let hash = SHA256Digest(bytes: Array(row[7] as Data)) else {
                    note(&rows, "\(label): the stored hash is not 32 bytes")
                    continue
                }
                let event: Event
                do {
                    event = try Event(
                        payload: Array(row[8] as Data), hash: hash,
                        signature: try signature(row[9], position: position),
                        verify: true)
                } catch {
                    note(&rows, "\(label): \(error)")
                    continue
                }
                var summary =
                    origins[event.origin]
                    ?? OriginSignatures(origin: event.origin, key: nil, events: 0, verified: 0, bad: 0)
                if event.seq == 1 {
                    summary.key = event.key
                    if storedKeys[event.origin] != event.key {
                        note(
                            &signatures, "\(label): the stored key of its origin is not the one its first event carries"
                        )
                    }
                }
                summary.events += 1
                if let key = summary.key {
                    if let signature = event.signature, key.isValid(signature, ofEvent: event.hash) {
                        summary.verified += 1
                    } else {
                        summary.bad += 1
                        note(
                            &signatures,
                            event.signature == nil
                                ? "\(label): it has no signature, and its origin signs every event"
                                : "\(label): its signature is not its origin key's signature of its hash")
                    }
                } else if event.signature != nil {
                    summary.bad += 1
                    note(&signatures, "\(label): it carries a signature, but its origin is unsigned history")
                }
                origins[event.origin] = summary
                if event.origin.hex != row[1] || event.seq != row[2] || event.hlc.packed != row[3]
                    || event.article.hex != row[4] || event.kind.rawValue != row[5]
                    || Data(event.prev.bytes) != row[6]
                {
                    note(&rows, "\(label): its columns do not match the event it stores")
                }
                let previous = last[event.origin]
                if event.seq != (previous?.seq ?? 0) + 1 {
                    note(
                        &chains, "\(label): expected seq \((previous?.seq ?? 0) + 1) of its origin, found \(event.seq)")
                } else if event.prev != (previous?.hash ?? .zero) {
                    note(&chains, "\(label): its prev is not the hash of the event before it")
                }
                for (origin, seq) in event.clock.sortedEntries where origin != event.origin {
                    guard let held = last[origin], held.seq >= seq else {
                        note(&causal, "\(label): stored before \(origin.short):\(seq), which it depends on")
                        continue
                    }
                    let pastHLC =
                        held.seq == seq
                        ? held.hlc
                        : try Int64.fetchOne(
                            db, sql: "SELECT hlc FROM journal WHERE origin = ? AND seq = ?",
                            arguments: [origin.hex, seq]
                        ).map(HybridTimestamp.init(packed:))
                    if let pastHLC, event.hlc <= pastHLC {
                        note(&causal, "\(label): its hybrid clock is not after that of \(origin.short):\(seq)")
                    }
                }
                if let previous, event.hlc <= previous.hlc {
                    note(&causal, "\(label): its hybrid clock is not after that of its origin's previous event")
                }
                last[event.origin] = (event.seq, event.hash, event.hlc, position)
            }
            if batch.count < 1000 { break }
        }

        var knowledge = CheckResult(name: "knowledge vector", problems: [])
        let heads = try Row.fetchAll(db, sql: "SELECT origin, seq, hash, hlc, position FROM journal_head")
        var seen = Set<OriginID>()
        for head in heads {
            guard let origin = OriginID(hex: head[0]) else {
                note(&knowledge, "journal_head holds an unreadable origin")
                continue
            }
            seen.insert(origin)
            guard let actual = last[origin] else {
                note(&knowledge, "it lists \(origin.short), of which the journal holds no event")
                continue
            }
            if actual.seq != head[1] || Data(actual.hash.bytes) != head[2] || actual.hlc.packed != head[3]
                || actual.position != head[4]
            {
                note(&knowledge, "its entry for \(origin.short) does not match the journal's last event of that origin")
            }
        }
        for origin in Set(last.keys).subtracting(seen) {
            note(&knowledge, "it has no entry for \(origin.short), of which the journal holds events")
        }
        for origin in Set(storedKeys.keys).subtracting(origins.keys) {
            note(&signatures, "a key is stored for \(origin.short), of which the journal holds no event")
        }
        return ([guards, rows, chains, causal, signatures, knowledge], origins.values.sorted { $0.origin < $1.origin })
    }
}
