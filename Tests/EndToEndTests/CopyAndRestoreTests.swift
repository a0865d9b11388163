import ArchiveModel
import ArticleGenerator
import Foundation
import Replica
import TestSupport
import Testing

/// DESIGN.md invariant 8: a replica file restored from an old backup, or copied to make a second
/// replica, never forks or loses data silently.
struct CopyAndRestoreTests {
    func id(_ index: Int) -> String { ArticleGenerator(seed: 21).article(index).file.articleID.hex }

    func importGenerated(_ node: SyncNode, _ range: Range<Int>) throws {
        try node.cli.ok([
            "generate", node.cli.directory.file("articles"), "--count", String(range.count), "--from",
            String(range.lowerBound), "--seed", "21",
        ])
        try node.cli.ok(["import", node.cli.directory.file("articles")])
    }

    /// Copies a replica file (and its write-ahead log) while no process writes to it.
    func copyReplica(from source: String, to target: String) throws {
        let fileManager = FileManager.default
        for suffix in ["", "-wal", "-shm"] {
            try? fileManager.removeItem(atPath: target + suffix)
            if fileManager.fileExists(atPath: source + suffix) {
                try fileManager.copyItem(atPath: source + suffix, toPath: target + suffix)
            }
        }
    }

    @Test func aLaptopRestoredFromAnOlderCopyGetsItsOwnEventsBackAndWritesOn() throws {
        let server = try SyncNode("server")
        let laptop = try SyncNode("laptop", serve: false)
        try importGenerated(laptop, 0..<20)
        try laptop.syncOK(with: server)
        let backup = laptop.cli.directory.file("backup.db")
        try copyReplica(from: laptop.cli.database, to: backup)

        for index in 0..<3 { try laptop.cli.ok(["note", id(index), "written after the backup"]) }
        try laptop.syncOK(with: server)
        try copyReplica(from: backup, to: laptop.cli.database)  // the disk died; the backup comes back

        let recovered = try laptop.sync(with: server)
        #expect(recovered.status == 0, "\(recovered.stderr)")
        #expect(recovered.stdout.contains("lost 3 of its own events"))
        #expect(try laptop.replica().article(ArticleID(hex: id(1))!).state.text(.note) == "written after the backup")
        try laptop.cli.ok(["note", id(5), "written after the restore"])
        try laptop.syncOK(with: server)
        #expect(try laptop.journal() == server.journal())
        #expect(try server.replica().article(ArticleID(hex: id(5))!).state.text(.note) == "written after the restore")
        #expect(try laptop.replica().verify().ok)
    }

    @Test func aCopiedFileIsDetectedAtItsFirstSyncAndReidentifiedWithNothingLost() throws {
        let server = try SyncNode("server")
        let original = try SyncNode("laptop", serve: false)
        try importGenerated(original, 0..<10)
        try original.syncOK(with: server)
        let copy = try CLI("copy")
        try copyReplica(from: original.cli.database, to: copy.database)

        // The copy may not write under the original's identity: refused with the way out.
        let write = try copy.run(["note", id(1), "written in the copy"])
        #expect(write.status == 1 && write.stderr.contains("reidentify"), "\(write.stderr)")
        let refused = try copy.run(["sync", server.url, "--token-file", server.tokenFile])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("copy") && refused.stderr.contains("reidentify"), "\(refused.stderr)")
        #expect(try copy.ok(["status"]).stdout.contains("warning"))

        try copy.ok(["reidentify", "--name", "second-laptop"])
        try copy.ok(["note", id(1), "written in the copy"])
        try copy.ok(["note", id(2), "also written in the copy"])
        try original.cli.ok(["note", id(3), "written in the original"])
        let first = try copy.run(["sync", server.url, "--token-file", server.tokenFile])
        #expect(first.status == 0, "\(first.stderr)")
        try original.syncOK(with: server)
        let second = try copy.run(["sync", server.url, "--token-file", server.tokenFile])
        #expect(second.status == 0, "\(second.stderr)")

        let copyReplica = try Replica.open(at: copy.database)
        for replica in [copyReplica, try original.replica(), try server.replica()] {
            #expect(try replica.article(ArticleID(hex: id(1))!).state.text(.note) == "written in the copy")
            #expect(try replica.article(ArticleID(hex: id(2))!).state.text(.note) == "also written in the copy")
            #expect(try replica.article(ArticleID(hex: id(3))!).state.text(.note) == "written in the original")
            #expect(try replica.digest() == server.replica().digest())
            #expect(try replica.verify().ok)
        }
        #expect(try copyReplica.identity().origin != original.replica().identity().origin)
    }

    @Test func aForkIsRefusedExplainedAndUndoneByReidentifyWithNothingLost() throws {
        let server = try SyncNode("server")
        let laptop = try SyncNode("laptop", serve: false)
        try importGenerated(laptop, 0..<10)
        try laptop.syncOK(with: server)
        let backup = laptop.cli.directory.file("backup.db")
        try copyReplica(from: laptop.cli.database, to: backup)
        try laptop.cli.ok(["note", id(1), "before the crash"])
        try laptop.syncOK(with: server)
        // Restored, and written to before it synced: its next event clashes with the one the server holds.
        try copyReplica(from: backup, to: laptop.cli.database)
        try laptop.cli.ok(["note", id(2), "after the restore, before syncing"])

        let forked = try laptop.sync(with: server)
        #expect(forked.status == 1)
        #expect(forked.stderr.contains("reidentify"), "\(forked.stderr)")
        let refusedWrite = try laptop.cli.run(["note", id(3), "refused"])
        #expect(refusedWrite.status == 1 && refusedWrite.stderr.contains("reidentify"))
        let before = try server.journal()

        let report = try laptop.cli.ok(["reidentify", "--json"]).json()
        #expect(report["reissued"]?.integerValue == 1)
        try laptop.syncOK(with: server)
        #expect(try server.journal().isSuperset(of: before))
        for replica in [try laptop.replica(), try server.replica()] {
            #expect(try replica.article(ArticleID(hex: id(1))!).state.text(.note) == "before the crash")
            #expect(
                try replica.article(ArticleID(hex: id(2))!).state.text(.note) == "after the restore, before syncing")
            #expect(try replica.verify().ok)
        }
        #expect(try laptop.journal() == server.journal())
        if let backupPath = report["backup"]?.stringValue {
            #expect(FileManager.default.fileExists(atPath: backupPath))
        }
    }
}
