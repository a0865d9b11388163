import ArchiveModel
import ArgumentParser
import Replica

struct ConflictsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conflicts",
        abstract: "Fields that concurrent edits left with several values.",
        discussion: """
            For each field in conflict: every value, which replica wrote it and when, and which \
            one is shown now (the latest by hybrid clock; for `deleted`, false). Keep one with \
            `archive-sync resolve ID FIELD --take ORIGIN:SEQ`, or edit the field. Conflicts are \
            per capture (one file of an article); the id shown is the capture's.
            """)

    @OptionGroup var replica: ReplicaOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "Only this article (id or unique prefix).") var id: String?

    func run() throws {
        let target = try replica.open()
        let article = try id.map { try target.resolveArticle($0) }
        let conflicts = try target.conflicts(of: article)
        let names = try target.replicaNames()
        if conflicts.isEmpty, !output.json { Terminal.line("No conflicts.") }
        for conflict in conflicts {
            if output.json {
                JSONOutput.print(
                    .object([
                        ("id", .string(conflict.article.hex)), ("title", .string(conflict.title)),
                        ("field", .string(conflict.field.rawValue)),
                        (
                            "heads",
                            .array(
                                conflict.heads.map { item in
                                    JSONOutput.head(item.head, shown: item.shown, names: names, value: item.value)
                                })
                        ),
                    ]))
                continue
            }
            Terminal.line("\(conflict.article.hex)  \(conflict.title.replacingNewlines())")
            Terminal.line("  \(conflict.field) has \(conflict.heads.count) values:")
            for item in conflict.heads {
                let marker = item.shown ? "*" : " "
                Terminal.line(
                    "   \(marker) \(item.head.dot.origin.short):\(item.head.dot.seq)  \(names[item.head.dot.origin] ?? "unnamed")"
                        + "  \(ISODate.format(item.head.hlc.milliseconds))  \(Formatting.oneLine(item.value, limit: 60))"
                )
            }
            Terminal.line(
                "  (* = shown now)  keep one: archive-sync resolve \(conflict.article.hex) \(conflict.field) --take ORIGIN:SEQ"
            )
        }
    }
}

extension Field: ExpressibleByArgument {}

struct ResolveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resolve",
        abstract: "End a conflict by choosing the field's value.",
        discussion: """
            --take ORIGIN:SEQ keeps the value one replica wrote (as listed by `conflicts`; the \
            origin may be shortened); --value sets a new one. The resolve event covers every \
            conflicting value, so the conflict ends on every replica it reaches.

            Example: archive-sync resolve 3f2a title --take 9c1e07aa:12
            """)

    @OptionGroup var replica: ReplicaOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: ArgumentHelp(Target.idHelp)) var id: String
    @Option(help: ArgumentHelp(Target.captureHelp, valueName: "N|ID|PATH")) var capture: String?
    @Argument(help: "The field in conflict: \(Field.allCases.map(\.rawValue).joined(separator: ", ")).") var field:
        Field
    @Option(help: "Keep the value written by this event (ORIGIN:SEQ).") var take: String?
    @Option(help: "Set this value instead.") var value: String?

    func validate() throws {
        if (take == nil) == (value == nil) {
            throw ValidationError("give exactly one of --take ORIGIN:SEQ or --value VALUE")
        }
    }

    func run() throws {
        let target = try replica.open()
        var chosen: FieldValue?
        if let value {
            switch field.valueKind {
            case .text: chosen = .text(value)
            case .integer:
                guard let number = Int64(value) else {
                    throw CommandError(.invalidInput, "\(field) needs whole milliseconds, not \(value)")
                }
                chosen = .integer(number)
            case .flag:
                guard let flag = Bool(value) else {
                    throw CommandError(.invalidInput, "\(field) needs true or false, not \(value)")
                }
                chosen = .flag(flag)
            }
        }
        let event = try target.resolve(
            try target.resolve(id, capture: capture), field: field, take: take, value: chosen)
        Report.event(event, json: output.json, verb: "Resolved \(field) of")
    }
}
