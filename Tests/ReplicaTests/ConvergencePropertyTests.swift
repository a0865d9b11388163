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
        for (index, replica) in simulation.replicas.enumerated() {
            #expect(try replica.digest() == digest, "seed \(seed): origin replica \(index) differs after a full sync")
            #expect(try replica.knowledge() == reference.knowledge(), "seed \(seed): knowledge differs")
        }

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
        }

        let verification = try simulation.replicas[1].verify()
        #expect(verification.ok, "seed \(seed): \(verification.checks.filter { !$0.ok })")
        #expect(verification.rebuiltDigest == digest, "seed \(seed): rebuild differs from incremental")
        _ = try simulation.replicas[2].rebuild()
        #expect(try simulation.replicas[2].digest() == digest, "seed \(seed): in-place rebuild changed the digest")
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
struct HistorySimulation {
    var replicas: [Replica]
    let seed: UInt64
    let urls: [String]

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
                origin: .random(using: &random), wallClock: { clock.read() })
        }
        urls = (0..<6).map { "https://news.example.org/a/story-\($0)/\(5_000_000 + $0).html" }
    }

    mutating func run(steps: Int, random: inout SplitMix64) throws {
        for _ in 0..<steps {
            let index = Int(random.next() % 3)
            let replica = replicas[index]
            let roll = random.next() % 100
            do {
                switch roll {
                case 0..<15:
                    let url = urls[Int(random.next() % UInt64(urls.count))]
                    _ = try replica.capture(
                        url: url, title: pick(["First", "Second", "朝鲜"], &random), body: "<p>\(roll)</p>\n",
                        capturedAt: Int64(random.next() % 3) * 1000, path: "story.txt")
                case 15..<50:
                    guard let id = try randomArticle(replica, &random) else { continue }
                    let field = pick([Field.title, .body, .url, .note, .path, .capturedAt, .frontMatter], &random)
                    let value: FieldValue
                    switch field {
                    case .capturedAt: value = .integer(Int64(random.next() % 4))
                    case .frontMatter: value = .text(pick(["", "---\na: 1\n---\n", "---\nb: 2\n---\n"], &random))
                    case .path: value = .text(pick(["a.txt", "b/c.txt", "d.md"], &random))
                    case .url: value = .text(pick(["https://x.org/1", "https://x.org/2"], &random))
                    default: value = .text(pick(["alpha", "beta", "gamma", "δέλτα", "朝鲜"], &random))
                    }
                    _ = try replica.edit(id, values: [(field, value)])
                case 50..<58:
                    guard let id = try randomArticle(replica, &random) else { continue }
                    _ = try replica.delete(id)
                case 58..<64:
                    guard let id = try randomArticle(replica, &random) else { continue }
                    _ = try replica.restore(id)
                case 64..<76:
                    guard let id = try randomArticle(replica, &random) else { continue }
                    let tag = pick(["korea", "asia", "todo"], &random)
                    if random.next() % 2 == 0 {
                        _ = try replica.tag(id, add: [tag], remove: [])
                    } else {
                        _ = try replica.tag(id, add: [], remove: [tag])
                    }
                case 76..<82:
                    let conflicts = try replica.conflicts()
                    guard let conflict = conflicts.randomElement(using: &random),
                        let head = conflict.heads.randomElement(using: &random)
                    else { continue }
                    _ = try replica.resolve(
                        conflict.article, field: conflict.field,
                        take: "\(head.head.dot.origin.hex):\(head.head.dot.seq)",
                        value: nil)
                default:
                    // A partial sync: some of what another replica has, in its journal order.
                    let other = replicas[Int(random.next() % 3)]
                    let missing = try other.events(missingFrom: replica.knowledge(), limit: Int(random.next() % 12) + 1)
                    _ = try replica.apply(missing)
                }
            } catch is ReplicaError {
                // An action that does not apply here (nothing to change, deleted, …): skipped.
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

    private func randomArticle(_ replica: Replica, _ random: inout SplitMix64) throws -> ArticleID? {
        let ids = urls.map { ArticleID(url: $0) }
        let held = try ids.filter { id in (try? replica.article(id)) != nil }
        return held.isEmpty ? nil : held[Int(random.next() % UInt64(held.count))]
    }

    private func pick<T>(_ items: [T], _ random: inout SplitMix64) -> T {
        items[Int(random.next() % UInt64(items.count))]
    }
}
