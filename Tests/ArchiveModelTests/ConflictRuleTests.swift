import ArchiveModel
import TestSupport
import Testing

/// The conflict rules of DESIGN.md, one case each, checked in every causal delivery order.
struct ConflictRuleTests {
    struct Case: CustomStringConvertible, Sendable {
        var description: String
        var events: @Sendable () throws -> [Event]
        var field: Field
        var value: FieldValue
        var conflict: Bool
        var tags: [String]? = nil
    }

    // Origins 1 and 2 both start from origin 1's create (1:1); hlc values are explicit.
    static let cases: [Case] = [
        Case(
            description: "one head: its value",
            events: {
                [
                    try EventFactory.create(1, hlc: 10),
                    try EventFactory.event(1, 2, hlc: 20, [.set(.title, .text("B"))]),
                ]
            }, field: .title, value: .text("B"), conflict: false),
        Case(
            description: "a later edit replaces an earlier one",
            events: {
                [
                    try EventFactory.create(1, hlc: 10),
                    try EventFactory.event(2, 1, clock: [1: 1], hlc: 20, [.set(.title, .text("B"))]),
                    try EventFactory.event(1, 2, clock: [2: 1], hlc: 30, [.set(.title, .text("C"))]),
                ]
            }, field: .title, value: .text("C"), conflict: false),
        Case(
            description: "concurrent writes of the same value: no conflict",
            events: {
                [
                    try EventFactory.create(1, hlc: 10),
                    try EventFactory.event(1, 2, hlc: 20, [.set(.title, .text("Same"))]),
                    try EventFactory.event(2, 1, clock: [1: 1], hlc: 25, [.set(.title, .text("Same"))]),
                ]
            }, field: .title, value: .text("Same"), conflict: false),
        Case(
            description: "concurrent different values: conflict, highest hlc shown",
            events: {
                [
                    try EventFactory.create(1, hlc: 10),
                    try EventFactory.event(1, 2, hlc: 30, [.set(.title, .text("From one"))]),
                    try EventFactory.event(2, 1, clock: [1: 1], hlc: 20, [.set(.title, .text("From two"))]),
                ]
            }, field: .title, value: .text("From one"), conflict: true),
        Case(
            description: "equal hlc: the higher origin is shown",
            events: {
                [
                    try EventFactory.create(1, hlc: 10),
                    try EventFactory.event(1, 2, hlc: 20, [.set(.title, .text("From one"))]),
                    try EventFactory.event(2, 1, clock: [1: 1], hlc: 20, [.set(.title, .text("From two"))]),
                ]
            }, field: .title, value: .text("From two"), conflict: true),
        Case(
            description: "an edit after both conflicting values ends the conflict",
            events: {
                [
                    try EventFactory.create(1, hlc: 10),
                    try EventFactory.event(1, 2, hlc: 30, [.set(.title, .text("From one"))]),
                    try EventFactory.event(2, 1, clock: [1: 1], hlc: 20, [.set(.title, .text("From two"))]),
                    try EventFactory.event(
                        2, 2, clock: [1: 2], hlc: 40, kind: .resolve, [.set(.title, .text("From two"))]),
                ]
            }, field: .title, value: .text("From two"), conflict: false),
        Case(
            description: "an edit that saw only one side keeps the conflict",
            events: {
                [
                    try EventFactory.create(1, hlc: 10),
                    try EventFactory.event(1, 2, hlc: 30, [.set(.title, .text("From one"))]),
                    try EventFactory.event(2, 1, clock: [1: 1], hlc: 20, [.set(.title, .text("From two"))]),
                    try EventFactory.event(2, 2, clock: [1: 1], hlc: 40, [.set(.title, .text("Two again"))]),
                ]
            }, field: .title, value: .text("Two again"), conflict: true),
        Case(
            description: "edits of different fields merge without conflict",
            events: {
                [
                    try EventFactory.create(1, hlc: 10),
                    try EventFactory.event(1, 2, hlc: 30, [.set(.title, .text("New title"))]),
                    try EventFactory.event(2, 1, clock: [1: 1], hlc: 20, [.set(.note, .text("A note"))]),
                ]
            }, field: .note, value: .text("A note"), conflict: false),
        Case(
            description: "an edit concurrent with a delete keeps the article (false wins)",
            events: {
                [
                    try EventFactory.create(1, hlc: 10),
                    try EventFactory.event(1, 2, hlc: 30, kind: .delete, [.set(.deleted, .flag(true))]),
                    try EventFactory.event(2, 1, clock: [1: 1], hlc: 20, [.set(.note, .text("keep me"))]),
                ]
            }, field: .deleted, value: .flag(false), conflict: true),
        Case(
            description: "a delete after an edit deletes",
            events: {
                [
                    try EventFactory.create(1, hlc: 10),
                    try EventFactory.event(2, 1, clock: [1: 1], hlc: 20, [.set(.note, .text("n"))]),
                    try EventFactory.event(1, 2, clock: [2: 1], hlc: 30, kind: .delete, [.set(.deleted, .flag(true))]),
                ]
            }, field: .deleted, value: .flag(true), conflict: false),
        Case(
            description: "two concurrent deletes agree",
            events: {
                [
                    try EventFactory.create(1, hlc: 10),
                    try EventFactory.event(1, 2, hlc: 30, kind: .delete, [.set(.deleted, .flag(true))]),
                    try EventFactory.event(2, 1, clock: [1: 1], hlc: 20, kind: .delete, [.set(.deleted, .flag(true))]),
                ]
            }, field: .deleted, value: .flag(true), conflict: false),
        Case(
            description: "resolving deleted to true ends the conflict",
            events: {
                [
                    try EventFactory.create(1, hlc: 10),
                    try EventFactory.event(1, 2, hlc: 30, kind: .delete, [.set(.deleted, .flag(true))]),
                    try EventFactory.event(2, 1, clock: [1: 1], hlc: 20, [.set(.note, .text("n"))]),
                    try EventFactory.event(1, 3, clock: [2: 1], hlc: 40, kind: .resolve, [.set(.deleted, .flag(true))]),
                ]
            }, field: .deleted, value: .flag(true), conflict: false),
        Case(
            description: "a restore after a delete",
            events: {
                [
                    try EventFactory.create(1, hlc: 10),
                    try EventFactory.event(1, 2, hlc: 20, kind: .delete, [.set(.deleted, .flag(true))]),
                    try EventFactory.event(1, 3, hlc: 30, kind: .restore, [.set(.deleted, .flag(false))]),
                ]
            }, field: .deleted, value: .flag(false), conflict: false),
        Case(
            description: "concurrent tag add and remove: the tag stays",
            events: {
                [
                    try EventFactory.create(1, hlc: 10),
                    try EventFactory.event(1, 2, hlc: 20, [.tagAdd("korea")]),
                    try EventFactory.event(2, 1, clock: [1: 2], hlc: 30, [.tagRemove("korea")]),
                    try EventFactory.event(1, 3, hlc: 25, [.tagAdd("korea")]),
                ]
            }, field: .deleted, value: .flag(false), conflict: false, tags: ["korea"]),
        Case(
            description: "a remove after the add removes the tag",
            events: {
                [
                    try EventFactory.create(1, hlc: 10),
                    try EventFactory.event(1, 2, hlc: 20, [.tagAdd("korea"), .tagAdd("asia")]),
                    try EventFactory.event(2, 1, clock: [1: 2], hlc: 30, [.tagRemove("korea")]),
                ]
            }, field: .deleted, value: .flag(false), conflict: false, tags: ["asia"]),
        Case(
            description: "an add after the remove brings the tag back",
            events: {
                [
                    try EventFactory.create(1, hlc: 10),
                    try EventFactory.event(1, 2, hlc: 20, [.tagAdd("korea")]),
                    try EventFactory.event(2, 1, clock: [1: 2], hlc: 30, [.tagRemove("korea")]),
                    try EventFactory.event(1, 3, clock: [2: 1], hlc: 40, [.tagAdd("korea")]),
                ]
            }, field: .deleted, value: .flag(false), conflict: false, tags: ["korea"]),
        Case(
            description: "concurrent creates of the same url with different capture times",
            events: {
                [try create(1, hlc: 10, capturedAt: 1_000), try create(2, hlc: 12, capturedAt: 2_000)]
            }, field: .capturedAt, value: .integer(2_000), conflict: true),
        Case(
            description: "concurrent creates of the same url agree on the fields they share",
            events: {
                [try create(1, hlc: 10, capturedAt: 1_000), try create(2, hlc: 12, capturedAt: 2_000)]
            }, field: .title, value: .text("Title"), conflict: false),
    ]

    /// A create of the test article by `origin` captured at `capturedAt`.
    static func create(_ origin: Int, hlc: Int64, capturedAt: Int64) throws -> Event {
        try EventFactory.event(
            origin, 1, hlc: hlc, kind: .create,
            [
                .set(.url, .text(EventFactory.url)), .set(.title, .text("Title")),
                .set(.body, .text("<p>body</p>\n")), .set(.capturedAt, .integer(capturedAt)),
                .set(.path, .text("a.txt")),
            ])
    }

    @Test(arguments: cases)
    func ruleHoldsInEveryCausalOrder(_ testCase: Case) throws {
        let events = try testCase.events()
        var hashes = Set<SHA256Digest>()
        for order in Self.causalOrders(of: events) {
            var state = ArticleState(id: EventFactory.article)
            for event in order { state.apply(event) }
            #expect(state.value(of: testCase.field) == testCase.value, "order \(order)")
            #expect((state.registers[testCase.field]?.isConflict ?? false) == testCase.conflict, "order \(order)")
            if let tags = testCase.tags { #expect(state.tags.map(\.text) == tags, "order \(order)") }
            hashes.insert(state.stateHash)
        }
        #expect(hashes.count == 1, "different delivery orders gave different states")
    }

    @Test func conflictKeepsEveryHeadListed() throws {
        var state = ArticleState(id: EventFactory.article)
        state.apply(try EventFactory.create(1, hlc: 10))
        state.apply(try EventFactory.event(1, 2, hlc: 30, [.set(.title, .text("A"))]))
        state.apply(try EventFactory.event(2, 1, clock: [1: 1], hlc: 20, [.set(.title, .text("B"))]))
        state.apply(try EventFactory.event(3, 1, clock: [1: 1], hlc: 25, [.set(.title, .text("C"))]))
        let heads = state.registers[.title]?.heads.map(\.dot) ?? []
        #expect(heads.count == 3)
        #expect(state.conflictedFields == [.title])
        #expect(state.value(of: .title) == .text("A"))
    }

    /// Every order of `events` in which each event comes after the events it happened after.
    static func causalOrders(of events: [Event]) -> [[Event]] {
        var results: [[Event]] = []
        func extend(_ prefix: [Event], _ rest: [Event]) {
            if rest.isEmpty { results.append(prefix); return }
            for (index, candidate) in rest.enumerated() {
                let blocked = rest.contains { other in
                    other.dot != candidate.dot && candidate.happened(after: other.dot)
                }
                if !blocked {
                    var remaining = rest
                    remaining.remove(at: index)
                    extend(prefix + [candidate], remaining)
                }
            }
        }
        extend([], events)
        return results
    }
}
