import ArchiveModel
import ArticleProjector
import EventJournal
import Foundation
import GRDB
import TestSupport
import Testing

struct SearchTextTests {
    @Test(arguments: [
        ("朝鲜半岛", " 朝  鲜  半  岛 "),
        ("金", " 金 "),
        ("Kim 朝鲜 said", "Kim  朝  鲜  said"),
        ("COVID-19疫情", "COVID-19 疫  情 "),
        ("café", "café"),
    ])
    func segmentsEveryCJKCharacterIntoAWordOfItsOwn(input: String, expected: String) {
        #expect(SearchText.indexText(input) == expected)
    }

    @Test func indexTextOfHTMLStripsTagsAndSegments() {
        #expect(SearchText.indexText(ofHTML: "<p>朝鲜&amp;Korea</p><img src=\"a.jpg\">") == "  朝  鲜 &Korea  ")
    }

    @Test func stripsTagsButNotBookTitlesInAngleBrackets() {
        let text = SearchText.plainText(ofHTML: "<p>他说&amp;<<游说法>>与<网络小额贷款业务管理暂行办法></p><img src=\"x.jpg\">")
        #expect(text.contains("<<游说法>>"))
        #expect(text.contains("<网络小额贷款业务管理暂行办法>"))
        #expect(text.contains("&"))
        #expect(!text.contains("img"))
    }

    @Test(arguments: [
        ("朝鲜", #""朝 鲜""#), ("金正恩", #""金 正 恩""#), ("美", #""美""#), ("Trump", #""Trump""#),
        ("trum*", #""trum" *"#), ("朝鲜 trump", #""朝 鲜" AND "trump""#), ("\"NEAR(", #""NEAR""#),
        ("a\"\u{301}b", #""a" AND "b""#), ("\"\u{301}OR", #""OR""#),
    ])
    func buildsSafeMatchExpressions(query: String, expected: String) {
        #expect(SearchText.matchExpression(for: query) == expected)
    }

    @Test func emptyQueriesMatchNothing() {
        #expect(SearchText.matchExpression(for: "  ") == nil)
        #expect(SearchText.matchExpression(for: "\"*\"") == nil)
    }
}

/// Search over the real corpus, checked against a brute-force scan of the same text.
struct CorpusSearchTests {
    static let words = ["朝鲜", "美国", "香港", "疫情", "金正恩", "中", "蓬佩奥", "WHO"]

    @Test(.enabled(if: TestPaths.corpusTestsRun, "needs the shared corpus (ARCHIVE_SYNC_CORPUS or ../shared/corpus)"))
    func findsExactlyTheArticlesThatContainEachWord() throws {
        let work = try TemporaryDirectory("search")
        let database = try searchDatabase(in: work)
        let projector = ArticleProjector()
        var texts: [ArticleID: String] = [:]
        try database.write { db in
            for (seq, url) in try TestPaths.corpusFiles("articles/plain").enumerated() {
                let file = try ArticleFile.parse(Array(try Data(contentsOf: url)), name: url.lastPathComponent)
                let event = try EventFactory.event(
                    1, seq + 1, hlc: Int64(seq + 1), kind: .create, article: file.articleID,
                    file.fieldValues.map { Change.set($0.0, $0.1) })
                try projector.apply(event, db)
                texts[file.articleID] = file.title + " " + SearchText.plainText(ofHTML: file.body)
            }
            #expect(try projector.indexAllPending(db) == texts.count)
        }
        for word in Self.words {
            let found = Set(
                try database.read { db in
                    try projector.search(word, includeDeleted: false, limit: 10_000, db).map(\.id)
                })
            let expected = Set(texts.filter { $0.value.range(of: word, options: .caseInsensitive) != nil }.keys)
            if word != "WHO" {
                #expect(found == expected, "\(word): found \(found.count), contain it \(expected.count)")
            } else {
                #expect(found.isSubset(of: expected) && !found.isEmpty, "WHO: \(found.count) of \(expected.count)")
            }
            #expect(!found.isEmpty, "\(word) must occur in the corpus")
        }
    }
}

/// Our segmentation and match expressions on a small archive made for the purpose.
struct ChineseWordSearchTests {
    @Test func findsATwoCharacterWordButNotItsCharactersApartNorAWordThatDoesNotOccur() throws {
        let work = try TemporaryDirectory("search-words")
        let database = try searchDatabase(in: work)
        let projector = ArticleProjector()
        let bodies = [
            "whole": "<p>朝鲜宣布试射导弹。</p>",
            "apart": "<p>朝阳区的新鲜水果。</p>",
            "none": "<p>Nothing in Chinese here.</p>",
        ]
        var ids: [String: ArticleID] = [:]
        try database.write { db in
            for (seq, name) in bodies.keys.sorted().enumerated() {
                let url = "https://news.example.org/a/\(name).html"
                let file = ArticleFile(capturedAt: 1_000, title: name, url: url, body: bodies[name] ?? "")
                ids[name] = file.articleID
                let event = try EventFactory.event(
                    1, seq + 1, hlc: Int64(seq + 1), kind: .create, article: file.articleID,
                    file.fieldValues.map { Change.set($0.0, $0.1) })
                try projector.apply(event, db)
            }
            #expect(try projector.indexAllPending(db) == 3)
        }
        func search(_ query: String) throws -> Set<ArticleID> {
            Set(try database.read { db in try projector.search(query, includeDeleted: false, limit: 10, db).map(\.id) })
        }
        #expect(try search("朝鲜") == Set([ids["whole"]].compactMap { $0 }))
        #expect(try search("鲜") == Set([ids["whole"], ids["apart"]].compactMap { $0 }))
        #expect(try search("韩国").isEmpty)
    }
}

/// A new file holding the journal and the article tables, for search tests.
func searchDatabase(in work: TemporaryDirectory) throws -> DatabaseQueue {
    let database = try DatabaseQueue(path: work.file("search.db"))
    var migrator = DatabaseMigrator()
    EventJournal.registerMigrations(in: &migrator)
    ArticleProjector.registerMigrations(in: &migrator)
    try migrator.migrate(database)
    return database
}
