import ArchiveModel
import ArticleProjector
import EventJournal
import GRDB

/// A field in conflict with every value its heads wrote, read back from the journal.
package struct ConflictDetail: Sendable {
    package struct Value: Sendable {
        package var head: RegisterHead
        package var value: FieldValue
        /// True when this is the value the article shows now.
        package var shown: Bool
    }

    package var article: ArticleID
    package var title: String
    package var field: Field
    package var heads: [Value]
}

extension Replica {
    /// Every field in conflict (of one article, or of all), with the competing values.
    package func conflicts(of article: ArticleID? = nil) throws -> [ConflictDetail] {
        try read { db in
            try projector.conflicts(of: article, db).map { conflict in
                let shownHash = try projector.load(conflict.article, db)?.state.value(of: conflict.field).valueHash
                let values = try conflict.heads.map { head -> ConflictDetail.Value in
                    guard
                        let value = try journal.event(head.dot, db)?.event.value(of: conflict.field)
                            ?? (conflict.field == .deleted ? FieldValue.flag(false) : nil)
                    else {
                        throw ReplicaError(
                            .unknownHead, "the event \(head.dot) behind a conflict is missing from the journal")
                    }
                    return ConflictDetail.Value(head: head, value: value, shown: value.valueHash == shownHash)
                }
                return ConflictDetail(
                    article: conflict.article, title: conflict.title, field: conflict.field, heads: values)
            }
        }
    }
}
