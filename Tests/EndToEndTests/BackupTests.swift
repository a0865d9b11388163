import ArchiveModel
import ArticleGenerator
import Foundation
import Replica
import TestSupport
import Testing

/// `archive-sync backup`: a consistent copy of a replica that others write to, which knows it is a
/// backup, so that a restore in place never forks its origin (DESIGN.md invariant 8).
struct BackupTests {
    func id(_ index: Int) -> String { ArticleGenerator(seed: 31).article(index).file.articleID.hex }

    /// Writes notes through the Replica API on a thread of its own until told how many to stop at.
    final class Writer: @unchecked Sendable {
        private let lock = NSCondition()
        private var written = 0
        private var stopAt = Int.max
        private var failure: (any Error)?
        private var finished = false

        func start(_ replica: Replica, articles: [ArticleID]) {
            let thread = Thread { [self] in
                var count = 0
                while true {
                    lock.lock()
                    let done = count >= stopAt
                    lock.unlock()
                    if done { break }
                    do {
                        _ = try replica.edit(
                            articles[count % articles.count], values: [(.note, .text("note \(count)"))])
                    } catch {
                        lock.lock()
                        failure = error
                        lock.unlock()
                        break
                    }
                    count += 1
                    lock.lock()
                    written = count
                    lock.broadcast()
                    lock.unlock()
                }
                lock.lock()
                finished = true
                lock.broadcast()
                lock.unlock()
            }
            thread.start()
        }

        /// Waits until at least `count` notes are written (or the writer failed); returns how many are.
        func wait(forAtLeast count: Int) -> Int {
            lock.lock()
            defer { lock.unlock() }
            while written < count, failure == nil, !finished { lock.wait() }
            return written
        }

        /// Lets the writer write `more` notes beyond those written now, then waits for it to stop.
        func stop(after more: Int) throws -> Int {
            lock.lock()
            defer { lock.unlock() }
            stopAt = written + more
            lock.broadcast()
            while !finished { lock.wait() }
            if let failure { throw failure }
            return written
        }
    }

    /// Every (origin, seq) of `replica` with its hash, and whether each origin is a gap-free prefix.
    func events(of path: String) throws -> (set: Set<String>, knowledge: VectorClock, gapFree: Bool) {
        let replica = try Replica.open(at: path)
        let all = try replica.events(missingFrom: VectorClock(), limit: 1_000_000, maxBytes: .max)
        var seqs: [OriginID: [Int]] = [:]
        for event in all { seqs[event.origin, default: []].append(event.seq) }
        let gapFree = seqs.values.allSatisfy { $0.sorted() == Array(1...$0.count) }
        return (Set(all.map { "\($0.origin.hex):\($0.seq):\($0.hash.hex)" }), try replica.knowledge(), gapFree)
    }

    @Test func aBackupTakenWhileAWriterAppendsIsConsistentAndRestoresInPlaceWithoutAFork() throws {
        let server = try SyncNode("server")
        let laptop = try SyncNode("laptop", serve: false)
        try laptop.cli.ok(["generate", laptop.cli.directory.file("articles"), "--count", "30", "--seed", "31"])
        try laptop.cli.ok(["import", laptop.cli.directory.file("articles")])
        try laptop.syncOK(with: server)
        let ownBefore = try laptop.replica().knowledge()[try laptop.replica().identity().origin]

        // A writer appends events the whole time the backup runs.
        let writer = Writer()
        let live = try laptop.replica()
        writer.start(live, articles: (0..<30).map { ArticleID(hex: id($0))! })
        #expect(writer.wait(forAtLeast: 20) >= 20)
        let backupFile = laptop.cli.directory.file("laptop-backup.db")
        let backup = try laptop.cli.ok(["backup", backupFile, "--json"]).json()
        let total = try writer.stop(after: 10)
        try live.close()

        // The copy: one file, mode 0600, every invariant holding, each origin a gap-free prefix of
        // what the original holds, and the knowledge it reported.
        #expect(!FileManager.default.fileExists(atPath: backupFile + "-wal"))
        let mode = try FileManager.default.attributesOfItem(atPath: backupFile)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(!FileManager.default.fileExists(atPath: backupFile + ".key"))
        let verify = try laptop.cli.run(["verify", "--db", backupFile])
        #expect(verify.status == 0 && verify.stdout.contains("All invariants hold"), "\(verify.stdout)\(verify.stderr)")
        let copy = try events(of: backupFile)
        let original = try events(of: laptop.cli.database)
        #expect(copy.gapFree)
        #expect(copy.set.isSubset(of: original.set))
        let origin = try laptop.replica().identity().origin
        #expect(backup["knowledge"]?[origin.hex]?.integerValue == Int64(copy.knowledge[origin]))
        #expect(backup["own_events"]?.integerValue == Int64(copy.knowledge[origin]))
        #expect(copy.knowledge[origin] >= ownBefore + 20)
        #expect(copy.knowledge[origin] <= ownBefore + total - 10)
        #expect(backup["key_copied"]?.boolValue == false)

        // Opened elsewhere, the backup is a copy: it says so and writes nothing.
        let elsewhere = try laptop.cli.run(["note", id(1), "written in the backup", "--db", backupFile])
        #expect(elsewhere.status == 1)
        #expect(elsewhere.stderr.contains("backup") && elsewhere.stderr.contains("reidentify"), "\(elsewhere.stderr)")

        // Every later event reaches the server; then the disk dies and the backup comes back.
        try laptop.syncOK(with: server)
        let lost = original.knowledge[origin] - copy.knowledge[origin]
        for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: laptop.cli.database + suffix) }
        try FileManager.default.removeItem(atPath: laptop.cli.database)
        try FileManager.default.copyItem(atPath: backupFile, toPath: laptop.cli.database)

        // It says what it is, and refuses to write before it synced.
        let status = try laptop.cli.ok(["status", "--json"])
        #expect(status.stderr.contains("restored in place"), "\(status.stderr)")
        #expect(try status.json()["backup"]?["restored_in_place"]?.boolValue == true)
        let early = try laptop.cli.run(["note", id(2), "too early"])
        #expect(early.status == 1)
        #expect(early.stderr.contains("backup") && early.stderr.contains("archive-sync sync"), "\(early.stderr)")

        // The sync brings its later events back; then it writes on, and nothing forked or was lost.
        let recovered = try laptop.sync(with: server)
        #expect(recovered.status == 0, "\(recovered.stderr)")
        #expect(recovered.stdout.contains("lost \(lost) of its own events"), "\(recovered.stdout)")
        #expect(try laptop.journal() == original.set)
        try laptop.cli.ok(["note", id(3), "written after the restore"])
        try laptop.syncOK(with: server)
        #expect(try laptop.journal() == server.journal())
        #expect(try laptop.journal().isSuperset(of: original.set))
        #expect(try server.replica().article(ArticleID(hex: id(3))!).state.text(.note) == "written after the restore")
        #expect(try laptop.replica().restoredBackup() == nil)
        #expect(try laptop.replica().verify().ok)
        #expect(try !laptop.cli.ok(["status"]).stdout.contains("warning"))
    }

    @Test func aRestoredBackupWithNoPeerAtHandIsSettledByReidentify() throws {
        let cli = try CLI("backup-settle")
        try cli.ok(["init", "--name", "laptop"])
        try cli.ok(["generate", cli.directory.file("a"), "--count", "3", "--seed", "31"])
        try cli.ok(["import", cli.directory.file("a")])
        let backupFile = cli.directory.file("backup.db")
        try cli.ok(["backup", backupFile])
        try FileManager.default.removeItem(atPath: cli.database)
        for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: cli.database + suffix) }
        try FileManager.default.copyItem(atPath: backupFile, toPath: cli.database)

        #expect(try cli.run(["note", id(0), "refused"]).status == 1)
        let confirmed = try cli.ok(["reidentify", "--restored"])
        #expect(confirmed.stdout.contains("writes on"), "\(confirmed.stdout)")
        try cli.ok(["note", id(0), "written after the confirmation"])
        #expect(try cli.ok(["reidentify", "--restored"]).stdout.contains("nothing to do"))
    }

    @Test func backupRefusesToOverwriteWithoutForceAndExplainsBadPaths() throws {
        let cli = try CLI("backup-paths")
        try cli.ok(["init", "--name", "laptop"])
        let file = cli.directory.file("backup.db")
        try cli.ok(["backup", file])
        let before = try Data(contentsOf: URL(fileURLWithPath: file))

        let again = try cli.run(["backup", file])
        #expect(again.status == 1)
        #expect(
            again.stderr == "archive-sync: \(file) already exists; choose another path or add --force to replace it\n")
        #expect(try Data(contentsOf: URL(fileURLWithPath: file)) == before)
        try cli.ok(["generate", cli.directory.file("a"), "--count", "2"])
        try cli.ok(["import", cli.directory.file("a")])
        let forced = try cli.ok(["backup", file, "--force", "--json"]).json()
        #expect(forced["events"]?.integerValue == 2)

        let cases: [(arguments: [String], message: String)] = [
            (
                ["backup", cli.directory.file("missing/backup.db")],
                "the folder \(cli.directory.file("missing")) does not exist; create it first"
            ),
            (
                ["backup", cli.directory.file("a")],
                "\(cli.directory.file("a")) is a folder; give the backup a file name inside it"
            ),
            (
                ["backup", cli.database, "--force"],
                "\(cli.database) is this replica's own file (or its log or key); a backup goes elsewhere"
            ),
            (
                ["backup", cli.database + ".key", "--force"],
                "\(cli.database).key is this replica's own file (or its log or key); a backup goes elsewhere"
            ),
        ]
        for (arguments, message) in cases {
            let result = try cli.run(arguments)
            #expect(result.status == 1, "\(arguments)")
            #expect(result.stderr == "archive-sync: \(message)\n", "\(arguments)")
        }
        #expect(try cli.ok(["verify"]).stdout.contains("All invariants hold"))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: cli.directory.url.path)
            .filter { $0.contains(".partial-") }
        #expect(leftovers.isEmpty)
    }
}
