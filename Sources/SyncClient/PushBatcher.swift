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
    private let lock = NSLock()
    private var ahead: (basis: VectorClock, done: DispatchSemaphore, result: Result<Batch?, any Error>?)?

    init(replica: Replica, maxEvents: Int, maxBytes: Int) {
        self.replica = replica
        self.maxEvents = maxEvents
        self.maxBytes = maxBytes
    }

    /// The batch of events a server knowing `serverKnowledge` lacks; nil when it lacks none.
    /// Uses the batch prepared ahead when it was prepared for exactly this knowledge.
    func batch(after serverKnowledge: VectorClock) throws -> Batch? {
        lock.lock()
        let prepared = ahead
        ahead = nil
        lock.unlock()
        if let prepared, prepared.basis == serverKnowledge {
            prepared.done.wait()
            lock.lock()
            defer { lock.unlock() }
            return try prepared.result?.get() ?? nil
        }
        return try prepare(after: serverKnowledge)
    }

    /// Starts preparing, in the background, the batch that follows `batch`.
    func prepareNext(after batch: Batch) {
        let basis = batch.knowledgeAfter
        let done = DispatchSemaphore(value: 0)
        lock.lock()
        ahead = (basis, done, nil)
        lock.unlock()
        DispatchQueue.global(qos: .userInitiated).async {
            let result = Result { try self.prepare(after: basis) }
            self.lock.lock()
            if self.ahead?.basis == basis { self.ahead?.result = result }
            self.lock.unlock()
            done.signal()
        }
    }

    private func prepare(after serverKnowledge: VectorClock) throws -> Batch? {
        let events = try replica.events(missingFrom: serverKnowledge, limit: maxEvents, maxBytes: maxBytes)
        guard !events.isEmpty else { return nil }
        let journal = replica.journal
        // Long values the server can rebuild from what it holds go as deltas.
        let lines = try replica.read { db in
            try EventBatch.encode(events) { event, field in
                try journal.base(for: event, field: field, coveredBy: serverKnowledge, db)
            }
        }
        return Batch(events: events, body: try Gzip.compress(lines), basis: serverKnowledge)
    }
}
