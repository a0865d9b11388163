import ArchiveModel
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
            ProveCommand.self,
            ExportCommand.self, BackupCommand.self, RebuildCommand.self, VerifyCommand.self, StatusCommand.self,
            ServeCommand.self,
            SyncCommand.self, PeerCommand.self, TokenCommand.self, ReidentifyCommand.self, GenerateCommand.self,
        ]
    )
}

@main
enum Main {
    /// Parses, runs, and ends with the command's status. ArgumentParser's errors are told apart by
    /// where they come from, not by their type's name: parsing (with each command's `validate()`)
    /// throws only them; a command ArgumentParser made itself (`help`, `--help`) throws only them
    /// when it runs; and one of ours throws them only as `ExitCode`, `CleanExit` or
    /// `ValidationError`. ArgumentParser prints those (help, usage, exit 64); every other error
    /// goes through `ErrorReporting`.
    static func main() async {
        signal(SIGPIPE, SIG_IGN)
        var command: any ParsableCommand
        do {
            command = try ArchiveSync.parseAsRoot()
        } catch let error as any ArchiveSyncError {
            ErrorReporting.exit(with: error)
        } catch {
            ArchiveSync.exit(withError: error)
        }
        let ours = commandTypes(under: ArchiveSync.self).contains(ObjectIdentifier(type(of: command)))
        do {
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error where !ours || error is ExitCode || error is CleanExit || error is ValidationError {
            ArchiveSync.exit(withError: error)
        } catch {
            ErrorReporting.exit(with: error)
        }
    }

    /// `root` and every subcommand under it: the commands of this program, as opposed to those
    /// ArgumentParser adds (`help`).
    private static func commandTypes(under root: any ParsableCommand.Type) -> Set<ObjectIdentifier> {
        root.configuration.subcommands.reduce(into: [ObjectIdentifier(root)]) {
            $0.formUnion(commandTypes(under: $1))
        }
    }
}
