import ArchiveModel
import EventJournal
import Replica
import TestSupport
import Testing

/// The replica's error in the shape of every error, caught by code as a caller would.
struct ReplicaErrorTests {
    struct Cause: Error {}

    @Test func aReplicaErrorCarriesItsCodeMessageContextAndCause() {
        let error = ReplicaError(.unknownPeer, "there is no peer named x", context: "x", underlying: Cause())
        let any: any ArchiveSyncError = error
        #expect(any.code.rawValue == "unknown-peer")
        #expect(any.message == "there is no peer named x")
        #expect(any.context == "x")
        #expect(any.underlying is Cause)
        #expect(any.description == "there is no peer named x")
    }

    @Test func openingNothingIsCaughtAsNoReplica() throws {
        let directory = try TemporaryDirectory("replica-error")
        var caught = ""
        do {
            _ = try Replica.open(at: directory.file("absent.db"))
        } catch ReplicaError.Code.notAReplica {
            caught = "not-a-replica"
        } catch ReplicaError.Code.noReplica {
            caught = "no-replica"
        } catch {
            caught = "other: \(error)"
        }
        #expect(caught == "no-replica")
    }

    @Test func aCodeOfOneModuleDoesNotCatchTheSameNameOfAnother() {
        // Both modules have an `invalid-value`; each code matches only its own error type.
        let model = ArchiveModelError(.invalidValue, "bad value")
        #expect(ArchiveModelError.Code.invalidValue ~= model)
        #expect(!(ReplicaError.Code.invalidValue ~= model))
        #expect(ReplicaError.Code.invalidValue ~= ReplicaError(.invalidValue, "bad value"))
        #expect(!(EventJournalError.Code.corruptRow ~= ReplicaError(.notAReplica, "no")))
    }
}
