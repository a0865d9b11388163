import ArticleGenerator
import Replica
import Testing

/// The body diff of `history`: what it keeps, and that applied to the old body it gives the new one.
struct BodyDiffTests {
    /// Two bodies of 5,000 segments (paragraphs of a few hundred sentences, each with its `"\n"`),
    /// the second edited in `edits` places chosen by `seed` among its first `span` segments.
    struct LargeCase: CustomStringConvertible, Sendable {
        var seed: UInt64
        var edits: Int
        var span: Int
        var description: String { "seed \(seed): \(edits) edits in the first \(span) segments" }
    }

    static let largeCases: [LargeCase] = [
        // Few segments between the first and the last change: diffed segment by segment.
        .init(seed: 1, edits: 20, span: 1_500),
        .init(seed: 2, edits: 60, span: 1_900),
        // Changes all over: past `maxMiddleSegments`, the middle is all removed then all added.
        .init(seed: 3, edits: 40, span: 5_000),
    ]

    @Test(arguments: largeCases)
    func theDiffOfTwoLargeBodiesAppliedToTheOldGivesTheNew(_ testCase: LargeCase) throws {
        var random = SplitMix64(seed: testCase.seed)
        var segments: [String] = []
        for _ in 0..<2_500 {
            segments.append("<p>第\(Int.random(in: 0..<300, using: &random))句。</p>")
            segments.append("\n")
        }
        let old = segments.joined()
        for _ in 0..<testCase.edits {
            let at = Int.random(in: 0..<testCase.span, using: &random)
            switch Int.random(in: 0..<3, using: &random) {
            case 0: segments.insert(contentsOf: ["<p>新\(Int.random(in: 0..<50, using: &random))。</p>", "\n"], at: at)
            case 1: segments.remove(at: at)
            default: segments[at] = "<p>改\(Int.random(in: 0..<50, using: &random))。</p>"
            }
        }
        let new = segments.joined()
        #expect(BodyDiff.segments(of: old).count == 5_000)
        #expect(BodyDiff.segments(of: new).joined() == new)

        let diff = BodyDiff.diff(old, new)
        let applied = try #require(Self.apply(diff, to: BodyDiff.segments(of: old)), "\(testCase)")
        #expect(applied.joined() == new, "\(testCase)")
        if testCase.span < 2_000 {
            let changed = diff.filter {
                if case .removed = $0 { true } else if case .added = $0 { true } else { false }
            }
            #expect(changed.count <= 4 * testCase.edits, "\(testCase): \(changed.count) changed segments")
        }
    }

    /// A paragraph and its `"\n"` inserted before an old `"\n"` show as one run (see `BodyDiff`).
    @Test func aParagraphInsertedBeforeARepeatedNewlineShowsAsOneRun() throws {
        let old = "<p>甲。</p>\n<p>乙。</p>丙。"
        let new = "<p>甲二。</p><p>新。</p>\n\n<p>乙。</p>丙二。"
        let diff = BodyDiff.diff(old, new)
        #expect(
            diff == [
                .removed("<p>甲。</p>"), .added("<p>甲二。</p>"), .added("<p>新。</p>"), .added("\n"), .same("\n"),
                .same("<p>乙。</p>"), .removed("丙。"), .added("丙二。"),
            ])
        #expect(try #require(Self.apply(diff, to: BodyDiff.segments(of: old))).joined() == new)
    }

    @Test func equalBodiesHaveNoDiff() {
        #expect(BodyDiff.diff("<p>甲。</p>\n<p>乙。</p>", "<p>甲。</p>\n<p>乙。</p>") == [])
    }

    /// `old` with `diff` applied, or nil when a kept or removed segment is not the old one.
    static func apply(_ diff: [BodyDiff.Line], to old: [String]) -> [String]? {
        var result: [String] = []
        var index = 0
        for line in diff {
            switch line {
            case .same(let text), .removed(let text):
                guard index < old.count, old[index].utf8.elementsEqual(text.utf8) else { return nil }
                if case .same = line { result.append(text) }
                index += 1
            case .added(let text):
                result.append(text)
            case .skipped(let count):
                guard index + count <= old.count else { return nil }
                result += old[index..<(index + count)]
                index += count
            }
        }
        // An empty diff means the bodies are equal.
        return diff.isEmpty ? old : (index == old.count ? result : nil)
    }
}
