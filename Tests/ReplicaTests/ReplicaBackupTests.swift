import ArchiveModel
import Foundation
import Replica
import TestSupport
import Testing

/// `Replica.backup(to:)` and the mark it leaves: what a restored backup refuses, and what settles it.
struct ReplicaBackupTests {
    let work: TemporaryDirectory
    let path: String
    let laptop: Replica
    let id: ArticleID

    init() throws {
        work = try TemporaryDirectory("backup")
        path = work.file("laptop.db")
        laptop = try Replica.create(at: path, name: "laptop")
        id = try laptop.capture(url: "https://example.org/a/1", title: "A title", body: "<p>body</p>\n").article
    }

    /// Puts the backup at `backup` in place of the replica's file, as a restore would.
    func restore(_ backup: String) throws -> Replica {
        try laptop.close()
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        try FileManager.default.copyItem(atPath: backup, toPath: path)
        return try Replica.open(at: path)
    }

    @Test func theCopyIsMarkedAndTheOriginalIsNot() throws {
        let backup = work.file("backup.db")
        let report = try laptop.backup(to: backup, replacing: false)
        #expect(report.ownEvents == 1)
        #expect(try report.knowledge == laptop.knowledge())
        #expect(try laptop.restoredBackup() == nil)
        let copy = try Replica.open(at: backup)
        #expect(try copy.restoredBackup()?.knowledge == report.knowledge)
        #expect(try copy.restoredBackup()?.ownEvents == 1)
        #expect(try copy.digest() == laptop.digest())
        // Written after the backup: not in it.
        _ = try laptop.edit(id, values: [(.note, .text("later"))])
        #expect(try copy.knowledge() == report.knowledge)
    }

    @Test func aRestoredBackupRefusesWritesUntilSettled() throws {
        let backup = work.file("backup.db")
        _ = try laptop.backup(to: backup, replacing: false)
        let restored = try restore(backup)
        #expect(try restored.location() == .home)
        #expect {
            try restored.edit(id, values: [(.note, .text("too early"))])
        } throws: { ($0 as? ReplicaError)?.code == .restoredBackup && "\($0)".contains("archive-sync sync") }
        #expect(try restored.acceptRestore())
        #expect(try !restored.acceptRestore())
        _ = try restored.edit(id, values: [(.note, .text("written on"))])
    }

    @Test func reidentifyRemovesTheMark() throws {
        let backup = work.file("backup.db")
        _ = try laptop.backup(to: backup, replacing: false)
        let origin = try laptop.identity().origin
        _ = try restore(backup)
        let report = try Replica.reidentify(at: path)
        #expect(report.oldOrigin == origin)
        let replica = try Replica.open(at: path)
        #expect(try replica.restoredBackup() == nil)
        _ = try replica.edit(id, values: [(.note, .text("under a new identity"))])
        #expect(try replica.knowledge()[report.newOrigin] == 1)
    }

    @Test func anExistingFileIsReplacedOnlyWhenAsked() throws {
        let backup = try work.write("backup.db", "not a replica")
        #expect {
            try laptop.backup(to: backup, replacing: false)
        } throws: { ($0 as? ReplicaError)?.code == .alreadyExists }
        #expect(try String(contentsOfFile: backup, encoding: .utf8) == "not a replica")
        _ = try laptop.backup(to: backup, replacing: true)
        #expect(try Replica.open(at: backup).restoredBackup() != nil)
    }
}
