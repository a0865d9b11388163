import ArchiveModel
import Foundation
import TestSupport
import Testing

/// An article captured into several files, as a person sees it through the real executable:
/// import's summary, one line per article in `list` and `search`, `history` with the captures in
/// order and what changed between them, `show --capture`, export byte for byte, and a stale copy
/// deleted on its own.
struct CapturesCLITests {
    static let url = "https://www.example.org/a/world/5493193.html"

    static func file(_ stamp: Int64, _ title: String, _ body: String, frontMatter: String = "") -> [UInt8] {
        Array("\(frontMatter)<!--\(stamp)-->\n[\(title)](\(url))\n------\n\n\(body)".utf8)
    }

    static let first = file(1_593_400_000_000, "预防新冠 美国新公民入籍宣誓采用得来速模式", "<p>第一段。</p><p>旧的第二段。</p>\n")
    static let copy = first
    static let frontMatterOnly = file(
        1_593_400_000_000, "预防新冠 美国新公民入籍宣誓采用得来速模式", "<p>第一段。</p><p>旧的第二段。</p>\n",
        frontMatter: "---\nlayout: post\n---\n")
    static let recapture = file(1_593_403_600_000, "预防新冠 美国新公民宣誓入籍采得来速模式", "<p>第一段。</p><p>新的第二段。</p>\n")
    static let other = Array(
        "[Another article](https://www.example.org/a/2.html)\n------\n日期：Mon, 29 Jun 2020 14:53:02 +0000\n\n<p>x</p>\n"
            .utf8)

    static let folder: [(String, [UInt8])] = [
        ("_posts/2020-06-29-first.md", first), ("archived/2020-06-29/2020-06-29-first.md", copy),
        ("archived/fm/first.md", frontMatterOnly), ("_posts/2020-06-29-second.md", recapture),
        ("_posts/other.md", other),
    ]

    @Test func oneArticleInFourFilesImportsListsShowsAndExportsWhole() throws {
        let cli = try CLI("captures")
        try cli.ok(["init", "--name", "laptop"])
        for (path, bytes) in Self.folder { try cli.directory.write("archive/\(path)", bytes) }
        let archive = cli.directory.file("archive")
        let summary = try cli.ok(["import", archive, "--json"]).json()
        #expect(summary["created"]?.integerValue == 2)
        #expect(summary["recaptured"]?.integerValue == 3)
        #expect(summary["identical_copies"]?.integerValue == 1)
        #expect(summary["refused"]?.arrayValue?.isEmpty == true)

        let article = ArticleID(url: Self.url).hex
        let listed = try cli.ok(["list", "--json"]).jsonLines()
        #expect(listed.count == 2)
        let line = try #require(listed.first { $0["id"]?.stringValue == article })
        #expect(line["captures"]?.integerValue == 4)
        #expect(line["title"]?.stringValue == "预防新冠 美国新公民宣誓入籍采得来速模式")
        #expect(line["capture"]?.stringValue == ArticleID(captureOf: Self.url, at: "_posts/2020-06-29-second.md").hex)
        #expect(try cli.ok(["list"]).stdout.contains("(4 captures)"))

        // Words of an older capture find the article, once.
        let hits = try cli.ok(["search", "旧的第二段", "--json"]).jsonLines()
        #expect(hits.map { $0["id"]?.stringValue } == [article])
        #expect(try cli.ok(["search", "第一段", "--json"]).jsonLines().count == 1)

        // History: the captures in the order they were captured, then every event.
        let history = try cli.ok(["history", String(article.prefix(7))]).stdout
        #expect(history.hasPrefix("4 captures, oldest first:\n"))
        let order =
            ["_posts/2020-06-29-first.md", "archived/2020-06-29/2020-06-29-first.md", "archived/fm/first.md"]
            .sorted { ArticleID(captureOf: Self.url, at: $0).hex < ArticleID(captureOf: Self.url, at: $1).hex }
            + ["_posts/2020-06-29-second.md"]
        let positions = order.map { history.range(of: "  \($0)  capture ")?.lowerBound }
        #expect(!positions.contains(nil), "\(history)")
        #expect(positions.compactMap { $0 } == positions.compactMap { $0 }.sorted(), "\(history)")
        #expect(history.contains("title: \"预防新冠 美国新公民入籍宣誓采用得来速模式\" → \"预防新冠 美国新公民宣誓入籍采得来速模式\""))
        #expect(history.contains("- <p>旧的第二段。</p>") || history.contains("- 旧的第二段。"), "\(history)")
        #expect(history.contains("+ <p>新的第二段。</p>") || history.contains("+ 新的第二段。"), "\(history)")
        #expect(history.components(separatedBy: "  create  ").count - 1 == 4)
        let historyJSON = try cli.ok(["history", article, "--json"]).jsonLines()
        #expect(historyJSON.prefix(4).map { $0["capture_number"]?.integerValue } == [1, 2, 3, 4])
        #expect(historyJSON.last?["changed"] == nil)
        let changed = Set(historyJSON[3]["changed"]?.arrayValue?.compactMap(\.stringValue) ?? [])
        #expect(changed.isSuperset(of: ["title", "body"]) && !changed.contains("url"))
        #expect(historyJSON.dropFirst(4).map { $0["kind"]?.stringValue } == ["create", "create", "create", "create"])

        // show: the newest capture, any other with --capture; --raw gives the file itself.
        #expect(Array(try cli.ok(["show", article, "--raw"]).stdout.utf8) == Self.recapture)
        #expect(
            Array(try cli.ok(["show", article, "--capture", "archived/fm/first.md", "--raw"]).stdout.utf8)
                == Self.frontMatterOnly)
        #expect(Array(try cli.ok(["show", article, "--capture", "4", "--raw"]).stdout.utf8) == Self.recapture)
        let shown = try cli.ok(["show", article]).stdout
        #expect(shown.contains("capture:     ") && shown.contains("(4 of 4)"))
        let wrong = try cli.run(["show", article, "--capture", "9"])
        #expect(wrong.status == 1 && wrong.stderr.contains("has 4 captures"))

        // Export writes every capture at its path, byte for byte.
        let out = cli.directory.file("out")
        try cli.ok(["export", out])
        for (path, bytes) in Self.folder {
            #expect(Array(try Data(contentsOf: URL(fileURLWithPath: out + "/" + path))) == bytes, "\(path)")
        }
        #expect(try cli.ok(["import", out, "--json"]).json()["unchanged"]?.integerValue == 5)

        // The stale copy deleted alone: the article keeps its other captures.
        try cli.ok(["delete", article, "--capture", "archived/2020-06-29/2020-06-29-first.md"])
        #expect(
            try cli.ok(["list", "--json"]).jsonLines().first { $0["id"]?.stringValue == article }?["captures"]?
                .integerValue == 3)
        let again = cli.directory.file("again")
        try cli.ok(["export", again])
        #expect(!FileManager.default.fileExists(atPath: again + "/archived/2020-06-29/2020-06-29-first.md"))
        #expect(FileManager.default.fileExists(atPath: again + "/_posts/2020-06-29-first.md"))

        // An edit of the article changes its newest capture only.
        try cli.ok(["edit", article, "--title", "Corrected"])
        #expect(
            try cli.ok(["show", article, "--capture", "1", "--json"]).json()["title"]?.stringValue
                == "预防新冠 美国新公民入籍宣誓采用得来速模式")
        #expect(try cli.ok(["show", article, "--json"]).json()["title"]?.stringValue == "Corrected")
        #expect(try cli.ok(["verify"]).stdout.contains("All invariants hold"))
    }
}
