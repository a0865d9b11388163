import ArchiveModel
import TestSupport
import Testing
import WireProtocol

/// Deltas rebuild values from bases the receiver holds: every rebuilt byte is counted before it
/// is built, and a base must be of the same article (SPEC.md, Deltas and Limits).
struct DeltaLimitTests {
    static let origin = EventFactory.origin(1)

    func update(seq: Int, prev: SHA256Digest, body: String) throws -> Event {
        var clock = VectorClock()
        clock[Self.origin] = seq - 1
        return try Event.seal(
            Event.Draft(
                origin: Self.origin, seq: seq, hlc: HybridTimestamp(milliseconds: Int64(seq), counter: 0),
                clock: clock, article: EventFactory.article, kind: .update, changes: [.set(.body, .text(body))],
                prev: prev))
    }

    /// `count` short delta lines, each rebuilding the whole of `base` plus a few bytes.
    func amplifyingBatch(base: Event, baseBody: String, count: Int) throws -> [UInt8] {
        var lines: [UInt8] = []
        var prev = base.hash
        for seq in 2...(count + 1) {
            let event = try update(seq: seq, prev: prev, body: baseBody + "<p>\(seq)</p>")
            prev = event.hash
            lines += try ValueDelta.wireLine(of: event) { _, _ in (base.dot, base.hash, baseBody) } + [0x0A]
        }
        return lines
    }

    func source(_ base: Event, _ body: String) -> ValueDelta.BaseSource {
        { dot, _ in dot == base.dot ? ValueDelta.Base(article: base.article, hash: base.hash, value: body) : nil }
    }

    @Test func aBatchThatRebuildsPastItsBudgetIsRefusedAsTooLarge() throws {
        let baseBody = String(repeating: "<p>朝鲜半岛。</p>", count: 20_000)  // 420 KB
        let base = try update(seq: 1, prev: .zero, body: baseBody)
        let batch = try amplifyingBatch(base: base, baseBody: baseBody, count: 12)
        #expect(batch.count < 12 * 1_000)
        // 12 × 420 KB rebuilt: within the default budget, past a budget of 4 MiB.
        #expect(try EventBatch.decode(batch, bases: source(base, baseBody)).count == 12)
        #expect { try EventBatch.decode(batch, maxExpandedBytes: 4 << 20, bases: source(base, baseBody)) } throws: {
            guard let error = $0 as? WireProtocolError else { return false }
            return error.code == .tooLarge && error.line == 10
        }
    }

    @Test func aHostilePullPageCannotMakeTheClientRebuildPastItsBudget() throws {
        let baseBody = String(repeating: "<p>局势。</p>", count: 40_000)
        let base = try update(seq: 1, prev: .zero, body: baseBody)
        let page = try amplifyingBatch(base: base, baseBody: baseBody, count: 12)
        #expect { try PullPage(page, maxExpandedBytes: 2 << 20, bases: source(base, baseBody)) } throws: {
            ($0 as? WireProtocolError)?.code == .tooLarge
        }
    }

    /// A delta line crafted by hand: only its `article` and delta matter before it is rebuilt.
    func craftedLine(article: ArticleID, base: Dot, hash: SHA256Digest, prefix: Int, insert: String) -> [UInt8] {
        let line =
            #"{"hash":"\#(String(repeating: "0", count: 64))","article":"\#(article.hex)","changes":[{"set":"body","delta":"#
            + #"{"base":"\#(base.origin.hex):\#(base.seq)","hash":"\#(hash.hex)","prefix":\#(prefix),"suffix":0,"#
            + #""insert":"\#(insert)"}}]}"#
        return Array(line.utf8)
    }

    @Test func aDeltaThatRebuildsPastTheValueLimitIsRefusedBeforeItIsBuilt() throws {
        let baseBody = String(repeating: "a", count: Event.maxValueBytes - 10)
        let base = try update(seq: 1, prev: .zero, body: baseBody)
        var built = 0
        let counting: ValueDelta.BaseSource = { dot, field in
            built += 1
            return ValueDelta.Base(article: EventFactory.article, hash: base.hash, value: baseBody)
        }
        let line = craftedLine(
            article: EventFactory.article, base: base.dot, hash: base.hash, prefix: baseBody.utf8.count,
            insert: String(repeating: "b", count: 100))
        #expect { try EventBatch.decode(line, bases: counting) } throws: {
            guard let error = $0 as? WireProtocolError else { return false }
            return error.code == .malformedEvent && error.message.contains("at most \(Event.maxValueBytes)")
        }
        #expect(built == 1)
    }

    @Test func aDeltaBasedOnAnotherArticleIsRefused() throws {
        let baseBody = String(repeating: "<p>x</p>", count: 100)
        let base = try update(seq: 1, prev: .zero, body: baseBody)
        let other = ArticleID(url: "https://news.example.org/another")
        let line = craftedLine(article: other, base: base.dot, hash: base.hash, prefix: 8, insert: "y")
        #expect { try EventBatch.decode(line, bases: source(base, baseBody)) } throws: {
            guard let error = $0 as? WireProtocolError else { return false }
            return error.code == .malformedEvent && error.message.contains("another article")
        }
    }
}
