import ArchiveModel
import ArticleProjector
import EventJournal
import GRDB

/// A capture as `show` presents it, with the article it belongs to.
package struct ArticleDetail: Sendable {
    /// The capture shown.
    package var state: ArticleState
    package var firstHLC: HybridTimestamp
    package var lastHLC: HybridTimestamp
    package var eventCount: Int
    /// The article: `ArticleID(url:)` of the capture's url.
    package var article: ArticleID
    /// Every capture of the article, oldest first; `state` is one of them.
    package var captures: [CaptureSummary]
    /// The article's tags: those of its live captures (of all, when every one is deleted).
    package var tags: [String]
    /// The article's note: that of its newest live capture with a note.
    package var note: String
}

/// What an id given to a command names: a whole article (every capture of it) or one capture.
package enum ArticleTarget: Hashable, Sendable, CustomStringConvertible {
    case article(ArticleID)
    case capture(ArticleID)

    package var id: ArticleID {
        switch self {
        case .article(let id), .capture(let id): id
        }
    }

    package var description: String {
        switch self {
        case .article(let id): "article \(id)"
        case .capture(let id): "capture \(id)"
        }
    }
}

extension Replica {
    /// The article or capture whose id is `text` or starts with it (see `resolve(_:capture:)`).
    package func resolveArticle(_ text: String) throws -> ArticleID {
        try resolve(text).id
    }

    /// The article or capture named by `text` (an id or a unique prefix; an article's id names the
    /// article even when one of its captures has the same id), narrowed to one capture of it by
    /// `capture`: a number (1 is the oldest capture), a capture id or prefix, or a path.
    ///
    /// Throws `unknownArticle` when nothing matches and `ambiguousArticle` (listing some) when
    /// several do.
    package func resolve(_ text: String, capture: String? = nil) throws -> ArticleTarget {
        try read { db in
            let target = try Self.resolve(text, projector: self.projector, db)
            guard let capture else { return target }
            return .capture(try Self.capture(capture, of: target, projector: self.projector, db))
        }
    }

    static func resolve(_ text: String, projector: ArticleProjector, _ db: Database) throws -> ArticleTarget {
        var matches: [ArticleTarget] = try projector.articleKeys(withPrefix: text, limit: 6, db).map { .article($0) }
        for id in try projector.articleIDs(withPrefix: text, limit: 6, db) where !matches.contains(.article(id)) {
            matches.append(.capture(id))
        }
        if matches.count == 1 { return matches[0] }
        if let exact = matches.first(where: { $0.id.hex == text }) { return exact }
        if matches.isEmpty {
            throw ReplicaError(
                .unknownArticle, "there is no article with id \(text.isEmpty ? "\"\"" : text) (see `archive-sync list`)"
            )
        }
        let shown = matches.prefix(5).map(\.id.hex).joined(separator: ", ")
        throw ReplicaError(
            .ambiguousArticle,
            "the id \(text) is ambiguous: it starts \(shown)\(matches.count > 5 ? ", …" : ""); give more digits")
    }

    /// What an id names: the article of that id when one is held, else the capture.
    package func target(of id: ArticleID) throws -> ArticleTarget {
        try read { db in try projector.summary(of: id, db) != nil ? .article(id) : .capture(id) }
    }

    /// One capture of `target`'s article picked by `selector` (see `resolve(_:capture:)`).
    static func capture(
        _ selector: String, of target: ArticleTarget, projector: ArticleProjector, _ db: Database
    ) throws -> ArticleID {
        let article =
            switch target {
            case .article(let id): id
            case .capture(let id): try projector.article(ofCapture: id, db) ?? id
            }
        let captures = try projector.captures(of: article, db)
        if let number = Int(selector), !selector.hasPrefix("+"), number >= 1, number <= captures.count {
            return captures[number - 1].id
        }
        if let byPath = captures.first(where: { $0.path.utf8.elementsEqual(selector.utf8) }) { return byPath.id }
        let byID = captures.filter { $0.id.hex.hasPrefix(selector.lowercased()) && !selector.isEmpty }
        if byID.count == 1 { return byID[0].id }
        if Int(selector) != nil, byID.isEmpty {
            throw ReplicaError(
                .unknownArticle,
                "article \(article) has \(captures.count) capture\(captures.count == 1 ? "" : "s");"
                    + " give a number from 1 to \(captures.count), a capture id or a path")
        }
        throw ReplicaError(
            byID.isEmpty ? .unknownArticle : .ambiguousArticle,
            "article \(article) has no capture \(selector); give its number (1 is the oldest), its id or its path"
                + " (see `archive-sync show \(article)`)")
    }

    /// The captures an article-wide change applies to, and the capture a field edit applies to:
    /// for an article, its live captures and the newest of them; for a capture, itself.
    static func scope(
        _ target: ArticleTarget, projector: ArticleProjector, action: String, _ db: Database
    ) throws -> (all: [ArticleID], head: ArticleID) {
        let id = target.id
        let captures = target == .article(id) ? try projector.captures(of: id, db) : []
        if captures.isEmpty {
            guard let stored = try projector.load(id, db) else {
                throw ReplicaError(.unknownArticle, "there is no article with id \(id)")
            }
            if stored.state.isDeleted {
                throw ReplicaError(
                    .articleDeleted,
                    "capture \(id) is deleted; restore it first with `archive-sync restore \(id)`, then \(action) it")
            }
            return ([id], id)
        }
        let live = captures.filter { !$0.deleted }
        guard let head = live.max(by: { ($0.capturedAt, $0.id) < ($1.capturedAt, $1.id) }) else {
            throw ReplicaError(
                .articleDeleted,
                "article \(id) is deleted; restore it first with `archive-sync restore \(id)`, then \(action) it")
        }
        return (live.map(\.id), head.id)
    }

    /// The article or capture `id` names, as `show` presents it: a capture itself (always, when
    /// `capture`), or an article's newest live capture (its newest when every one is deleted).
    package func article(_ id: ArticleID, capture onlyCapture: Bool = false) throws -> ArticleDetail {
        try read { db in
            var capture = id
            if !onlyCapture, let summary = try projector.summary(of: id, db) { capture = summary.capture }
            guard let stored = try projector.load(capture, db) else {
                throw ReplicaError(.unknownArticle, "there is no article with id \(id)")
            }
            let article = ArticleID(url: stored.state.text(.url))
            let count = try journal.eventCount(ofArticle: capture, db)
            let captures = try projector.captures(of: article, db)
            let allDeleted = captures.allSatisfy(\.deleted)
            var tags = Set<String>()
            var note = ""
            var noteTime: (Int64, ArticleID)?
            for summary in captures where onlyCapture ? summary.id == capture : (allDeleted || !summary.deleted) {
                guard let state = try projector.load(summary.id, db)?.state else { continue }
                tags.formUnion(state.tags.map(\.text))
                if !state.text(.note).isEmpty, noteTime.map({ $0 < (summary.capturedAt, summary.id) }) ?? true {
                    note = state.text(.note)
                    noteTime = (summary.capturedAt, summary.id)
                }
            }
            return ArticleDetail(
                state: stored.state, firstHLC: stored.firstHLC, lastHLC: stored.lastHLC, eventCount: count,
                article: article, captures: captures,
                tags: tags.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }, note: note)
        }
    }

    /// Creates a new capture: of a new article, or, with a `path` no capture of it has, a new
    /// capture of the article this url already names. `path` defaults to `<article id>.txt`,
    /// `capturedAt` to now. The capture's id is `ArticleID(captureOf: url, at: path)`.
    ///
    /// Throws `articleExists` when the article is held and no new `path` is given, or a capture
    /// of it is already at `path`.
    package func capture(
        url: String, title: String, body: String, frontMatter: String = "", capturedAt: Int64? = nil,
        path: String? = nil, note: String = "", tags: [String] = []
    ) throws -> Event {
        let article = ArticleID(url: url)
        let path = path ?? "\(article).txt"
        let capturedAt = capturedAt ?? wallClock()
        return try write { writer, db in
            let captures = try projector.captures(of: article, db)
            if !captures.isEmpty, captures.allSatisfy(\.deleted) {
                throw ReplicaError(
                    .articleDeleted,
                    "article \(article) is deleted; restore it first with `archive-sync restore \(article)`, then capture it"
                )
            }
            if captures.contains(where: { $0.path.utf8.elementsEqual(path.utf8) }) {
                throw ReplicaError(
                    .articleExists,
                    "an article with this url already has a capture at \(path) (article \(article)); change it with"
                        + " `archive-sync edit \(article)`, or give another --path for a new capture")
            }
            guard let id = try Self.freeCaptureID(url: url, path: path, projector: projector, db) else {
                throw ReplicaError(
                    .articleExists,
                    "too many captures of article \(article) have moved away from \(path); give another --path")
            }
            var changes: [Change] = [
                .set(.url, .text(url)), .set(.title, .text(title)), .set(.body, .text(body)),
                .set(.capturedAt, .integer(capturedAt)), .set(.path, .text(path)),
            ]
            if !frontMatter.isEmpty { changes.append(.set(.frontMatter, .text(frontMatter))) }
            if !note.isEmpty { changes.append(.set(.note, .text(note))) }
            for tag in Self.uniqueTags(tags) { changes.append(.tagAdd(tag)) }
            return try writer.write(.create, article: id, changes: changes, db).event
        }
    }

    /// Sets fields of a live article or capture; only the values that differ are written.
    ///
    /// For an article, the note is the article's: it is written on each of its live captures;
    /// every other field is its newest live capture's (a capture is one file: correcting it does
    /// not rewrite the article's other captures). For a capture, every field is written on it.
    /// Throws `articleDeleted` for a deleted one and `nothingToChange` when every value is
    /// already there.
    package func edit(_ id: ArticleID, values: [(Field, FieldValue)]) throws -> [Event] {
        try edit(try target(of: id), values: values)
    }

    /// `edit(_:values:)` of an article or of one capture (see `resolve(_:capture:)`); each
    /// capture written gets one event, all in one transaction. Throws as `edit(_:values:)`.
    package func edit(_ target: ArticleTarget, values: [(Field, FieldValue)]) throws -> [Event] {
        let id = target.id
        return try write { writer, db in
            let scope = try Self.scope(target, projector: projector, action: "edit", db)
            var events: [Event] = []
            for capture in scope.all where capture == scope.head || values.contains(where: { $0.0 == .note }) {
                guard let state = try projector.load(capture, db)?.state else { continue }
                if capture == scope.head, !state.text(.dateLine).isEmpty,
                    values.contains(where: { $0.0 == .capturedAt && $0.1 != state.value(of: .capturedAt) })
                {
                    throw ReplicaError(
                        .invalidValue,
                        "capture \(capture) takes its capture time from its date line (\(state.text(.dateLine)));"
                            + " its captured_at cannot be set on its own")
                }
                var changes: [Change] = []
                for (field, value) in values.sorted(by: { $0.0 < $1.0 })
                where (capture == scope.head || field == .note) && state.value(of: field) != value {
                    changes.append(.set(field, value))
                }
                if changes.isEmpty { continue }
                events.append(try writer.write(.update, article: capture, changes: changes, db).event)
            }
            guard !events.isEmpty else {
                throw ReplicaError(.nothingToChange, "article \(id) already has these values; nothing was written")
            }
            return events
        }
    }

    /// Marks a live article (each of its live captures) or one capture deleted: a tombstone,
    /// their history and content stay.
    package func delete(_ id: ArticleID) throws -> [Event] {
        try delete(try target(of: id))
    }

    /// `delete(_:)` of an article or of one capture, in one transaction. Throws `articleDeleted`
    /// when nothing is left to delete, `unknownArticle` for an id not held.
    package func delete(_ target: ArticleTarget) throws -> [Event] {
        try write { writer, db in
            let scope = try Self.scope(target, projector: projector, action: "delete", db)
            return try scope.all.map { capture in
                try writer.write(.delete, article: capture, changes: [.set(.deleted, .flag(true))], db).event
            }
        }
    }

    /// Brings back a deleted article (each of its deleted captures) or one deleted capture.
    package func restore(_ id: ArticleID) throws -> [Event] {
        try restore(try target(of: id))
    }

    /// `restore(_:)` of an article or of one capture, in one transaction. Throws
    /// `articleNotDeleted` when the article still has live captures (so a copy deleted on its
    /// own does not come back), `unknownArticle` for an id not held.
    package func restore(_ target: ArticleTarget) throws -> [Event] {
        let id = target.id
        return try write { writer, db in
            let captures = try projector.captures(of: id, db)
            var deleted = captures.filter(\.deleted).map(\.id)
            if target == .article(id), captures.contains(where: { !$0.deleted }) {
                throw ReplicaError(
                    .articleNotDeleted,
                    "article \(id) is not deleted (\(captures.count - deleted.count) of its \(captures.count) captures are live);"
                        + " restore one deleted capture with --capture")
            }
            if target == .capture(id) {
                guard let stored = try projector.load(id, db) else {
                    throw ReplicaError(.unknownArticle, "there is no article with id \(id)")
                }
                deleted = stored.state.isDeleted ? [id] : []
            }
            guard !deleted.isEmpty else {
                throw ReplicaError(.articleNotDeleted, "article \(id) is not deleted; there is nothing to restore")
            }
            return try deleted.map { capture in
                try writer.write(.restore, article: capture, changes: [.set(.deleted, .flag(false))], db).event
            }
        }
    }

    /// Adds and removes tags, on each live capture of an article or on one capture.
    ///
    /// An add is always written, even for a tag already present: it states the intention, so it
    /// wins over a remove made concurrently elsewhere (tags are an add-wins set). A remove is
    /// written on each capture that has the tag; removing a tag none has is an error.
    package func tag(_ id: ArticleID, add: [String], remove: [String]) throws -> [Event] {
        try tag(try target(of: id), add: add, remove: remove)
    }

    /// `tag(_:add:remove:)` of an article or of one capture, in one transaction. Throws
    /// `invalidValue` for a tag both added and removed or removed but absent, `nothingToChange`
    /// for no tag at all.
    package func tag(_ target: ArticleTarget, add: [String], remove: [String]) throws -> [Event] {
        let id = target.id
        return try write { writer, db in
            let scope = try Self.scope(target, projector: projector, action: "tag", db)
            var present: [ArticleID: Set<Tag>] = [:]
            for capture in scope.all { present[capture] = Set(try projector.load(capture, db)?.state.tags ?? []) }
            let adding = Self.uniqueTags(add)
            let removing = Self.uniqueTags(remove)
            if let overlap = adding.first(where: { removing.contains($0) }) {
                throw ReplicaError(.invalidValue, "the tag \(overlap) is both added and removed")
            }
            if let absent = removing.first(where: { tag in !present.values.contains { $0.contains(Tag(tag)) } }) {
                throw ReplicaError(.invalidValue, "article \(id) has no tag \(absent)")
            }
            guard !adding.isEmpty || !removing.isEmpty else {
                throw ReplicaError(.nothingToChange, "no tag to add or remove")
            }
            var events: [Event] = []
            for capture in scope.all {
                let changes =
                    adding.map(Change.tagAdd)
                    + removing.filter { present[capture]?.contains(Tag($0)) ?? false }.map(Change.tagRemove)
                if changes.isEmpty { continue }
                events.append(try writer.write(.update, article: capture, changes: changes, db).event)
            }
            return events
        }
    }

    /// Picks the value of a field in conflict: the value of one of its heads or a new one.
    ///
    /// For an article, the capture whose field is in conflict (when several of its captures
    /// are, give the capture). The resolve event's clock covers every head, so the conflict ends
    /// wherever it travels.
    package func resolve(_ id: ArticleID, field: Field, take: String?, value: FieldValue?) throws -> Event {
        try resolve(try target(of: id), field: field, take: take, value: value)
    }

    /// `resolve(_:field:take:value:)` of an article or of one capture, in one transaction.
    /// Throws `notInConflict` when the field has one head, `unknownHead` for a `take` that names
    /// none, `ambiguousArticle` when several captures of the article are in conflict there.
    package func resolve(_ target: ArticleTarget, field: Field, take: String?, value: FieldValue?) throws -> Event {
        let id = target.id
        return try write { writer, db in
            var capture = id
            let captures = target == .article(id) ? try projector.captures(of: id, db) : []
            if !captures.isEmpty {
                var conflicted: [ArticleID] = []
                for summary in captures {
                    if try projector.load(summary.id, db)?.state.registers[field]?.isConflict ?? false {
                        conflicted.append(summary.id)
                    }
                }
                if conflicted.count > 1 {
                    throw ReplicaError(
                        .ambiguousArticle,
                        "the \(field) of \(conflicted.count) captures of article \(id) is in conflict"
                            + " (\(conflicted.map(\.hex).joined(separator: ", "))); resolve one capture at a time with"
                            + " `archive-sync resolve \(id) \(field) --capture ID …`")
                }
                capture = conflicted.first ?? captures.last?.id ?? id
            }
            guard let stored = try projector.load(capture, db) else {
                throw ReplicaError(.unknownArticle, "there is no article with id \(id)")
            }
            if field != .deleted, stored.state.isDeleted {
                throw ReplicaError(
                    .articleDeleted,
                    "capture \(capture) is deleted; restore it first with `archive-sync restore \(capture)`")
            }
            guard let register = stored.state.registers[field], register.isConflict else {
                throw ReplicaError(
                    .notInConflict,
                    "the \(field) of article \(id) is not in conflict; use `archive-sync edit` to change it")
            }
            let chosen: FieldValue
            if let take {
                guard let (prefix, seq) = Dot.parse(take),
                    let head = register.heads.first(where: { $0.dot.seq == seq && $0.dot.origin.hex.hasPrefix(prefix) })
                else {
                    let heads = register.heads.map { "\($0.dot.origin.short):\($0.dot.seq)" }.joined(separator: ", ")
                    throw ReplicaError(
                        .unknownHead, "\(take) is not one of the conflicting values of \(field) (\(heads))")
                }
                guard let event = try journal.event(head.dot, db)?.event, let headValue = event.value(of: field) else {
                    throw ReplicaError(.unknownHead, "the event \(head.dot) is missing from the journal")
                }
                chosen = headValue
            } else if let value {
                chosen = value
            } else {
                throw ReplicaError(.invalidValue, "say which value to keep: --take ORIGIN:SEQ or --value VALUE")
            }
            // A date line carries its capture time: resolving it writes both; a capture time
            // of a capture with a date line can only be the date line's.
            var changes: [Change] = [.set(field, chosen)]
            if field == .dateLine, case .text(let line) = chosen, !line.isEmpty,
                let instant = try? DateLine.milliseconds(of: line)
            {
                changes.append(.set(.capturedAt, .integer(instant)))
            }
            if field == .capturedAt, !stored.state.text(.dateLine).isEmpty {
                let instant = try? DateLine.milliseconds(of: stored.state.text(.dateLine))
                guard chosen == .integer(instant ?? -1) else {
                    throw ReplicaError(
                        .invalidValue,
                        "capture \(capture) takes its capture time from its date line (\(stored.state.text(.dateLine)));"
                            + " keep \(instant ?? 0) with --value, or resolve its date_line")
                }
            }
            return try writer.write(.resolve, article: capture, changes: changes, db).event
        }
    }

    static func uniqueTags(_ tags: [String]) -> [String] {
        var seen = Set<Tag>()
        return tags.filter { seen.insert(Tag($0)).inserted }
    }
}
