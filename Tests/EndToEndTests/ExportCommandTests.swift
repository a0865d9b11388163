import ArchiveModel
import ArticleGenerator
import Foundation
import TestSupport
import Testing

/// `archive-sync export` as a script sees it: what it could not write, one line each on standard
/// error, the rest written, and exit status 2; `--force` overwrites local changes.
struct ExportCommandTests {
    @Test func articlesNotWrittenAreOneLineEachAndExitStatusTwo() throws {
        let cli = try CLI("export")
        try cli.ok(["init", "--name", "laptop"])
        let generator = ArticleGenerator(seed: 8)
        let files = (0..<4).map { generator.article($0).file }
        for (index, file) in files.enumerated() { try cli.directory.write("archive/a\(index).txt", file.render()) }
        try cli.ok(["import", cli.directory.file("archive")])
        let ids = files.map { String($0.articleID.hex.prefix(8)) }
        try cli.ok(["edit", ids[1], "--path", "a0.txt/inside.txt"])
        try cli.ok(["edit", ids[2], "--path", "A0.txt"])
        let out = cli.directory.file("out")
        #expect(try cli.run(["export", out]).status == 2)
        try Data("changed by hand".utf8).write(to: URL(fileURLWithPath: out + "/a3.txt"))

        let result = try cli.run(["export", out, "--json"])

        #expect(result.status == 2)
        let lines = result.stderr.split(separator: "\n").map(String.init)
        #expect(lines.filter { $0.hasPrefix("warning:") }.count == 1)
        let problems = lines.filter { !$0.hasPrefix("warning:") }
        #expect(problems.count == 2, "\(result.stderr)")
        #expect(
            problems.contains {
                $0.contains(ArticleID(captureOf: files[1].url, at: "a1.txt").hex) && $0.contains("a folder is needed")
            })
        #expect(
            problems.contains {
                $0.contains(ArticleID(captureOf: files[3].url, at: "a3.txt").hex) && $0.contains("--force")
            })
        let summary = try result.json()
        #expect(summary["skipped"]?.arrayValue?.count == 2)
        #expect(summary["unchanged"]?.integerValue == 2)
        #expect(FileManager.default.contents(atPath: out + "/a3.txt") == Data("changed by hand".utf8))

        #expect(try cli.run(["export", out, "--force"]).status == 2)
        #expect(FileManager.default.contents(atPath: out + "/a3.txt") == Data(files[3].render()))
    }
}
