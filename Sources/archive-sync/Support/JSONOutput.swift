import ArchiveModel
import ArticleProjector
import Replica

/// The JSON shapes the command line prints (`--json`), in one place so they stay consistent.
enum JSONOutput {
    /// Prints one JSON value on one line. The JSON writer escapes C0 controls; DEL, C1 controls,
    /// bidi marks and U+2028/U+2029 are written as `\uXXXX` here too, so that the line passes
    /// through the terminal unchanged and still parses to the same value.
    static func print(_ value: JSONValue) { Terminal.line(escapingForTerminal(value.compactText)) }

    /// `json` with every scalar `DisplayText` would escape written as a JSON `\uXXXX` escape
    /// (such scalars can only stand inside strings, and all of them are below U+10000).
    static func escapingForTerminal(_ json: String) -> String {
        guard json.unicodeScalars.contains(where: { DisplayText.needsEscape($0) }) else { return json }
        var out = String.UnicodeScalarView()
        for scalar in json.unicodeScalars {
            if DisplayText.needsEscape(scalar) {
                let hex = String(scalar.value, radix: 16)
                out.append(
                    contentsOf: ("\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex).unicodeScalars)
            } else {
                out.append(scalar)
            }
        }
        return String(out)
    }

    static func summary(_ article: ArticleSummary) -> JSONValue {
        var pairs: [(key: String, value: JSONValue)] = [
            ("id", .string(article.id.hex)), ("capture", .string(article.capture.hex)),
            ("captures", .integer(Int64(article.captures))), ("title", .string(article.title)),
            ("url", .string(article.url)), ("path", .string(article.path)),
            ("captured_at", .integer(article.capturedAt)),
            ("deleted", .bool(article.deleted)), ("tags", .array(article.tags.map(JSONValue.string))),
            ("conflicts", .array(article.conflicts.map { .string($0.rawValue) })),
        ]
        if let snippet = article.snippet { pairs.append(("snippet", .string(snippet))) }
        return .object(pairs)
    }

    static func detail(_ detail: ArticleDetail, names: [OriginID: String]) -> JSONValue {
        let state = detail.state
        var pairs: [(key: String, value: JSONValue)] = [
            ("id", .string(detail.article.hex)), ("capture", .string(state.id.hex)),
        ]
        for field in Field.allCases where field != .note {
            pairs.append((field.rawValue, JSONValue(state.value(of: field))))
        }
        pairs.append(("note", .string(detail.note)))
        pairs.append(("tags", .array(detail.tags.map(JSONValue.string))))
        pairs.append(("capture_tags", .array(state.tags.map { .string($0.text) })))
        pairs.append(("capture_note", .string(state.text(.note))))
        pairs.append(
            (
                "captures",
                .array(
                    detail.captures.enumerated().map { index, capture in
                        .object([
                            ("number", .integer(Int64(index + 1))), ("capture", .string(capture.id.hex)),
                            ("path", .string(capture.path)), ("captured_at", .integer(capture.capturedAt)),
                            ("title", .string(capture.title)), ("bytes", .integer(Int64(capture.bodyBytes))),
                            ("deleted", .bool(capture.deleted)),
                        ])
                    })
            ))
        pairs.append(
            (
                "conflicts",
                .array(
                    state.conflictedFields.map { field in
                        .object([
                            ("field", .string(field.rawValue)),
                            (
                                "heads",
                                .array(
                                    (state.registers[field]?.heads ?? []).map {
                                        head(
                                            $0,
                                            shown: state.registers[field]?.value == nil
                                                ? false : $0.valueHash == state.value(of: field).valueHash, names: names
                                        )
                                    })
                            ),
                        ])
                    })
            ))
        pairs.append(("first_hlc", hlc(detail.firstHLC)))
        pairs.append(("last_hlc", hlc(detail.lastHLC)))
        pairs.append(("events", .integer(Int64(detail.eventCount))))
        return .object(pairs)
    }

    static func head(
        _ head: RegisterHead, shown: Bool, names: [OriginID: String], value: FieldValue? = nil
    ) -> JSONValue {
        var pairs: [(key: String, value: JSONValue)] = [
            ("origin", .string(head.dot.origin.hex)), ("seq", .integer(Int64(head.dot.seq))),
            ("replica", names[head.dot.origin].map(JSONValue.string) ?? .null), ("hlc", hlc(head.hlc)),
            ("shown", .bool(shown)),
        ]
        if let value { pairs.append(("value", JSONValue(value))) }
        return .object(pairs)
    }

    static func hlc(_ value: HybridTimestamp) -> JSONValue {
        .array([.integer(value.milliseconds), .integer(Int64(value.counter))])
    }

    static func history(_ entry: HistoryEntry, showBefore: Bool) -> JSONValue {
        let event = entry.event
        let writes: [JSONValue] = entry.writes.map { write in
            var pairs: [(key: String, value: JSONValue)] = [("field", .string(write.field.rawValue))]
            if showBefore { pairs.append(("before", JSONValue(write.before))) }
            pairs.append(("value", JSONValue(write.written)))
            if showBefore {
                pairs.append(("after", JSONValue(write.after)))
                pairs.append(("conflict", .bool(write.conflict)))
            }
            return .object(pairs)
        }
        return .object([
            ("position", .integer(entry.position)), ("origin", .string(event.origin.hex)),
            ("seq", .integer(Int64(event.seq))), ("replica", entry.replicaName.map(JSONValue.string) ?? .null),
            ("fingerprint", .string(Fingerprint.of(event.origin))), ("signed", .bool(event.signature != nil)),
            ("time", .string(ISODate.format(event.hlc.milliseconds))), ("hlc", hlc(event.hlc)),
            ("article", .string(event.article.hex)), ("kind", .string(event.kind.rawValue)),
            ("writes", .array(writes)), ("tags_added", .array(entry.tagsAdded.map(JSONValue.string))),
            ("tags_removed", .array(entry.tagsRemoved.map(JSONValue.string))), ("hash", .string(event.hash.hex)),
        ])
    }
}
