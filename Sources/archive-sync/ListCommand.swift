import ArchiveModel
import ArgumentParser
import ArticleProjector
import Replica

extension ArticleOrder: ExpressibleByArgument {}

struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List articles, newest capture first.",
        discussion: """
            One line per article: id, capture time (UTC), title, then its tags and a ! with the \
            fields in conflict. An article captured into several files (the same url) is one \
            line, showing its newest capture and how many it has. With --json, one object per \
            line.
            """)

    @OptionGroup var replica: ReplicaOptions
    @OptionGroup var output: OutputOptions
    @Option(help: "Only articles with this tag.") var tag: String?
    @Flag(help: "Only deleted articles.") var deleted = false
    @Flag(help: "Deleted articles too.") var all = false
    @Option(help: "Order: captured, updated, title or path.") var sort: ArticleOrder = .captured
    @Option(help: "At most this many articles.") var limit: Int?

    func run() throws {
        let target = try replica.open()
        let articles = try target.list(includeDeleted: all, onlyDeleted: deleted, tag: tag, order: sort, limit: limit)
        for article in articles {
            if output.json {
                JSONOutput.print(JSONOutput.summary(article))
            } else {
                Terminal.line(ListCommand.line(article))
            }
        }
    }

    static func line(_ article: ArticleSummary) -> String {
        var line =
            "\(article.id.hex)  \(Formatting.shortDate(article.capturedAt))  \(article.title.replacingNewlines())"
        if article.captures > 1 { line += "  (\(article.captures) captures)" }
        if !article.tags.isEmpty { line += "  [" + article.tags.joined(separator: " ") + "]" }
        if article.deleted { line += "  (deleted)" }
        if !article.conflicts.isEmpty { line += "  !" + article.conflicts.map(\.rawValue).joined(separator: ",") }
        return line
    }
}

struct SearchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Full-text search over titles and bodies.",
        discussion: """
            Every word must occur. Chinese words of any length are found (朝鲜, 金正恩), as are \
            English words, case and accents ignored; end a word with * to match its prefix. \
            Newest captures first (as fast for a word in every article as for a rare one); \
            --relevance puts the best matches first instead (titles count four times the body), \
            which ranks every match and takes longer for very common words. Each article is \
            shown once (however many of its captures match), with a piece of text around the \
            match.

            The index follows the journal: your own writes and imports are indexed as they are \
            written, what a sync brings as its pages arrive and before it ends (a progress line \
            shows it), and search first indexes any capture still waiting (after a sync stopped \
            part-way, say; `status` shows how many wait).

            Examples:
              archive-sync search 朝鲜 核
              archive-sync search government --relevance --limit 5
            """)

    @OptionGroup var replica: ReplicaOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "Words to look for.") var words: [String]
    @Option(help: "At most this many results.") var limit = 20
    @Flag(name: .customLong("include-deleted"), help: "Search deleted articles too.") var includeDeleted = false
    @Flag(help: "Best matches first instead of newest first.") var relevance = false

    func run() throws {
        let target = try replica.open()
        let query = words.joined(separator: " ")
        SearchIndexing.catchUpOrWarn(target, consequence: "they are not searched this time")
        let hits = try target.search(
            query, includeDeleted: includeDeleted, limit: limit, order: relevance ? .relevance : .newest,
            indexFirst: false)
        for hit in hits {
            if output.json {
                JSONOutput.print(JSONOutput.summary(hit))
            } else {
                Terminal.line(ListCommand.line(hit))
                if let snippet = hit.snippet { Terminal.line("    " + snippet) }
            }
        }
        if hits.isEmpty, !output.json { Terminal.error("no article matches \(query)") }
    }
}

struct ShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show one article: its fields, tags, conflicts and body.",
        discussion: """
            An article captured into several files is shown by its newest capture, with the \
            list of its captures; --capture N (1 is the oldest), a capture id or a path shows \
            another.

            Text from the replica and its peers is shown with control and bidi characters escaped \
            (ESC as \\x1b, U+202E as \\u{202e}), so an article cannot drive the terminal.

            With --raw, prints the article exactly as `export` would write its file, byte for byte, \
            when standard output is a pipe or a file (archive-sync show --raw ID > a.txt). On a \
            terminal, --raw shows the same text with control and bidi characters escaped.
            """)

    @OptionGroup var replica: ReplicaOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: ArgumentHelp(Target.idHelp)) var id: String
    @Option(help: ArgumentHelp(Target.captureHelp, valueName: "N|ID|PATH")) var capture: String?
    @Flag(help: "Print the article file itself (verbatim unless standard output is a terminal).") var raw = false

    func run() throws {
        let target = try replica.open()
        let chosen = try target.resolve(id, capture: capture)
        let detail = try target.article(chosen.id, capture: chosen == .capture(chosen.id))
        let names = try target.replicaNames()
        let state = detail.state
        if raw {
            let file = ArticleFile(state)
            let text = String(decoding: file.render(), as: UTF8.self)
            if Terminal.stdoutIsTerminal {
                Terminal.text(text)
            } else {
                Terminal.writeVerbatim(text)
            }
            return
        }
        if output.json {
            JSONOutput.print(JSONOutput.detail(detail, names: names))
            return
        }
        Terminal.line("id:          \(detail.article.hex)")
        if detail.captures.count > 1 || detail.article != state.id {
            let number = (detail.captures.firstIndex { $0.id == state.id } ?? 0) + 1
            Terminal.line("capture:     \(state.id.hex) (\(number) of \(detail.captures.count))")
        }
        Terminal.line("title:       \(state.text(.title))")
        Terminal.line("url:         \(state.text(.url))")
        Terminal.line("captured:    \(ISODate.format(state.capturedAt))")
        if !state.text(.dateLine).isEmpty { Terminal.line("date line:   \(state.text(.dateLine))") }
        Terminal.line("path:        \(state.text(.path))")
        if state.isDeleted {
            Terminal.line("deleted:     yes (restore it with `archive-sync restore \(state.id.hex)`)")
        }
        if !detail.tags.isEmpty { Terminal.line("tags:        \(detail.tags.joined(separator: " "))") }
        if !detail.note.isEmpty { Terminal.line("note:        \(detail.note)") }
        Terminal.line("changed:     \(ISODate.format(detail.lastHLC.milliseconds)) (\(detail.eventCount) events)")
        for field in state.conflictedFields {
            Terminal.line(
                "conflict:    \(field) has \(state.registers[field]?.heads.count ?? 0) values; see `archive-sync conflicts \(state.id.hex)`"
            )
        }
        if detail.captures.count > 1 {
            Terminal.line("captures:    (show one with --capture N)")
            for (index, capture) in detail.captures.enumerated() {
                let marker = capture.id == state.id ? "*" : " "
                Terminal.line(
                    "   \(marker)\(index + 1)  \(capture.id.hex)  \(Formatting.shortDate(capture.capturedAt))  \(capture.path)"
                        + (capture.deleted ? "  (deleted)" : ""))
            }
        }
        if !state.text(.frontMatter).isEmpty {
            Terminal.line("front matter:")
            Terminal.text(state.text(.frontMatter))
        }
        Terminal.line("")
        Terminal.line(state.text(.body))
    }
}
