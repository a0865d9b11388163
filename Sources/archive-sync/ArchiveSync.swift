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
            ServeCommand.self, SyncCommand.self, WatchCommand.self, PeerCommand.self, TokenCommand.self,
            ReidentifyCommand.self, GenerateCommand.self,
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
            if !(error is CleanExit), let sentence = unknownCommand(in: Array(CommandLine.arguments.dropFirst())) {
                Terminal.error(sentence)
                exit(ExitCode.validationFailure.rawValue)
            }
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

    /// When parsing failed on a word that stands where a command name must (`archive-sync synk`,
    /// `archive-sync peer lst`), the sentence that says so: the nearest command name if one is
    /// close (edit distance, a swap of two letters counting as one), else the commands of that
    /// level. Nil for every other mistake, which ArgumentParser explains itself.
    static func unknownCommand(in arguments: [String]) -> String? {
        var command: any ParsableCommand.Type = ArchiveSync.self
        var path: [String] = []
        for word in arguments {
            let subcommands = command.configuration.subcommands
            guard !subcommands.isEmpty, !word.hasPrefix("-") else { return nil }
            if let next = subcommands.first(where: {
                $0._commandName == word || $0.configuration.aliases.contains(word)
            }) {
                command = next
                path.append(word)
                continue
            }
            // ArgumentParser's own `help` takes any words after it.
            if word == "help" { return nil }
            var names = subcommands.map { $0._commandName }
            if path.isEmpty { names.append("help") }
            let spoken = (path + [word]).joined(separator: " ")
            let typed = Array(word.lowercased().unicodeScalars)
            let nearest = names.map { (name: $0, distance: editDistance(typed, Array($0.unicodeScalars))) }
                .min { $0.distance < $1.distance }
            if let nearest, nearest.distance <= (typed.count > 4 ? 2 : 1) {
                let suggestion = (path + [nearest.name]).joined(separator: " ")
                return "error: unknown command \"\(spoken)\". Did you mean \"\(suggestion)\"?"
            }
            let prefix = (["archive-sync"] + path).joined(separator: " ")
            return "error: unknown command \"\(spoken)\". The commands of \(prefix) are: "
                + names.joined(separator: ", ") + " (see `\(prefix) --help`)."
        }
        return nil
    }

    /// The optimal string alignment distance: insertions, deletions, substitutions and swaps of
    /// two neighbours each count one.
    static func editDistance(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar]) -> Int {
        if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
        var table = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { table[i][0] = i }
        for j in 0...b.count { table[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                table[i][j] = min(table[i - 1][j] + 1, table[i][j - 1] + 1, table[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    table[i][j] = min(table[i][j], table[i - 2][j - 2] + 1)
                }
            }
        }
        return table[a.count][b.count]
    }

    /// `root` and every subcommand under it: the commands of this program, as opposed to those
    /// ArgumentParser adds (`help`).
    private static func commandTypes(under root: any ParsableCommand.Type) -> Set<ObjectIdentifier> {
        root.configuration.subcommands.reduce(into: [ObjectIdentifier(root)]) {
            $0.formUnion(commandTypes(under: $1))
        }
    }
}
