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

            Each file is one capture of the article its url names: files that share a url (the \
            same article captured again, or a copy kept in another folder) are captures of one \
            article, and each is kept at its path. Both archive forms are read: the capture-time \
            comment (<!--1593442382000-->) and the date line (日期：Mon, 29 Jun 2020 14:53:02 +0000).

            A new file creates a capture; a changed file writes one update holding only what \
            the file changed since its folder was last imported or exported (in a folder never \
            seen: only values the replica has never held), so importing an untouched folder \
            again never undoes a later edit. A file is matched to its capture by its path; a \
            file at a new path whose article has a capture that left the folder is that capture \
            moved, not a new one. The summary counts new articles, new captures of articles \
            already held (and how many of those are identical copies), updates and moves.

            Inside a folder, symbolic links are not followed: links with an article's extension \
            and links to folders are refused. A file over 4 MiB, a named pipe or a device, or a \
            file that does not fit the archive format is refused with the reason and nothing is \
            imported from it; the others are imported. The exit status is then 2 (also when \
            every file was refused: the summary then says that nothing was imported).

            Examples:
              archive-sync import ~/articles
              archive-sync import ~/articles/2024-11-15.txt ~/clippings --json
              archive-sync import ~/articles 2> refused.txt
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
                    ("created", .integer(Int64(report.created))), ("recaptured", .integer(Int64(report.recaptured))),
                    ("identical_copies", .integer(Int64(report.identicalCopies))),
                    ("updated", .integer(Int64(report.updated))),
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
            func count(_ number: Int, _ noun: String) -> String { "\(number) \(noun)\(number == 1 ? "" : "s")" }
            var parts = [count(report.created, "new article")]
            if report.recaptured > 0 {
                parts.append(
                    "\(count(report.recaptured, "new capture")) of articles already held"
                        + " (\(count(report.identicalCopies, "identical copy").replacingOccurrences(of: "copys", with: "copies")))"
                )
            }
            parts.append("\(report.updated) updated" + (report.moved > 0 ? " (\(report.moved) moved)" : ""))
            parts += ["\(report.unchanged) unchanged", "\(report.refused.count) refused"]
            let imported = max(0, report.files - report.refused.count)
            if report.files == 0 {
                Terminal.line(
                    "No article files found in \(paths.joined(separator: ", ")) (folders are searched for .txt, .md and "
                        + ".markdown files; hidden ones are skipped).")
            } else if imported == 0 {
                Terminal.line("Nothing imported: \(Formatting.count(report.refused.count, "file")) refused.")
            } else {
                let files =
                    report.refused.isEmpty
                    ? Formatting.count(report.files, "file") : "\(imported) of \(report.files) files"
                Terminal.line(
                    "Imported \(files) (\(Formatting.bytes(report.bytes))): \(parts.joined(separator: ", ")).")
            }
        }
        // Imported captures are indexed as they are written; this indexes what an earlier
        // command left queued (a sync stopped part-way).
        SearchIndexing.catchUpOrWarn(target)
        if !report.refused.isEmpty { throw ExitCode(2) }
    }
}
