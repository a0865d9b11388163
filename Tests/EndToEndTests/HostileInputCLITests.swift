import ArchiveModel
import Foundation
import TestSupport
import Testing

/// Hostile text through the real executable: what a terminal receives, what the replica refuses,
/// and where a token's secret is written.
struct HostileInputCLITests {
    /// The digest and event count that `status --json` reports.
    static func fingerprint(_ cli: CLI) throws -> String {
        let status = try cli.ok(["status", "--json"]).json()
        return "\(status["digest"]?.stringValue ?? "?") \(status["events"]?.integerValue ?? -1)"
    }

    @Test func titlesWithTerminalEscapesArePrintedEscaped() throws {
        let cli = try CLI("hostile-print")
        try cli.ok(["init", "--name", "laptop"])
        let title = "Evil \u{1B}[2J\u{1B}]0;pwned\u{7} \u{202E}gpj.exe"
        try cli.ok([
            "capture", "--url", "https://news.example.org/a/1.html", "--title", title, "--body", "<p>\u{1B}[31m</p>",
            "--note", "note \u{9B}2J",
        ])
        let id = String(try cli.ok(["list"]).stdout.prefix(16))
        let list = try cli.ok(["list"]).stdout
        #expect(list.contains("Evil \\x1b[2J\\x1b]0;pwned\\x07 \\u{202e}gpj.exe"))
        for arguments in [["list"], ["show", id], ["history", id], ["log"], ["search", "Evil"]] {
            let output = try cli.ok(arguments).stdout
            let raw = output.unicodeScalars.filter { DisplayText.needsEscape($0, true) }
            #expect(raw.isEmpty, "\(arguments): \(raw.map { String($0.value, radix: 16) })")
        }
        // --json stays valid JSON and gives the title back whole.
        let json = try cli.ok(["list", "--json"]).jsonLines()
        #expect(json.first?["title"]?.stringValue == title)
        // --raw into a pipe is the file's bytes, verbatim.
        #expect(try cli.ok(["show", "--raw", id]).stdout.contains(title))
    }

    @Test func aPathThatEscapesTheArchiveIsRefusedAndChangesNothing() throws {
        let cli = try CLI("hostile-path")
        try cli.ok(["init", "--name", "laptop"])
        try cli.ok(["capture", "--url", "https://news.example.org/a/1.html", "--title", "T", "--body", "<p>b</p>"])
        let id = String(try cli.ok(["list"]).stdout.prefix(16))
        let before = try Self.fingerprint(cli)
        for path in ["../\u{301}x.txt", "a/\u{301}../b"] {
            let result = try cli.run(["edit", id, "--path", path])
            #expect(result.status != 0, "\(path) was accepted")
        }
        let title = try cli.run(["edit", id, "--title", "a](\u{301}b"])
        #expect(title.status != 0 && title.stderr.contains("]("))
        #expect(try Self.fingerprint(cli) == before)
        try cli.ok(["export", cli.directory.file("out")])
        #expect(!FileManager.default.fileExists(atPath: cli.directory.file("\u{301}x.txt")))
        #expect(try cli.ok(["verify"]).status == 0)
    }

    @Test func aFileWithANULByteIsRefusedNamingTheFileAndOffset() throws {
        let cli = try CLI("hostile-nul")
        try cli.ok(["init", "--name", "laptop"])
        let before = try Self.fingerprint(cli)
        let file = try cli.directory.write(
            "in/nul.txt", Array("<!--1-->\n[T](https://e.org/1)\n------\n\n<p>a".utf8) + [0] + Array("b</p>".utf8))
        let result = try cli.run(["import", file])
        #expect(result.status != 0)
        #expect(result.stderr.contains("nul.txt") && result.stderr.contains("NUL byte at offset 42"))
        #expect(try Self.fingerprint(cli) == before)
    }

    @Test func tokenCreateWritesTheSecretToANewOwnerOnlyFileThatSyncAccepts() throws {
        let server = try CLI("token-file-server")
        try server.ok(["init", "--name", "server"])
        let secretPath = server.directory.file("laptop.token")
        let created = try server.ok(["token", "create", "laptop", "--scope", "write", "--output", secretPath])
        #expect(created.stdout.isEmpty)
        let attributes = try FileManager.default.attributesOfItem(atPath: secretPath)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let secret = try String(contentsOfFile: secretPath, encoding: .utf8)
        #expect(secret.hasPrefix("as1_") && secret.hasSuffix("\n"))

        let again = try server.run(["token", "create", "other", "--scope", "read", "--output", secretPath])
        #expect(again.status != 0 && again.stderr.contains("--force"))
        #expect(try String(contentsOfFile: secretPath, encoding: .utf8) == secret)
        #expect(!(try server.ok(["token", "list"]).stdout.contains("other")))

        let process = try ServerProcess(database: server.database, directory: server.directory)
        defer { process.stop() }
        let laptop = try CLI("token-file-laptop")
        try laptop.ok(["init", "--name", "laptop"])
        try laptop.ok(["capture", "--url", "https://news.example.org/a/1.html", "--title", "T", "--body", "<p>b</p>"])
        try laptop.ok(["sync", process.url, "--token-file", secretPath])
        #expect(try Self.fingerprint(laptop) == Self.fingerprint(server))
    }
}
