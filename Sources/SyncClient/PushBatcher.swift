import ArchiveModel
import Foundation
import Replica
import WireProtocol

/// Reads, encodes and compresses the batches a sync pushes, one ahead in the background: while
/// the server applies batch k, batch k+1 (the events it will still lack once k is applied) is
/// prepared on another thread, so the client's work overlaps the server's.
final class PushBatcher: @unchecked Sendable {
    /// A batch ready to send: its events and its gzip body (long values delta-coded against
    /// events the server holds once it holds `basis`).
    struct Batch: Sendable {
        let events: [Event]
        let body: [UInt8]
        let basis: VectorClock

        /// The server's knowledge once it has applied this batch.
        var knowledgeAfter: VectorClock {
            var after = basis
            for event in events where event.seq > after[event.origin] { after[event.origin] = event.seq }
            return after
        }
    }

    private let replica: Replica
    private let maxEvents: Int
    private let maxBytes: Int
    /// The batch being prepared ahead: what it is for, and its result once done.
    private final class Ahead: @unchecked Sendable {
        let basis: VectorClock
        let done = DispatchSemaphore(value: 0)
        var result: Result<Batch?, any Error>?
        init(basis: VectorClock) { self.basis = basis }
    }

    private let lock = NSLock()
    private var ahead: Ahead?

    init(replica: Replica, maxEvents: Int, maxBytes: Int) {
        self.replica = replica
        self.maxEvents = maxEvents
        self.maxBytes = maxBytes
    }

    /// The batch of events a server knowing `serverKnowledge` lacks; nil when it lacks none.
    /// Uses the batch prepared ahead when it was prepared for exactly this knowledge (waiting for
    /// it if need be); its errors are this call's errors.
    func batch(after serverKnowledge: VectorClock) throws -> Batch? {
        lock.lock()
        let prepared = ahead
        ahead = nil
        lock.unlock()
        if let prepared, prepared.basis == serverKnowledge {
            prepared.done.wait()
            if let result = prepared.result { return try result.get() }
        }
        return try prepare(after: serverKnowledge)
    }

    /// Starts preparing, in the background, the batch that follows `batch`.
    func prepareNext(after batch: Batch) {
        let next = Ahead(basis: batch.knowledgeAfter)
        lock.lock()
        ahead = next
        lock.unlock()
        DispatchQueue.global(qos: .userInitiated).async {
            // The result goes to the box itself, which `batch(after:)` holds even after taking it.
            next.result = Result { try self.prepare(after: next.basis) }
            next.done.signal()
        }
    }

    private func prepare(after serverKnowledge: VectorClock) throws -> Batch? {
        let events = try replica.events(missingFrom: serverKnowledge, limit: maxEvents, maxBytes: maxBytes)
        guard !events.isEmpty else { return nil }
        // Long values the server can rebuild from what it holds go as deltas.
        let lines = try replica.encodingDeltas(coveredBy: serverKnowledge) { baseFor in
            try EventBatch.encode(events, findBase: baseFor)
        }
        return Batch(events: events, body: try Gzip.compress(lines), basis: serverKnowledge)
    }
}
