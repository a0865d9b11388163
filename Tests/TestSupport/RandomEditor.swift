import ArchiveModel
import ArticleGenerator
import Replica

/// Random local actions on a replica, for the property and chaos tests: captures of a small pool
/// of urls at a small pool of paths (so replicas capture the same article offline, into the same
/// file or into another, and articles have several captures), edits of every field with values
/// drawn from small pools (so concurrent writes sometimes agree and sometimes conflict),
/// deletes, restores, tag adds and removes, and resolves of conflicts.
package struct RandomEditor: Sendable {
    package let urls: [String]

    package init(urlCount: Int = 6) {
        urls = (0..<urlCount).map { "https://news.example.org/a/story-\($0)/\(5_000_000 + $0).html" }
    }

    /// Performs one random action; returns false when it did not apply here (nothing to change,
    /// a deleted article, no conflict to resolve…).
    @discardableResult
    package func act(on replica: Replica, random: inout SplitMix64) throws -> Bool {
        let roll = random.next() % 100
        do {
            switch roll {
            case 0..<18:
                let url = pick(urls, &random)
                _ = try replica.capture(
                    url: url, title: pick(["First", "Second", "朝鲜"], &random), body: "<p>\(roll)</p>\n",
                    capturedAt: Int64(random.next() % 3) * 1000,
                    path: pick(["story.txt", "story.txt", "archived/story.txt", "copy/story.md"], &random))
            case 18..<60:
                guard let id = try randomArticle(replica, &random) else { return false }
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
            case 60..<70:
                guard let id = try randomArticle(replica, &random) else { return false }
                _ = try replica.delete(id)
            case 70..<77:
                guard let id = try randomArticle(replica, &random) else { return false }
                _ = try replica.restore(id)
            case 77..<92:
                guard let id = try randomArticle(replica, &random) else { return false }
                let tag = pick(["korea", "asia", "todo"], &random)
                if random.next() % 2 == 0 {
                    _ = try replica.tag(id, add: [tag], remove: [])
                } else {
                    _ = try replica.tag(id, add: [], remove: [tag])
                }
            default:
                guard let conflict = try replica.conflicts().randomElement(using: &random),
                    let head = conflict.heads.randomElement(using: &random)
                else { return false }
                _ = try replica.resolve(
                    conflict.article, field: conflict.field, take: "\(head.head.dot.origin.hex):\(head.head.dot.seq)",
                    value: nil)
            }
            return true
        } catch is ReplicaError {
            return false
        }
    }

    /// An article held (every capture of it), or one capture of one.
    private func randomArticle(_ replica: Replica, _ random: inout SplitMix64) throws -> ArticleTarget? {
        let held = try replica.read { db in
            var targets: [ArticleTarget] = []
            for article in try replica.projector.list(includeDeleted: true, tag: nil, limit: nil, db) {
                targets.append(.article(article.id))
                targets += try replica.projector.captures(of: article.id, db).map { .capture($0.id) }
            }
            return targets
        }
        return held.isEmpty ? nil : held[Int(random.next() % UInt64(held.count))]
    }

    private func pick<T>(_ items: [T], _ random: inout SplitMix64) -> T {
        items[Int(random.next() % UInt64(items.count))]
    }
}
