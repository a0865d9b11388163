import ArchiveModel
import ArgumentParser
import Replica

struct CaptureCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "capture",
        abstract: "Capture one new article from its url, title and body.",
        discussion: """
            The article's id comes from its url, so two replicas that capture the same url get \
            the same article. Its path (where export writes it) defaults to <id>.txt. Capturing a \
            url already held with another --path adds a capture of that article (one file each).

            Example:
              curl -s https://example.org/a/1 | archive-sync capture --url https://example.org/a/1 \\
                  --title "A title" --body-file -
            """)

    @OptionGroup var replica: ReplicaOptions
    @OptionGroup var output: OutputOptions
    @Option(help: "The article's url.") var url: String
    @Option(help: "The article's title (one line).") var title: String
    @Option(help: "The HTML body as an argument.") var body: String?
    @Option(name: .customLong("body-file"), help: "Read the HTML body from a file ('-' for standard input).")
    var bodyFile: String?
    @Option(
        name: .customLong("front-matter-file"),
        help: "A Jekyll front matter block (from --- to ---) to keep in front of the article.")
    var frontMatterFile: String?
    @Option(name: .customLong("captured-at"), help: "Capture time in Unix milliseconds (default: now).")
    var capturedAt: Int64?
    @Option(help: "Path inside the archive folder (default: <id>.txt).") var path: String?
    @Option(help: "A note of your own.") var note: String = ""
    @Option(help: "A tag (repeat for several).") var tag: [String] = []

    func validate() throws {
        if (body == nil) == (bodyFile == nil) {
            throw ValidationError("give the body with either --body or --body-file")
        }
    }

    func run() throws {
        let target = try replica.open()
        let bodyText = try body ?? Input.text(from: bodyFile ?? "-", what: "body")
        let frontMatter = try frontMatterFile.map { try Input.text(from: $0, what: "front matter") } ?? ""
        let event = try target.capture(
            url: url, title: title, body: bodyText, frontMatter: frontMatter, capturedAt: capturedAt, path: path,
            note: note, tags: tag)
        if output.json {
            JSONOutput.print(
                .object([
                    ("id", .string(ArticleID(url: url).hex)), ("capture", .string(event.article.hex)),
                    ("event", .string("\(event.origin.hex):\(event.seq)")),
                ]))
        } else {
            Terminal.line("Captured article \(ArticleID(url: url).hex) (capture \(event.article.hex)).")
        }
    }
}

struct EditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "edit",
        abstract: "Change fields of an article.",
        discussion: """
            Writes one update holding only the fields whose value changes. A deleted article \
            must be restored first (so nothing is undeleted by accident).

            An article captured into several files has one capture per file. Given the article's \
            id, edit changes its newest capture (the one `list` shows), and --note is written on \
            every capture; give --capture (or a capture's id) to change another one.

            Example: archive-sync edit 3f2a --title "Corrected title" --path world/3f2a.txt
            """)

    @OptionGroup var replica: ReplicaOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: ArgumentHelp(Target.idHelp)) var id: String
    @Option(help: ArgumentHelp(Target.captureHelp, valueName: "N|ID|PATH")) var capture: String?
    @Option(help: "New url (the id stays the same).") var url: String?
    @Option(help: "New title.") var title: String?
    @Option(help: "New HTML body.") var body: String?
    @Option(name: .customLong("body-file"), help: "Read the new body from a file ('-' for standard input).")
    var bodyFile: String?
    @Option(
        name: .customLong("front-matter-file"),
        help: "Read new front matter from a file ('-' for standard input; an empty file removes it).")
    var frontMatterFile: String?
    @Option(name: .customLong("captured-at"), help: "New capture time, Unix milliseconds.") var capturedAt: Int64?
    @Option(help: "New path inside the archive folder.") var path: String?
    @Option(help: "New note.") var note: String?

    func validate() throws {
        if body != nil, bodyFile != nil { throw ValidationError("give either --body or --body-file, not both") }
        if [url, title, body, bodyFile, frontMatterFile, path, note].allSatisfy({ $0 == nil }), capturedAt == nil {
            throw ValidationError(
                "say what to change: --title, --url, --body, --body-file, --front-matter-file, --captured-at, --path or --note"
            )
        }
    }

    func run() throws {
        let target = try replica.open()
        let article = try target.resolve(id, capture: capture)
        var values: [(Field, FieldValue)] = []
        if let url { values.append((.url, .text(url))) }
        if let title { values.append((.title, .text(title))) }
        if let body { values.append((.body, .text(body))) }
        if let bodyFile { values.append((.body, .text(try Input.text(from: bodyFile, what: "body")))) }
        if let frontMatterFile {
            values.append((.frontMatter, .text(try Input.text(from: frontMatterFile, what: "front matter"))))
        }
        if let capturedAt { values.append((.capturedAt, .integer(capturedAt))) }
        if let path { values.append((.path, .text(path))) }
        if let note { values.append((.note, .text(note))) }
        let events = try target.edit(article, values: values)
        Report.events(events, json: output.json, verb: "Updated")
    }
}

struct NoteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "note",
        abstract: "Set your note on an article (an empty text clears it).",
        discussion: "The note is written on every capture of the article, unless --capture names one.")

    @OptionGroup var replica: ReplicaOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: ArgumentHelp(Target.idHelp)) var id: String
    @Argument(help: "The note.") var text: String
    @Option(help: ArgumentHelp(Target.captureHelp, valueName: "N|ID|PATH")) var capture: String?

    func run() throws {
        let target = try replica.open()
        let events = try target.edit(try target.resolve(id, capture: capture), values: [(.note, .text(text))])
        Report.events(events, json: output.json, verb: "Noted")
    }
}

struct TagCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tag",
        abstract: "Add and remove tags.",
        discussion: """
            Tags merge as an add-wins set: when one replica adds a tag while another removes \
            it, the tag stays. Tags are written on every capture of the article (a tag on any \
            of them is the article's), unless --capture names one. \
            Example: archive-sync tag 3f2a --add korea --remove todo
            """)

    @OptionGroup var replica: ReplicaOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: ArgumentHelp(Target.idHelp)) var id: String
    @Option(help: ArgumentHelp(Target.captureHelp, valueName: "N|ID|PATH")) var capture: String?
    @Option(help: "A tag to add (repeat for several).") var add: [String] = []
    @Option(help: "A tag to remove (repeat for several).") var remove: [String] = []

    func validate() throws {
        if add.isEmpty, remove.isEmpty { throw ValidationError("say which tags to --add or --remove") }
    }

    func run() throws {
        let target = try replica.open()
        let events = try target.tag(try target.resolve(id, capture: capture), add: add, remove: remove)
        Report.events(events, json: output.json, verb: "Tagged")
    }
}

struct DeleteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete",
        abstract: "Delete an article (a tombstone: its history stays, `restore` brings it back).",
        discussion: """
            Deletes every capture of the article, or with --capture only that one (a stale \
            copy, say): export no longer writes it.
            """)

    @OptionGroup var replica: ReplicaOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: ArgumentHelp(Target.idHelp)) var id: String
    @Option(help: ArgumentHelp(Target.captureHelp, valueName: "N|ID|PATH")) var capture: String?

    func run() throws {
        let target = try replica.open()
        let events = try target.delete(try target.resolve(id, capture: capture))
        Report.events(events, json: output.json, verb: "Deleted")
    }
}

struct RestoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Bring a deleted article back.",
        discussion: "Restores every deleted capture of the article, or with --capture only that one.")

    @OptionGroup var replica: ReplicaOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: ArgumentHelp(Target.idHelp)) var id: String
    @Option(help: ArgumentHelp(Target.captureHelp, valueName: "N|ID|PATH")) var capture: String?

    func run() throws {
        let target = try replica.open()
        let events = try target.restore(try target.resolve(id, capture: capture))
        Report.events(events, json: output.json, verb: "Restored")
    }
}

/// How commands name an article or one of its captures.
enum Target {
    static let idHelp =
        "The article's id (or a unique prefix), or the id of one of its captures (see `archive-sync show`)."
    static let captureHelp =
        "Only this capture of the article: its number (1 is the oldest), its id or its path."
}

/// The one line a command that writes an event prints, for each event.
enum Report {
    static func events(_ events: [Event], json: Bool, verb: String) {
        for event in events { Self.event(event, json: json, verb: verb) }
    }

    static func event(_ event: Event, json: Bool, verb: String) {
        if json {
            JSONOutput.print(
                .object([
                    ("id", .string(event.article.hex)), ("event", .string("\(event.origin.hex):\(event.seq)")),
                    ("kind", .string(event.kind.rawValue)),
                ]))
        } else {
            let fields = event.changes.compactMap(\.field).map(\.rawValue)
            let detail = fields.isEmpty || event.kind != .update ? "" : " (\(fields.joined(separator: ", ")))"
            Terminal.line("\(verb) capture \(event.article.hex)\(detail).")
        }
    }
}
