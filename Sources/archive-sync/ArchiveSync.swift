import ArgumentParser
import Foundation

/// The `archive-sync` command: one subcommand per file in this folder.
struct ArchiveSync: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "archive-sync",
        abstract: "Keep archives of news articles in step, with every change on record.",
        discussion: """
            Each replica is one SQLite file (--db, $ARCHIVE_SYNC_DB or ./archive.db) holding an \
            append-only journal of every create and update, and the articles projected from it.

            Start with:
              archive-sync init --name laptop
              archive-sync import ~/articles
              archive-sync list
              archive-sync history ID

            Ids may be shortened to any unique prefix. Commands that print data take --json. \
            Errors go to standard error as one sentence; the exit status is 0 on success, 1 on \
            an error, 2 when an import refused some files, and 64 for a command-line mistake.
            """,
        version: "0.1.0",
        subcommands: [
            InitCommand.self, ImportCommand.self, CaptureCommand.self, EditCommand.self, NoteCommand.self,
            TagCommand.self, DeleteCommand.self, RestoreCommand.self, ListCommand.self, ShowCommand.self,
            SearchCommand.self, HistoryCommand.self, LogCommand.self, ConflictsCommand.self, ResolveCommand.self,
            ExportCommand.self, RebuildCommand.self, VerifyCommand.self, StatusCommand.self, ServeCommand.self,
            SyncCommand.self, PeerCommand.self, TokenCommand.self, ReidentifyCommand.self, GenerateCommand.self,
        ]
    )
}

@main
enum Main {
    static func main() async {
        signal(SIGPIPE, SIG_IGN)
        do {
            var command = try ArchiveSync.parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error as CommandError {
            Terminal.error("archive-sync: \(error.message)")
            exit(error.exitCode)
        } catch let error where isReported(error) {
            Terminal.error("archive-sync: \(ErrorReporting.message(for: error))")
            exit(1)
        } catch {
            ArchiveSync.exit(withError: error)
        }
    }

    /// Errors of the project (as opposed to ArgumentParser's own help, version and usage errors).
    private static func isReported(_ error: any Error) -> Bool {
        !(error is ValidationError || error is ExitCode || error is CleanExit
            || String(reflecting: type(of: error)).hasPrefix("ArgumentParser."))
    }
}
