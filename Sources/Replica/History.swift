import ArchiveModel
import ArticleProjector
import EventJournal
import GRDB

/// One event as `history` and `log` show it: who wrote it, when, and what it changed.
package struct HistoryEntry: Sendable {
    /// One register write and its effect.
    package struct FieldWrite: Sendable {
        package var field: Field
        /// The value shown before this event (on this replica's replay of the article).
        package var before: FieldValue
        /// The value the event wrote.
        package var written: FieldValue
        /// The value shown after it: differs from `written` when a concurrent write wins.
        package var after: FieldValue
        /// True when the field is in conflict after this event.
        package var conflict: Bool
    }

    package var position: Int64
    package var event: Event
    /// The writing replica's name, as its events carried it.
    package var replicaName: String?
    package var writes: [FieldWrite]
    package var tagsAdded: [String]
    package var tagsRemoved: [String]

    init(_ item: EventJournal.StoredEvent, names: [OriginID: String], writes: [FieldWrite]) {
        position = item.position
        event = item.event
        replicaName = names[item.event.origin]
        self.writes = writes
        tagsAdded = item.event.changes.compactMap { if case .tagAdd(let tag) = $0 { tag } else { nil } }
        tagsRemoved = item.event.changes.compactMap { if case .tagRemove(let tag) = $0 { tag } else { nil } }
    }
}

extension Replica {
    /// Every event of one article (of each of its captures) or of one capture, in journal order,
    /// with before and after values (each capture replayed on its own).
    package func history(of id: ArticleID) throws -> [HistoryEntry] {
        try read { db in
            var ids = try projector.captures(of: id, db).map(\.id)
            if ids.isEmpty { ids = [id] }
            var stored: [EventJournal.StoredEvent] = []
            for capture in ids { stored += try journal.events(ofArticle: capture, db) }
            stored.sort { $0.position < $1.position }
            guard !stored.isEmpty else { throw ReplicaError(.unknownArticle, "there is no article with id \(id)") }
            let names = try journal.replicaNames(db)
            var states: [ArticleID: ArticleState] = [:]
            return stored.map { item in
                let capture = item.event.article
                let before = states[capture] ?? ArticleState(id: capture)
                var after = before
                after.apply(item.event)
                states[capture] = after
                return Self.entry(item, before: before, after: after, names: names)
            }
        }
    }

    /// One capture of an article with its file's content, for `history` and `show`.
    package struct CaptureVersion: Sendable {
        /// 1 for the oldest capture (by capture time, then id).
        package var number: Int
        package var summary: CaptureSummary
        package var file: ArticleFile
    }

    /// The captures of the article `id` names (an article, or the article of a capture), oldest
    /// first, each with its content.
    package func captureVersions(of id: ArticleID) throws -> [CaptureVersion] {
        try read { db in
            var captures = try projector.captures(of: id, db)
            if captures.isEmpty, let article = try projector.article(ofCapture: id, db) {
                captures = try projector.captures(of: article, db)
            }
            return try captures.enumerated().compactMap { index, summary in
                guard let state = try projector.load(summary.id, db)?.state else { return nil }
                return CaptureVersion(number: index + 1, summary: summary, file: ArticleFile(state))
            }
        }
    }

    /// Calls `body` with the journal's events, newest first unless `oldestFirst`, at most `limit`,
    /// reading in bounded batches from one snapshot.
    ///
    /// Field values are shown as written (a log does not replay every article).
    package func log(limit: Int?, oldestFirst: Bool, _ body: @Sendable (HistoryEntry) throws -> Void) throws {
        try read { db in
            let names = try journal.replicaNames(db)
            var remaining = limit ?? Int.max
            var cursor: Int64 = oldestFirst ? 0 : Int64.max
            while remaining > 0 {
                let batchSize = min(remaining, 500)
                let batch =
                    oldestFirst
                    ? try journal.events(after: cursor, limit: batchSize, db)
                    : try journal.events(before: cursor, limit: batchSize, db)
                for item in batch {
                    let writes = item.event.changes.compactMap { change -> HistoryEntry.FieldWrite? in
                        guard case .set(let field, let value) = change else { return nil }
                        return HistoryEntry.FieldWrite(
                            field: field, before: value, written: value, after: value, conflict: false)
                    }
                    try body(HistoryEntry(item, names: names, writes: writes))
                }
                guard let last = batch.last, batch.count == batchSize else { return }
                cursor = last.position
                remaining -= batch.count
            }
        }
    }

    static func entry(
        _ item: EventJournal.StoredEvent, before: ArticleState, after: ArticleState, names: [OriginID: String]
    ) -> HistoryEntry {
        var writes: [HistoryEntry.FieldWrite] = []
        for change in ArticleState.effectiveChanges(of: item.event) {
            guard case .set(let field, let value) = change else { continue }
            let explicit = item.event.value(of: field) != nil
            let shownBefore = before.value(of: field)
            let shownAfter = after.value(of: field)
            // The implicit `deleted = false` of an edit is worth showing only when it undeleted.
            guard explicit || shownBefore != shownAfter else { continue }
            writes.append(
                HistoryEntry.FieldWrite(
                    field: field, before: shownBefore, written: value, after: shownAfter,
                    conflict: after.registers[field]?.isConflict ?? false))
        }
        return HistoryEntry(item, names: names, writes: writes)
    }
}
