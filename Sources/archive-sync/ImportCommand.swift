import ArchiveModel
import ArgumentParser
import Replica

struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import article files and folders.",
        discussion: """
            Folders are searched recursively for .txt, .md and .markdown files (hidden ones are \
            skipped); a file given by name is imported whatever its name. Each article's path is \
            its path inside the folder given (or its file name).

            A new file creates an article; a changed file writes one update holding only what \
            the file changed since its folder was last imported or exported (in a folder never \
            seen: only values the replica has never held), so importing an untouched folder \
            again never undoes a later edit. A file is matched to its article by its path, else by its \
            url, so a file moved inside the archive is a move, not a new article.

            Inside a folder, symbolic links are not followed: links with an article's extension \
            and links to folders are refused. A file over 4 MiB, a named pipe or a device, or a \
            file that does not fit the archive format is refused with the reason and nothing is \
            imported from it; the others are imported. The exit status is then 2.
            """)

    @OptionGroup var replica: ReplicaOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "Files and folders to import.")
    var paths: [String]

    func run() throws {
        let target = try replica.open()
        let progress = ProgressLine()
        let report = try target.importFiles(paths) { step in
            progress.update(
                "importing: \(step.filesDone)/\(step.filesTotal) files, \(Formatting.bytes(step.bytesDone))")
        }
        progress.finish()
        for (file, reason) in report.refused { Terminal.error("refused \(file): \(reason)") }
        if output.json {
            JSONOutput.print(
                .object([
                    ("files", .integer(Int64(report.files))), ("bytes", .integer(Int64(report.bytes))),
                    ("created", .integer(Int64(report.created))), ("updated", .integer(Int64(report.updated))),
                    ("moved", .integer(Int64(report.moved))), ("unchanged", .integer(Int64(report.unchanged))),
                    (
                        "refused",
                        .array(
                            report.refused.map {
                                .object([("file", .string($0.file)), ("reason", .string($0.reason))])
                            })
                    ),
                ]))
        } else {
            var parts = ["\(report.created) created", "\(report.updated) updated"]
            if report.moved > 0 { parts[1] += " (\(report.moved) moved)" }
            parts += ["\(report.unchanged) unchanged", "\(report.refused.count) refused"]
            Terminal.line(
                "Imported \(report.files) files (\(Formatting.bytes(report.bytes))): \(parts.joined(separator: ", ")).")
        }
        if !report.refused.isEmpty { throw ExitCode(2) }
    }
}
