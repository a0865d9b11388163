import ArchiveModel
import Foundation
import TestSupport
import Testing

/// What the command line prints for each kind of error, to the byte: one sentence after
/// `archive-sync: ` on standard error for the project's errors, ArgumentParser's own form (and
/// status 64) for a command-line mistake, and each status.
struct ErrorOutputTests {
    @Test func argumentParserSpeaksForCommandLineMistakes() throws {
        let cli = try CLI("errors-usage")
        let missing = try cli.run(["tag"])
        #expect(missing.status == 64)
        #expect(missing.stderr.hasPrefix("Error: Missing expected argument"), "\(missing.stderr)")
        #expect(missing.stdout.isEmpty)
        let invalid = try cli.run(["sync", "laptop", "--batch-size", "0"])
        #expect(invalid.status == 64)
        #expect(invalid.stderr.hasPrefix("Error: --batch-size must be between 1 and 5000\n"), "\(invalid.stderr)")
        let version = try cli.run(["--version"])
        #expect(version.status == 0 && version.stdout == "0.1.0\n" && version.stderr.isEmpty)
        for arguments in [["list", "--help"], ["help", "list"]] {
            let help = try cli.run(arguments)
            #expect(help.status == 0, "\(arguments): \(help.stderr)")
            #expect(help.stdout.contains("USAGE: archive-sync list") && help.stderr.isEmpty, "\(arguments)")
        }
    }

    @Test func aMistypedCommandGetsTheNearestNameAndAnUnrelatedWordTheList() throws {
        let cli = try CLI("errors-did-you-mean")
        let cases: [(arguments: [String], stderr: String)] = [
            (["synk"], "error: unknown command \"synk\". Did you mean \"sync\"?\n"),
            (["improt", "folder"], "error: unknown command \"improt\". Did you mean \"import\"?\n"),
            (["Status"], "error: unknown command \"Status\". Did you mean \"status\"?\n"),
            (["hlep"], "error: unknown command \"hlep\". Did you mean \"help\"?\n"),
            (["peer", "lst"], "error: unknown command \"peer lst\". Did you mean \"peer list\"?\n"),
            (["token", "revok", "laptop"], "error: unknown command \"token revok\". Did you mean \"token revoke\"?\n"),
            (
                ["frobnicate"],
                "error: unknown command \"frobnicate\". The commands of archive-sync are: init, import, capture, edit, "
                    + "note, tag, delete, restore, list, show, search, history, log, conflicts, resolve, prove, export, "
                    + "backup, rebuild, verify, status, serve, sync, watch, peer, token, reidentify, generate, help (see "
                    + "`archive-sync --help`).\n"
            ),
            (
                ["peer", "frobnicate"],
                "error: unknown command \"peer frobnicate\". The commands of archive-sync peer are: add, list, trust, "
                    + "remove (see `archive-sync peer --help`).\n"
            ),
        ]
        for (arguments, stderr) in cases {
            let result = try cli.run(arguments)
            #expect(result.status == 64, "\(arguments)")
            #expect(result.stderr == stderr, "\(arguments)")
            #expect(result.stdout.isEmpty, "\(arguments)")
        }
        // Help, the version and ArgumentParser's own mistakes are as before.
        for arguments in [["help"], ["--help"], ["help", "peer"], ["peer", "--help"], ["help", "peer", "list"]] {
            let help = try cli.run(arguments)
            #expect(help.status == 0 && help.stdout.contains("USAGE:") && help.stderr.isEmpty, "\(arguments)")
        }
        #expect(try cli.run(["--version"]).stdout == "0.1.0\n")
        let unknownOption = try cli.run(["--frobnicate"])
        #expect(unknownOption.status == 64 && unknownOption.stderr.hasPrefix("Error: "), "\(unknownOption.stderr)")
        let extra = try cli.run(["status", "extra"])
        #expect(extra.status == 64 && extra.stderr.hasPrefix("Error: "), "\(extra.stderr)")
    }

    @Test func anImportThatRefusedEveryFileSaysNothingWasImported() throws {
        let cli = try CLI("errors-import-summary")
        try cli.ok(["init", "--name", "laptop"])
        try cli.directory.write("in/empty.txt", "")
        try cli.directory.write("in/notes.md", "not an article\n")
        let refused = try cli.run(["import", cli.directory.file("in")])
        #expect(refused.status == 2)
        #expect(refused.stdout == "Nothing imported: 2 files refused.\n", "\(refused.stdout)")
        #expect(refused.stderr.split(separator: "\n").count == 2 && refused.stderr.hasPrefix("refused "))

        try cli.directory.write("none/readme", "no article extension\n")
        let none = try cli.run(["import", cli.directory.file("none")])
        #expect(none.status == 0)
        #expect(
            none.stdout
                == "No article files found in \(cli.directory.file("none")) (folders are searched for .txt, .md and "
                + ".markdown files; hidden ones are skipped).\n", "\(none.stdout)")

        try cli.directory.write(
            "in/good.txt", "<!--1731686344000-->\n[A title](https://example.org/a/1)\n------\n\n<div>body</div>\n")
        let some = try cli.run(["import", cli.directory.file("in")])
        #expect(some.status == 2)
        #expect(some.stdout.hasPrefix("Imported 1 of 3 files ("), "\(some.stdout)")

        let nothing = try cli.ok(["export", cli.directory.file("out")])
        #expect(nothing.stdout.hasPrefix("Exported to"), "\(nothing.stdout)")
        let empty = try CLI("errors-export-summary")
        try empty.ok(["init", "--name", "empty"])
        #expect(
            try empty.ok(["export", empty.directory.file("out")]).stdout
                == "Nothing to export: the replica holds no live articles.\n")
    }

    @Test func eachErrorOfTheProjectIsOneLineWithItsStatus() throws {
        let cli = try CLI("errors-kinds")
        // ReplicaError
        let noReplica = try cli.run(["list"])
        #expect(noReplica.status == 1)
        #expect(
            noReplica.stderr
                == "archive-sync: there is no replica at \(cli.database); create one with `archive-sync init --name NAME`\n"
        )
        try cli.ok(["init", "--name", "laptop"])
        // CommandError
        let notAPeer = try cli.run(["sync", "nowhere"])
        #expect(notAPeer.status == 1)
        #expect(notAPeer.stderr == "archive-sync: nowhere is neither a URL nor a peer (see `archive-sync peer list`)\n")
        // SyncClientError
        let badURL = try cli.run(["sync", "ftp://example.org"])
        #expect(badURL.status == 1)
        #expect(badURL.stderr == "archive-sync: ftp://example.org is not an http:// or https:// URL\n")
        // SyncServerError
        let noTokens = try cli.run(["serve", "--port", "0"])
        #expect(noTokens.status == 1)
        #expect(
            noTokens.stderr
                == "archive-sync: there is no active token, so nobody could sync; make one with `archive-sync token create NAME --scope write`, or start with --allow-anonymous\n"
        )
        // The rules on values (ArchiveModel) say what is wrong with the value.
        try cli.ok(["generate", cli.directory.file("a"), "--count", "1"])
        try cli.ok(["import", cli.directory.file("a")])
        let id = try #require(try cli.ok(["list", "--json"]).jsonLines().first?["id"]?.stringValue)
        let badPath = try cli.run(["edit", id, "--path", "../../etc/passwd"])
        #expect(badPath.status == 1)
        #expect(badPath.stderr == "archive-sync: the path \"../../etc/passwd\" has an empty, \".\" or \"..\" part\n")
        let badTag = try cli.run(["tag", id, "--add", "a b"])
        #expect(badTag.status == 1)
        #expect(badTag.stderr == "archive-sync: the tag \"a b\" contains whitespace or a control character\n")
        // A command's own status, with nothing printed by the printer.
        try cli.directory.write("in/empty.txt", "")
        let refused = try cli.run(["import", cli.directory.file("in")])
        #expect(refused.status == 2)
        #expect(!refused.stderr.contains("archive-sync: "), "\(refused.stderr)")
    }
}
