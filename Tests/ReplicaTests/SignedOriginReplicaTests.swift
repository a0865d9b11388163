import ArchiveModel
import EventJournal
import Foundation
import GRDB
import Replica
import TestSupport
import Testing

/// A replica's key: where it lives, what happens when it is missing, exposed or another's, how a
/// copy gets its own, and how a file made before events were signed keeps its history.
struct SignedOriginReplicaTests {
    let directory: TemporaryDirectory

    init() throws { directory = try TemporaryDirectory("signed-origins") }

    func mode(_ path: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return (attributes[.posixPermissions] as? Int) ?? -1
    }

    func capture(_ replica: Replica, _ n: Int) throws -> Event {
        try replica.capture(
            url: "https://news.example.org/\(n)", title: "Article \(n)", body: "<p>\(n)</p>\n", capturedAt: Int64(n))
    }

    @Test func aNewReplicaSignsEveryEventWithTheKeyBesideItsFile() throws {
        let path = directory.file("laptop.db")
        let replica = try Replica.create(at: path, name: "laptop")
        let keyPath = SigningKeyFile.path(forReplicaAt: path)
        #expect(try mode(keyPath) == 0o600)
        let key = try SigningKeyFile.read(at: keyPath)
        let identity = try replica.identity()
        #expect(identity.origin == key.origin && identity.key == key.publicKey)
        let first = try capture(replica, 1)
        let second = try capture(replica, 2)
        #expect(first.key == key.publicKey && second.key == nil)
        for event in [first, second] {
            let signature = try #require(event.signature)
            #expect(key.publicKey.isValid(signature, ofEvent: event.hash))
        }
        let report = try replica.verify()
        #expect(report.ok)
        #expect(report.origins.map(\.signatures.verified) == [2])
    }

    @Test func aKeyFileOthersMayReadIsRefusedAndNothingIsWritten() throws {
        let path = directory.file("exposed.db")
        let replica = try Replica.create(at: path, name: "exposed")
        let keyPath = SigningKeyFile.path(forReplicaAt: path)
        #expect(chmod(keyPath, 0o644) == 0)
        #expect {
            _ = try capture(replica, 1)
        } throws: { error in
            let error = error as? ReplicaError
            return error?.code == .badSigningKey && error?.message.contains("chmod 600") == true
        }
        #expect(try replica.knowledge().entries.isEmpty)
        #expect(chmod(keyPath, 0o600) == 0)
        _ = try capture(replica, 1)
    }

    @Test func aMissingOrForeignKeyIsSaidAndNothingIsWritten() throws {
        let path = directory.file("keyless.db")
        let replica = try Replica.create(at: path, name: "keyless")
        let keyPath = SigningKeyFile.path(forReplicaAt: path)
        try FileManager.default.moveItem(atPath: keyPath, toPath: keyPath + ".away")
        #expect {
            _ = try capture(replica, 1)
        } throws: { error in
            let error = error as? ReplicaError
            return error?.code == .noSigningKey && error?.message.contains("reidentify") == true
        }
        // Another replica's key in its place: refused, not used.
        try SigningKeyFile.write(SigningKey.fixed(3), to: keyPath, replacing: false)
        #expect { _ = try capture(replica, 1) } throws: { ReplicaError.Code.badSigningKey ~= $0 }
        #expect(try replica.knowledge().entries.isEmpty)
    }

    @Test func aCopiedFileReidentifiedGetsItsOwnKeyAndTheOriginalKeepsVerifying() throws {
        let originalPath = directory.file("original.db")
        let original = try Replica.create(at: originalPath, name: "original")
        _ = try capture(original, 1)
        // A copy made with its key file (cp -a of both): still signs nothing where it is.
        let copyPath = directory.file("copies/copy.db")
        try FileManager.default.createDirectory(
            atPath: directory.file("copies"), withIntermediateDirectories: true)
        try original.close()
        try FileManager.default.copyItem(atPath: originalPath, toPath: copyPath)
        try FileManager.default.copyItem(
            atPath: SigningKeyFile.path(forReplicaAt: originalPath), toPath: SigningKeyFile.path(forReplicaAt: copyPath)
        )
        let copy = try Replica.open(at: copyPath)
        #expect { _ = try capture(copy, 2) } throws: { ReplicaError.Code.misplaced ~= $0 }

        let report = try Replica.reidentify(at: copyPath)
        let copyKey = try SigningKeyFile.read(at: SigningKeyFile.path(forReplicaAt: copyPath))
        let originalKey = try SigningKeyFile.read(at: SigningKeyFile.path(forReplicaAt: originalPath))
        #expect(report.newOrigin == copyKey.origin && copyKey.origin != originalKey.origin)
        #expect(try mode(SigningKeyFile.path(forReplicaAt: copyPath)) == 0o600)
        let reopened = try Replica.open(at: copyPath)
        let written = try capture(reopened, 2)
        #expect(written.origin == copyKey.origin && written.key == copyKey.publicKey)

        // Both write on and exchange everything: each verifies every signature of both.
        let originalAgain = try Replica.open(at: originalPath)
        _ = try capture(originalAgain, 3)
        _ = try reopened.apply(try originalAgain.events(missingFrom: try reopened.knowledge()))
        _ = try originalAgain.apply(try reopened.events(missingFrom: try originalAgain.knowledge()))
        for replica in [originalAgain, reopened] {
            let verified = try replica.verify()
            #expect(verified.ok, "\(verified.checks.filter { !$0.ok })")
            #expect(verified.origins.allSatisfy { $0.signatures.isSigned && $0.signatures.bad == 0 })
            #expect(verified.origins.count == 2)
        }
        #expect(try originalAgain.digest() == reopened.digest())
    }

    @Test func aFileMadeBeforeSigningKeepsItsHistoryAndSignsFromThenOn() throws {
        let path = directory.file("legacy.db")
        let legacy = try LegacyReplica.make(at: path)
        let replica = try Replica.open(at: path)
        // Opened by the new version: its events are read as they were, as unsigned history.
        #expect(try replica.identity().origin == legacy && replica.identity().key == nil)
        #expect(try replica.knowledge()[legacy] == 2)
        #expect { _ = try capture(replica, 1) } throws: { ReplicaError.Code.noSigningKey ~= $0 }
        let before = try replica.digest()

        let upgrade = try #require(try replica.upgradeToSignedOrigin())
        #expect(upgrade.unsignedOrigin == legacy && upgrade.signedOrigin != legacy)
        #expect(try replica.upgradeToSignedOrigin() == nil)
        #expect(try replica.unsignedOrigin() == legacy)
        #expect(try replica.digest() == before)
        let written = try capture(replica, 1)
        #expect(written.origin == upgrade.signedOrigin && written.key != nil && written.signature != nil)
        #expect(written.clock[legacy] == 2)

        let report = try replica.verify()
        #expect(report.ok, "\(report.checks.filter { !$0.ok })")
        let origins = Dictionary(uniqueKeysWithValues: report.origins.map { ($0.signatures.origin, $0.signatures) })
        #expect(origins[legacy]?.isSigned == false && origins[legacy]?.events == 2)
        #expect(origins[upgrade.signedOrigin]?.verified == 1)
        // Its history goes on to a new replica, as unsigned history beside the signed events.
        let other = try Replica.create(at: directory.file("new.db"), name: "new")
        _ = try other.apply(try replica.events(missingFrom: VectorClock()))
        #expect(try other.digest() == replica.digest())
        // A server that takes only signed events refuses the old ones, naming them.
        let strict = try Replica.create(at: directory.file("strict.db"), name: "strict")
        #expect {
            _ = try strict.apply(try replica.events(missingFrom: VectorClock()), unsigned: .refuse)
        } throws: { EventJournalError.Code.unsigned ~= $0 }
        #expect(try strict.knowledge().entries.isEmpty)
    }
}
