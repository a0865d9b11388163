import ArchiveModel
import ArgumentParser
import Replica

struct HistoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "Every change of one article: by which replica, when, and what changed.",
        discussion: """
            Oldest first. For each event: its time, the replica that wrote it, its kind and \
            origin:seq, then each field it wrote as old → new. Body changes are shown as a diff \
            of sentences and paragraphs. When a concurrent write wins, the line says which value \
            is shown and that the field is in conflict.
            """)

    @OptionGroup var replica: ReplicaOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "The article's id or a unique prefix of it.") var id: String

    func run() throws {
        let target = try replica.open()
        let entries = try target.history(of: try target.resolveArticle(id))
        for entry in entries {
            if output.json {
                JSONOutput.print(JSONOutput.history(entry, showBefore: true))
            } else {
                Self.print(entry)
            }
        }
    }

    static func header(_ entry: HistoryEntry) -> String {
        let event = entry.event
        let who = entry.replicaName ?? "unnamed replica"
        return "\(Formatting.iso(event.hlc.milliseconds))  \(who)  \(event.kind)  \(event.origin.short):\(event.seq)"
    }

    static func print(_ entry: HistoryEntry) {
        Terminal.line(header(entry))
        for write in entry.writes {
            let suffix =
                write.conflict
                ? "   [conflict: \(write.after == write.written ? "this value is shown" : "another value is shown")]"
                : ""
            if write.field == .body || write.field == .frontMatter, entry.event.kind != .create {
                Terminal.line("    \(write.field):\(suffix)")
                for line in BodyDiff.diff(write.before.text ?? "", write.written.text ?? "") {
                    switch line {
                    case .same(let text): Terminal.line("        " + text.replacingNewlines())
                    case .removed(let text): Terminal.line("      - " + text.replacingNewlines())
                    case .added(let text): Terminal.line("      + " + text.replacingNewlines())
                    case .skipped(let count): Terminal.line("        … \(count) unchanged")
                    }
                }
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
                    "\(Formatting.iso(event.hlc.milliseconds))  \(entry.replicaName ?? event.origin.short)  \(event.kind)"
                        + "  \(event.origin.short):\(event.seq)  \(event.article.hex)  \(changed.joined(separator: " "))"
                )
            }
        }
    }
}
