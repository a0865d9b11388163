import ArchiveModel
import ArticleProjector
import EventJournal
import Foundation
import GRDB

/// What `verify` found: one result per invariant checked.
package struct VerifyReport: Sendable {
    package var checks: [EventJournal.CheckResult]
    package var digest: SHA256Digest
    package var rebuiltDigest: SHA256Digest
    package var events: Int
    /// What was found of each origin's signatures, with the name its events carried.
    package var origins: [(signatures: EventJournal.OriginSignatures, name: String?)]
    package var ok: Bool { checks.allSatisfy(\.ok) }
}

extension Replica {
    /// Replays the whole journal into fresh projection tables, in one transaction.
    ///
    /// Returns the number of events replayed. The digest after a rebuild equals the one kept up
    /// to date incrementally (invariant 6); `verify` checks that without touching the live tables.
    package func rebuild(progress: @Sendable (Int) -> Void = { _ in }) throws -> Int {
        try pool.write { db in try projector.rebuild(from: journal, db, progress: progress) }
    }

    /// Checks every invariant on the live file; changes nothing.
    ///
    /// The journal checks of `EventJournal.verify`, then the projection: each article's rows hash
    /// to its stored state hash, the digest is the XOR of those, and a rebuild of the journal into
    /// a scratch database gives the same digest (articles that differ are named).
    package func verify(progress: @Sendable (Int) -> Void = { _ in }) throws -> VerifyReport {
        let scratchDirectory = FileManager.default.temporaryDirectory
            .appendingPathComponent("archive-sync-verify-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratchDirectory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratchDirectory) }
        let scratch = try DatabaseQueue(path: scratchDirectory.appendingPathComponent("rebuild.sqlite").path)

        // The guards are proved to refuse in a write transaction rolled back (a read one would
        // refuse the probe for being read-only); a file that cannot be written cannot be changed
        // through them either, and only their presence is checked.
        let journal = self.journal
        var guardProblems: [String] = []
        do {
            guardProblems = try pool.write { db in try journal.guardProblems(db) }
        } catch let error as DatabaseError where error.resultCode == .SQLITE_READONLY {}
        let probed = guardProblems
        return try pool.read { db in
            var (checks, origins) = try journal.verifyWithSignatures(db)
            let names = try journal.replicaNames(db)
            if let index = checks.firstIndex(where: { $0.name == "append-only guards" }) {
                checks[index].problems += probed
            }
            let digest = try projector.digest(db)
            var projection = EventJournal.CheckResult(name: "projection", problems: [])
            let stored = try projector.digestOfStoredStates(db)
            if stored != digest {
                projection.problems.append(
                    "the kept digest \(digest.hex.prefix(16)) is not the XOR of the article hashes (\(stored.hex.prefix(16)))"
                )
            }
            projection.problems += try projector.inconsistentArticles(db)
            checks.append(projection)

            let (rebuiltDigest, differing, count) = try scratch.write { target in
                try ArticleProjector.createTables(target)
                let count = try projector.replay(journal, from: db, into: target, progress: progress)
                let rebuilt = try projector.digest(target)
                guard rebuilt != digest else { return (rebuilt, [String](), count) }
                let live = try projector.stateHashes(db)
                let fresh = try projector.stateHashes(target)
                let ids = Set(live.keys).union(fresh.keys).filter { live[$0] != fresh[$0] }.sorted().prefix(20)
                return (rebuilt, ids.map { "article \($0) differs from its rebuilt projection" }, count)
            }
            var rebuild = EventJournal.CheckResult(name: "incremental equals rebuild", problems: [])
            if rebuiltDigest != digest {
                rebuild.problems.append(
                    "the digest \(digest.hex.prefix(16)) is not that of a rebuild (\(rebuiltDigest.hex.prefix(16)))")
                rebuild.problems += differing
            }
            checks.append(rebuild)
            return VerifyReport(
                checks: checks, digest: digest, rebuiltDigest: rebuiltDigest, events: count,
                origins: origins.map { ($0, names[$0.origin]) })
        }
    }
}
