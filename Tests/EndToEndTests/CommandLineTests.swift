import ArchiveModel
import ArticleGenerator
import Foundation
import GRDB
import TestSupport
import Testing

/// The real executable in temporary folders: the whole local workflow, bad input included.
struct CommandLineTests {
    @Test func aWholeLocalSessionWorksAndRoundTrips() throws {
        let cli = try CLI("session")
        try cli.ok(["init", "--name", "laptop"])
        try cli.ok(["generate", cli.directory.file("archive"), "--count", "40", "--seed", "5"])
        let summary = try cli.ok(["import", cli.directory.file("archive"), "--json"]).json()
        #expect(summary["created"]?.integerValue == 40)

        let list = try cli.ok(["list", "--json"]).jsonLines()
        #expect(list.count == 40)
        let id = try #require(list.first?["id"]?.stringValue)
        let short = String(id.prefix(6))

        let shown = try cli.ok(["show", short, "--json"]).json()
        #expect(shown["id"]?.stringValue == id)
        // --raw prints the article file exactly as it was imported.
        let original = try #require(
            (0..<40).map { ArticleGenerator(seed: 5).article($0).file }.first { $0.articleID.hex == id })
        #expect(Array(try cli.ok(["show", short, "--raw"]).stdout.utf8) == original.render())

        let hits = try cli.ok(["search", "朝鲜", "--json", "--limit", "100"]).jsonLines()
        #expect(!hits.isEmpty)
        #expect(try cli.ok(["search", "nonexistentword"]).stdout.isEmpty)

        try cli.ok(["edit", short, "--title", "A corrected title"])
        try cli.ok(["tag", short, "--add", "korea", "--add", "todo"])
        try cli.ok(["note", short, "read later"])
        try cli.ok(["tag", short, "--remove", "todo"])
        let history = try cli.ok(["history", short])
        #expect(history.stdout.contains("laptop"))
        #expect(history.stdout.contains("→ \"A corrected title\""))
        #expect(history.stdout.contains("tags: +korea +todo"))
        let historyJSON = try cli.ok(["history", short, "--json"]).jsonLines()
        #expect(historyJSON.map { $0["kind"]?.stringValue } == ["create", "update", "update", "update", "update"])

        try cli.ok(["delete", short])
        #expect(try cli.ok(["list", "--json"]).jsonLines().count == 39)
        #expect(try cli.run(["edit", short, "--title", "x"]).stderr.contains("restore it first"))
        try cli.ok(["restore", short])

        let log = try cli.ok(["log", "--limit", "3", "--json"]).jsonLines()
        #expect(log.count == 3)
        #expect(log.first?["kind"]?.stringValue == "restore")

        let status = try cli.ok(["status", "--json"]).json()
        #expect(status["articles"]?.integerValue == 40)
        #expect(status["events"]?.integerValue == 46)
        let digest = status["digest"]?.stringValue

        try cli.ok(["export", cli.directory.file("out")])
        let generator = ArticleGenerator(seed: 5)
        for index in 0..<40 {
            let (path, file) = generator.article(index)
            let exported = try Data(contentsOf: cli.directory.url.appendingPathComponent("out/\(path)"))
            if file.articleID.hex == id {
                #expect(String(decoding: exported, as: UTF8.self).contains("[A corrected title]("))
            } else {
                #expect(Array(exported) == file.render(), "\(path) changed on export")
            }
        }

        let verify = try cli.ok(["verify", "--json"]).json()
        #expect(verify["ok"]?.boolValue == true)
        let rebuild = try cli.ok(["rebuild", "--json"]).json()
        #expect(rebuild["digest"]?.stringValue == digest && rebuild["unchanged"]?.boolValue == true)
    }

    @Test(.enabled(if: TestPaths.corpusTestsRun, "needs the shared corpus (ARCHIVE_SYNC_CORPUS or ../shared/corpus)"))
    func corpusOdditiesRoundTripThroughTheCommandLine() throws {
        let cli = try CLI("oddities")
        try cli.ok(["init", "--name", "laptop"])
        let oddities = TestPaths.corpus.appendingPathComponent("oddities").path
        #expect(try cli.ok(["import", oddities, "--json"]).json()["created"]?.integerValue == 10)
        try cli.ok(["export", cli.directory.file("out")])
        for url in try TestPaths.corpusFiles("oddities") {
            let copy = cli.directory.url.appendingPathComponent("out/\(url.lastPathComponent)")
            #expect(try Data(contentsOf: copy) == Data(contentsOf: url), "\(url.lastPathComponent)")
        }
    }

    @Test func malformedFilesAreRefusedByNameAndNothingIsImportedFromThem() throws {
        let cli = try CLI("malformed")
        try cli.ok(["init", "--name", "laptop"])
        try cli.directory.write(
            "in/good.txt", "<!--1700000000000-->\n[Good](https://e.org/good)\n------\n\n<p>ok</p>\n")
        try cli.directory.write("in/no-time.txt", "[T](https://e.org/1)\n------\n\nbody\n")
        try cli.directory.write("in/broken-link.txt", "<!--1700000000000-->\n[T(https://e.org/2)\n------\n\nbody\n")
        try cli.directory.write("in/no-dashes.txt", "<!--1700000000000-->\n[T](https://e.org/3)\n\nbody\n")
        try cli.directory.write(
            "in/latin1.txt", Array("<!--1700000000000-->\n[T](https://e.org/4)\n------\n\ncaf".utf8) + [0xE9])
        try cli.directory.write("in/empty.txt", "")
        try cli.directory.write("in/crlf.txt", "<!--1700000000000-->\r\n[T](https://e.org/5)\r\n------\r\n\r\nbody\r\n")
        let result = try cli.run(["import", cli.directory.file("in")])
        #expect(result.status == 2)
        let refusals = result.stderr.split(separator: "\n")
        #expect(refusals.count == 6, "\(result.stderr)")
        for (name, reason) in [
            ("no-time.txt", "<!--milliseconds-->"), ("broken-link.txt", "no \"](\""), ("no-dashes.txt", "six dashes"),
            ("latin1.txt", "UTF-8"), ("empty.txt", "empty"), ("crlf.txt", "CRLF"),
        ] {
            #expect(refusals.contains { $0.contains(name) && $0.contains(reason) }, "\(name): \(result.stderr)")
        }
        #expect(result.stdout.contains("1 new article,") && result.stdout.contains("6 refused"))
        #expect(try cli.ok(["status", "--json"]).json()["events"]?.integerValue == 1)
    }

    @Test func errorsAreOneSentenceOnStandardErrorWithAStatus() throws {
        let cli = try CLI("errors")
        let noReplica = try cli.run(["list"])
        #expect(noReplica.status == 1)
        #expect(noReplica.stderr.contains("there is no replica at") && noReplica.stderr.contains("init"))
        try cli.ok(["init", "--name", "laptop"])
        #expect(try cli.run(["init", "--name", "again"]).stderr.contains("already exists"))

        let unknown = try cli.run(["show", "ffffffffffffffff"])
        #expect(unknown.status == 1)
        #expect(
            unknown.stderr == "archive-sync: there is no article with id ffffffffffffffff (see `archive-sync list`)\n")
        #expect(unknown.stdout.isEmpty)

        try cli.ok(["capture", "--url", "https://e.org/a", "--title", "T", "--body-file", "-"], input: "<p>x</p>\n")
        let notInConflict = try cli.run(["resolve", "0", "title", "--value", "x"])
        #expect(notInConflict.status == 1)
        let id = ArticleID(url: "https://e.org/a").hex
        let resolve = try cli.run(["resolve", id, "title", "--value", "x"])
        #expect(resolve.stderr.contains("not in conflict"))
        let usage = try cli.run(["tag", id])
        #expect(usage.status == 64)
        #expect(try cli.run(["edit", id, "--path", "../../etc/passwd"]).stderr.contains("path"))
        #expect(try cli.run(["edit", id, "--title", "T"]).stderr.contains("nothing was written"))
        let bad = try cli.run(["list", "--db", cli.directory.write("not-a-db.db", "hello, not sqlite")])
        #expect(bad.status == 1 && bad.stderr.contains("not an archive-sync replica"))
    }

    @Test func theJournalRefusesAnUpdateStraightThroughSQLite() throws {
        let cli = try CLI("append-only")
        try cli.ok(["init", "--name", "laptop"])
        try cli.ok(["generate", cli.directory.file("a"), "--count", "3"])
        try cli.ok(["import", cli.directory.file("a")])
        let database = try DatabaseQueue(path: cli.database)
        #expect(throws: DatabaseError.self) {
            try database.write { db in try db.execute(sql: "UPDATE journal SET kind = 'delete' WHERE seq = 1") }
        }
        #expect(throws: DatabaseError.self) {
            try database.write { db in try db.execute(sql: "DELETE FROM journal") }
        }
        try database.close()
        try cli.ok(["verify"])
    }

    @Test func verifyReportsATamperedEventRow() throws {
        let cli = try CLI("tamper")
        try cli.ok(["init", "--name", "laptop"])
        try cli.ok(["generate", cli.directory.file("a"), "--count", "5"])
        try cli.ok(["import", cli.directory.file("a")])
        try cli.ok(["verify"])
        let database = try DatabaseQueue(path: cli.database)
        try database.write { db in
            // An attacker with the file drops the guard, rewrites an event, and puts the guard back.
            try db.execute(sql: "DROP TRIGGER journal_refuses_update")
            try db.execute(sql: "UPDATE journal SET payload = replace(payload, 'news_', 'fake_') WHERE position = 3")
            try db.execute(
                sql: """
                    CREATE TRIGGER journal_refuses_update BEFORE UPDATE ON journal
                    BEGIN SELECT RAISE(ABORT, 'the journal is append-only: UPDATE refused'); END
                    """)
        }
        try database.close()
        let verify = try cli.run(["verify"])
        #expect(verify.status == 1)
        #expect(verify.stdout.contains("FAILED event rows"))
        #expect(verify.stdout.contains("row 3"))
        let json = try JSONParser.parse(try cli.run(["verify", "--json"]).stdout)
        #expect(json["ok"]?.boolValue == false)
    }

    @Test func verifyFindsAGuardThatNoLongerRefuses() throws {
        let cli = try CLI("hollow-guard")
        try cli.ok(["init", "--name", "laptop"])
        try cli.ok(["generate", cli.directory.file("a"), "--count", "3"])
        try cli.ok(["import", cli.directory.file("a")])
        let database = try DatabaseQueue(path: cli.database)
        try database.write { db in
            // The guard's name is kept, its refusal is gone: its presence alone proves nothing.
            try db.execute(sql: "DROP TRIGGER journal_refuses_delete")
            try db.execute(sql: "CREATE TRIGGER journal_refuses_delete BEFORE DELETE ON journal BEGIN SELECT 1; END")
        }
        try database.close()
        let verify = try cli.run(["verify"])
        #expect(verify.status == 1)
        #expect(verify.stdout.contains("FAILED append-only guards"), "\(verify.stdout)")
        #expect(verify.stdout.contains("a DELETE of the journal was not refused"))
        // Proving it changed nothing: the events are all still there.
        #expect(try cli.ok(["status", "--json"]).stdout.contains("\"events\":3"))
    }

    @Test func helpTeachesEveryCommand() throws {
        let cli = try CLI("help")
        let help = try cli.ok(["--help"]).stdout
        for command in [
            "init", "import", "capture", "edit", "delete", "restore", "tag", "note", "list", "show", "search",
            "history", "log", "conflicts", "resolve", "export", "rebuild", "verify", "status",
        ] {
            #expect(help.contains("  \(command) "), "\(command) missing from --help")
            let sub = try cli.ok([command, "--help"]).stdout
            #expect(sub.contains("USAGE"))
        }
    }
}
