/// A readable diff of two HTML bodies.
///
/// Bodies are usually one long line of HTML, so a line diff says only "everything changed". This
/// one cuts a body after each paragraph-like tag and each sentence end (。！？.!?) and diffs those
/// segments (a shortest edit, from the standard library's `CollectionDifference`), keeping one
/// unchanged segment of context around each change.
package enum BodyDiff {
    package enum Line: Equatable, Sendable {
        case same(String)
        case removed(String)
        case added(String)
        /// Unchanged segments left out between two changes.
        case skipped(Int)
    }

    /// The segments of `new` against those of `old`: `.same` for `context` unchanged segments
    /// on each side of a change, `.skipped(n)` for the unchanged ones left out between, `.removed`
    /// and `.added` for the change itself. Equal bodies give `[]`. Never throws; a middle too
    /// large to diff quickly is shown as removed, then added.
    ///
    /// ```swift
    /// for line in BodyDiff.diff(before.body, after.body) {
    ///     if case .added(let segment) = line { print("+ " + segment) }
    /// }
    /// ```
    package static func diff(_ old: String, _ new: String, context: Int = 1) -> [Line] {
        let a = segments(of: old)
        let b = segments(of: new)
        var prefix = 0
        while prefix < a.count, prefix < b.count, a[prefix].utf8.elementsEqual(b[prefix].utf8) { prefix += 1 }
        var suffix = 0
        while suffix < a.count - prefix, suffix < b.count - prefix,
            a[a.count - 1 - suffix].utf8.elementsEqual(b[b.count - 1 - suffix].utf8)
        {
            suffix += 1
        }
        let middleA = Array(a[prefix..<(a.count - suffix)])
        let middleB = Array(b[prefix..<(b.count - suffix)])
        var full: [Line] = a[0..<prefix].map { .same($0) }
        full += middle(middleA, middleB)
        full += a[(a.count - suffix)...].map { .same($0) }
        return trimContext(full, context: context)
    }

    /// The most segments (old and new together) between the common prefix and suffix that are diffed
    /// line by line; past it, the middle is shown as all removed, then all added.
    ///
    /// The standard library's Myers diff keeps one row per edit of its search, so its time and memory
    /// grow with the square of the edits, which can be as many as both sides together: 4,000 bounds
    /// them to about 8 million integers, and allows the 2,000 × 2,000 middles the earlier table did.
    static let maxMiddleSegments = 4_000

    /// The changed middle as removed, added and unchanged segments, removals first in each run of
    /// changes.
    ///
    /// `CollectionDifference` finds a shortest edit: as many unchanged segments as a longest common
    /// subsequence. When a segment repeats inside the changed region (the `"\n"` between paragraphs),
    /// several shortest edits exist, and it may keep another copy than the hand-written table it
    /// replaced, which kept the earliest. A paragraph and its `"\n"` inserted before an old `"\n"` now
    /// show as one run (`+ <p>新。</p>`, `+ \n`, then the old `\n`) where the table split them around
    /// the old one; inserted after an old `"\n"`, they show as `+ \n`, `+ <p>新。</p>` before it. Both
    /// are as short and apply alike; changes stay in one run more often this way, so this is kept.
    private static func middle(_ a: [String], _ b: [String]) -> [Line] {
        guard a.count + b.count <= maxMiddleSegments else {
            return a.map { .removed($0) } + b.map { .added($0) }
        }
        // Segments are equal when their bytes are (String's == would equate canonical equivalents).
        let difference = b.difference(from: a) { $0.utf8.elementsEqual($1.utf8) }
        var removed = [Bool](repeating: false, count: a.count)
        var inserted = [Bool](repeating: false, count: b.count)
        for change in difference {
            switch change {
            case .remove(let offset, _, _): removed[offset] = true
            case .insert(let offset, _, _): inserted[offset] = true
            }
        }
        var lines: [Line] = []
        var i = 0
        var j = 0
        while i < a.count || j < b.count {
            if i < a.count, removed[i] {
                lines.append(.removed(a[i]))
                i += 1
            } else if j < b.count, inserted[j] {
                lines.append(.added(b[j]))
                j += 1
            } else {
                lines.append(.same(a[i]))
                i += 1
                j += 1
            }
        }
        return lines
    }

    private static func trimContext(_ lines: [Line], context: Int) -> [Line] {
        let changed = lines.indices.filter { if case .same = lines[$0] { false } else { true } }
        guard !changed.isEmpty else { return [] }
        var keep = Set<Int>()
        for index in changed {
            for near in max(0, index - context)...min(lines.count - 1, index + context) { keep.insert(near) }
        }
        var result: [Line] = []
        var skipped = 0
        for index in lines.indices {
            if keep.contains(index) {
                if skipped > 0 { result.append(.skipped(skipped)); skipped = 0 }
                result.append(lines[index])
            } else {
                skipped += 1
            }
        }
        if skipped > 0 { result.append(.skipped(skipped)) }
        return result
    }

    private static let breakingTags = [
        "</p>", "</div>", "<br>", "<br/>", "<br />", "</li>", "</h1>", "</h2>", "</h3>",
        "</h4>", "</small>", "</video>", "</audio>", "</iframe>", "\n",
    ]
    private static let sentenceEnds: Set<Character> = ["。", "！", "？"]

    /// The body cut into paragraph and sentence pieces; joined, they give the body back.
    ///
    /// A piece ends after a sentence end or a paragraph-like tag, taking any closing tags that
    /// follow with it, so `<p>一。</p><p>二。</p>` gives `<p>一。</p>` and `<p>二。</p>`.
    package static func segments(of body: String) -> [String] {
        var pieces: [String] = []
        var current = ""
        let characters = Array(body)
        var index = 0
        while index < characters.count {
            let character = characters[index]
            current.append(character)
            index += 1
            let ends =
                sentenceEnds.contains(character)
                || ((character == ">" || character == "\n") && breakingTags.contains { current.hasSuffix($0) })
            guard ends else { continue }
            // Take the closing tags that follow (`</p>`, `</div>`) into this piece.
            while index + 1 < characters.count, characters[index] == "<", characters[index + 1] == "/",
                let close = characters[index...].firstIndex(of: ">")
            {
                current.append(contentsOf: characters[index...close])
                index = close + 1
            }
            pieces.append(current)
            current = ""
        }
        if !current.isEmpty { pieces.append(current) }
        return pieces
    }
}
