import ArchiveModel
import ArgumentParser
import Replica

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write every live article back as a file, at its path under a folder.",
        discussion: """
            Files are written whole and renamed into place; files that already hold the right \
            bytes are left alone, so exporting again is cheap. Import followed by export gives \
            back every well-formed file byte for byte. Deleted articles are not written.

            Nothing is written outside the folder: symbolic links inside it are never followed. \
            A file holding changes this replica has not imported is not overwritten (import it \
            first, or use --force). An article that cannot be written (two articles at one path, \
            a file where a folder is needed, a name part over 255 bytes, ...) is reported on \
            standard error and the others are written; the exit status is then 2. Paths that \
            differ only in case are written and reported as a warning: on a case-insensitive \
            file system they would be one file.

            Examples:
              archive-sync export ~/archive-out
              archive-sync export ~/articles --force
              archive-sync export ~/archive-out --json
            """)

    @OptionGroup var replica: ReplicaOptions
    @OptionGroup var output: OutputOptions
    @Flag(help: "Overwrite files holding changes not imported, and replace symbolic links at a file's place.")
    var force = false
    @Argument(help: "The folder to write into (created if missing).") var directory: String

    func run() throws {
        let target = try replica.open()
        let progress = ProgressLine()
        let report = try target.export(to: directory, force: force) { done, total in
            progress.update("exporting: \(done)/\(total) articles")
        }
        progress.finish()
        for warning in report.warnings { Terminal.error("warning: \(warning.message)") }
        for problem in report.skipped { Terminal.error(problem.message) }
        if output.json {
            func list(_ problems: [ExportProblem]) -> JSONValue {
                .array(
                    problems.map {
                        .object([
                            ("id", .string($0.article.hex)), ("path", .string($0.path)),
                            ("reason", .string($0.kind.rawValue)), ("message", .string($0.message)),
                        ])
                    })
            }
            JSONOutput.print(
                .object([
                    ("written", .integer(Int64(report.written))), ("unchanged", .integer(Int64(report.unchanged))),
                    ("bytes", .integer(Int64(report.bytes))), ("skipped", list(report.skipped)),
                    ("warnings", list(report.warnings)),
                ]))
        } else if report.written + report.unchanged + report.skipped.count == 0 {
            Terminal.line("Nothing to export: the replica holds no live articles.")
        } else if report.written + report.unchanged == 0 {
            Terminal.line(
                "Nothing exported to \(directory): \(Formatting.count(report.skipped.count, "article")) not written.")
        } else {
            var line =
                "Exported to \(directory): \(report.written) written (\(Formatting.bytes(report.bytes))), \(report.unchanged) unchanged"
            if !report.skipped.isEmpty { line += ", \(report.skipped.count) not written" }
            if !report.warnings.isEmpty { line += ", \(report.warnings.count) warnings" }
            Terminal.line(line + ".")
        }
        if !report.skipped.isEmpty { throw ExitCode(2) }
    }
}
