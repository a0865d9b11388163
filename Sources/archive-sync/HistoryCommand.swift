import ArchiveModel
import ArgumentParser
import Replica

struct HistoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "Every change of one article: by which replica, when, and what changed.",
        discussion: """
            An article captured into several files (the same url) first lists its captures in \
            the order they were captured, each with its path and, from the second on, what \
            changed since the capture before it (title, url, front matter, and the body as a \
            diff). Then every event of every capture, oldest first: its time, the replica that \
            wrote it, its kind and origin:seq, the capture it wrote (when there are several), \
            then each field it wrote as old → new. Body changes are shown as a diff of \
            sentences and paragraphs. When a concurrent write wins, the line says which value \
            is shown and that the field is in conflict.

            With --json: one object per capture (with "capture_number") when there are several, \
            then one object per event.
            """)

    @OptionGroup var replica: ReplicaOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: ArgumentHelp(Target.idHelp)) var id: String

    func run() throws {
        let target = try replica.open()
        let chosen = try target.resolve(id)
        let entries = try target.history(of: chosen.id)
        let captures = chosen == .article(chosen.id) ? try target.captureVersions(of: chosen.id) : []
        if captures.count > 1 {
            if !output.json { Terminal.line("\(captures.count) captures, oldest first:") }
            for (index, capture) in captures.enumerated() {
                let previous = index > 0 ? captures[index - 1] : nil
                if output.json {
                    JSONOutput.print(Self.json(capture, previous: previous))
                } else {
                    Self.print(capture, previous: previous)
                }
            }
            if !output.json { Terminal.line("") }
        }
        for entry in entries {
            if output.json {
                JSONOutput.print(JSONOutput.history(entry, showBefore: true))
            } else {
                Self.print(entry, showCapture: captures.count > 1)
            }
        }
    }

    /// The fields of a capture's file that differ from the capture before it.
    static func differences(_ capture: Replica.CaptureVersion, previous: Replica.CaptureVersion?) -> [Field] {
        guard let previous else { return [] }
        let fields: [Field] = [.title, .url, .frontMatter, .dateLine, .body]
        let now = Dictionary(uniqueKeysWithValues: capture.file.fieldValues)
        let before = Dictionary(uniqueKeysWithValues: previous.file.fieldValues)
        return fields.filter { now[$0] != before[$0] }
    }

    static func print(_ capture: Replica.CaptureVersion, previous: Replica.CaptureVersion?) {
        let summary = capture.summary
        Terminal.line(
            "\(capture.number)  \(ISODate.format(summary.capturedAt))  \(summary.path)  capture \(summary.id.hex)"
                + (summary.deleted ? "  (deleted)" : ""))
        guard let previous else { return }
        let changed = differences(capture, previous: previous)
        if changed.isEmpty {
            Terminal.line("    the same file as capture \(previous.number)")
            return
        }
        for field in changed {
            let old = Dictionary(uniqueKeysWithValues: previous.file.fieldValues)[field] ?? field.defaultValue
            let new = Dictionary(uniqueKeysWithValues: capture.file.fieldValues)[field] ?? field.defaultValue
            if field == .body || field == .frontMatter {
                Terminal.line("    \(field):")
                printDiff(old.text ?? "", new.text ?? "")
            } else {
                Terminal.line("    \(field): \(Formatting.oneLine(old)) → \(Formatting.oneLine(new))")
            }
        }
    }

    static func json(_ capture: Replica.CaptureVersion, previous: Replica.CaptureVersion?) -> JSONValue {
        let summary = capture.summary
        return .object([
            ("capture_number", .integer(Int64(capture.number))), ("capture", .string(summary.id.hex)),
            ("path", .string(summary.path)), ("captured_at", .integer(summary.capturedAt)),
            ("title", .string(summary.title)), ("url", .string(summary.url)), ("deleted", .bool(summary.deleted)),
            ("changed", .array(differences(capture, previous: previous).map { .string($0.rawValue) })),
        ])
    }

    static func printDiff(_ old: String, _ new: String) {
        for line in BodyDiff.diff(old, new) {
            switch line {
            case .same(let text): Terminal.line("        " + text.replacingNewlines())
            case .removed(let text): Terminal.line("      - " + text.replacingNewlines())
            case .added(let text): Terminal.line("      + " + text.replacingNewlines())
            case .skipped(let count): Terminal.line("        … \(count) unchanged")
            }
        }
    }

    static func header(_ entry: HistoryEntry) -> String {
        let event = entry.event
        let who = Fingerprint.label(
            name: entry.replicaName ?? "unnamed replica", origin: event.origin, signed: event.signature != nil)
        return "\(ISODate.format(event.hlc.milliseconds))  \(who)  \(event.kind)  \(event.origin.short):\(event.seq)"
    }

    static func print(_ entry: HistoryEntry, showCapture: Bool = false) {
        Terminal.line(header(entry) + (showCapture ? "  capture \(entry.event.article.hex)" : ""))
        for write in entry.writes {
            let suffix =
                write.conflict
                ? "   [conflict: \(write.after == write.written ? "this value is shown" : "another value is shown")]"
                : ""
            if write.field == .body || write.field == .frontMatter, entry.event.kind != .create {
                Terminal.line("    \(write.field):\(suffix)")
                printDiff(write.before.text ?? "", write.written.text ?? "")
            } else if entry.event.kind == .create {
                Terminal.line("    \(write.field): \(Formatting.oneLine(write.written))\(suffix)")
            } else {
                Terminal.line(
                    "    \(write.field): \(Formatting.oneLine(write.before)) → \(Formatting.oneLine(write.written))\(suffix)"
                )
            }
        }
        if !entry.tagsAdded.isEmpty || !entry.tagsRemoved.isEmpty {
            let tags = entry.tagsAdded.map { "+" + $0 } + entry.tagsRemoved.map { "-" + $0 }
            Terminal.line("    tags: \(tags.joined(separator: " "))")
        }
    }
}

struct LogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log",
        abstract: "The journal: every event of every article, newest first.",
        discussion: "One line per event: time, replica, kind, origin:seq, article and fields written.")

    @OptionGroup var replica: ReplicaOptions
    @OptionGroup var output: OutputOptions
    @Option(help: "At most this many events.") var limit: Int?
    @Flag(help: "Oldest first.") var reverse = false

    func run() throws {
        let target = try replica.open()
        let json = output.json
        try target.log(limit: limit, oldestFirst: reverse) { entry in
            if json {
                JSONOutput.print(JSONOutput.history(entry, showBefore: false))
            } else {
                let event = entry.event
                var changed = entry.writes.map(\.field.rawValue)
                changed += entry.tagsAdded.map { "+" + $0 } + entry.tagsRemoved.map { "-" + $0 }
                Terminal.line(
                    "\(ISODate.format(event.hlc.milliseconds))  "
                        + Fingerprint.label(
                            name: entry.replicaName ?? "unnamed", origin: event.origin, signed: event.signature != nil)
                        + "  \(event.kind)"
                        + "  \(event.origin.short):\(event.seq)  \(event.article.hex)  \(changed.joined(separator: " "))"
                )
            }
        }
    }
}
