import ArchiveModel
import ArticleGenerator
import Foundation
import Replica
import TestSupport
import Testing

/// Random multi-origin histories, delivered to fresh replicas in different causal orders with
/// duplicates: every replica ends with the same digest, and incremental equals rebuild.
struct ConvergencePropertyTests {
    static let seeds: [UInt64] = Array(1...24)

    @Test(arguments: seeds)
    func randomHistoriesConvergeWhateverTheDeliveryOrder(seed: UInt64) throws {
        let work = try TemporaryDirectory("property-\(seed)")
        var random = SplitMix64(seed: seed)
        var simulation = try HistorySimulation(seed: seed, directory: work, random: &random)
        try simulation.run(steps: 160, random: &random)
        try simulation.syncEverything()

        let reference = simulation.replicas[0]
        let digest = try reference.digest()
        let listing = try Self.listing(reference)
        for (index, replica) in simulation.replicas.enumerated() {
            #expect(try replica.digest() == digest, "seed \(seed): origin replica \(index) differs after a full sync")
            #expect(try replica.knowledge() == reference.knowledge(), "seed \(seed): knowledge differs")
            #expect(try Self.listing(replica) == listing, "seed \(seed): replica \(index) lists its articles otherwise")
        }
        // The history must hold articles captured into several files.
        let counts = try reference.status().counts
        #expect(
            listing.contains { ($0.split(separator: " ").last.flatMap { Int($0) } ?? 0) > 1 },
            "seed \(seed): no article has several captures (\(counts.captures) captures of \(counts.articles))")

        let all = try reference.events(missingFrom: VectorClock(), limit: 100_000, maxBytes: Int.max)
        // The history must be worth checking: edits of one article made concurrently on two replicas.
        let concurrent = all.indices.flatMap { i in
            all.indices.filter { j in
                j > i && all[i].article == all[j].article && all[i].causality(to: all[j]) == .concurrent
            }
        }
        #expect(concurrent.count >= 5, "seed \(seed): only \(concurrent.count) concurrent pairs")
        print(
            "seed \(seed): \(all.count) events, \(concurrent.count) concurrent pairs, \(try reference.status().counts.conflicts) conflicts left"
        )
        #expect(try all.count == reference.status().events)
        for observer in 0..<2 {
            let replica = try Replica.create(at: work.file("observer-\(observer).db"), name: "observer \(observer)")
            for batch in Self.deliveries(of: all, random: &random) {
                _ = try replica.apply(batch)
            }
            #expect(
                try replica.digest() == digest, "seed \(seed): observer \(observer) differs (delivery order matters)")
            #expect(try Self.listing(replica) == listing, "seed \(seed): observer \(observer) lists otherwise")
        }

        let verification = try simulation.replicas[1].verify()
        #expect(verification.ok, "seed \(seed): \(verification.checks.filter { !$0.ok })")
        #expect(verification.rebuiltDigest == digest, "seed \(seed): rebuild differs from incremental")
        _ = try simulation.replicas[2].rebuild()
        #expect(try simulation.replicas[2].digest() == digest, "seed \(seed): in-place rebuild changed the digest")
    }

    /// Every article as `list --all` shows it: the capture shown, its number of captures, tags,
    /// conflicts and deletion, one line each.
    static func listing(_ replica: Replica) throws -> [String] {
        try replica.read { db in
            try replica.projector.list(includeDeleted: true, tag: nil, order: .path, limit: nil, db).map {
                "\($0.id) \($0.capture) \($0.title) \($0.path) \($0.tags) \($0.conflicts) \($0.deleted) \($0.lastHLC.packed)"
                    + " captures \($0.captures)"
            }
        }
    }

    /// `events` in a random causal order, cut into random batches, with events already delivered
    /// (and some of the batch itself) repeated.
    static func deliveries(of events: [Event], random: inout SplitMix64) -> [[Event]] {
        var delivered = VectorClock()
        var pending = events
        var sent: [Event] = []
        var batches: [[Event]] = []
        var batch: [Event] = []
        while !pending.isEmpty {
            let ready = pending.indices.filter { index in
                let event = pending[index]
                return delivered[event.origin] == event.seq - 1
                    && event.clock.sortedEntries.allSatisfy { delivered[$0.origin] >= $0.seq }
            }
            let pick = ready[Int(random.next() % UInt64(ready.count))]
            let event = pending.remove(at: pick)
            delivered[event.origin] = event.seq
            batch.append(event)
            sent.append(event)
            if random.next() % 5 == 0, let old = sent.randomElement(using: &random) { batch.append(old) }
            if random.next() % 4 == 0 {
                batches.append(batch)
                batch = []
            }
        }
        batches.append(batch)
        return batches
    }
}

/// Three replicas writing random edits offline and syncing with each other at random.
/// Three replicas writing random edits offline and syncing with each other at random.
struct HistorySimulation {
    var replicas: [Replica]
    let seed: UInt64
    let editor = RandomEditor()

    init(seed: UInt64, directory: TemporaryDirectory, random: inout SplitMix64) throws {
        self.seed = seed
        // Clocks that disagree: one replica runs 40 s behind, one 3 s ahead.
        let clocks = [
            SteppingClock(start: 1_731_686_344_000, step: 7), SteppingClock(start: 1_731_686_304_000, step: 11),
            SteppingClock(start: 1_731_686_347_000, step: 3),
        ]
        replicas = try (0..<3).map { index in
            let clock = clocks[index]
            return try Replica.create(
                at: directory.file("replica-\(index).db"), name: ["laptop", "server", "phone"][index],
                signingKey: .random(using: &random), wallClock: { clock.read() })
        }
    }

    mutating func run(steps: Int, random: inout SplitMix64) throws {
        for _ in 0..<steps {
            let replica = replicas[Int(random.next() % 3)]
            if random.next() % 100 < 82 {
                try editor.act(on: replica, random: &random)
            } else {
                // A partial sync: some of what another replica has, in its journal order.
                let other = replicas[Int(random.next() % 3)]
                let missing = try other.events(missingFrom: replica.knowledge(), limit: Int(random.next() % 12) + 1)
                _ = try replica.apply(missing)
            }
        }
    }

    /// Every replica pulls from every other until all hold every event.
    func syncEverything() throws {
        for _ in 0..<2 {
            for target in replicas {
                for source in replicas where source !== target {
                    while true {
                        let missing = try source.events(missingFrom: target.knowledge(), limit: 50)
                        if missing.isEmpty { break }
                        _ = try target.apply(missing)
                    }
                }
            }
        }
    }
}
