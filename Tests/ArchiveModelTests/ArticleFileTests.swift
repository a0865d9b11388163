import ArchiveModel
import Foundation
import TestSupport
import Testing

struct ArticleFileTests {
    @Test(
        .enabled(if: TestPaths.corpusTestsRun, "needs the shared corpus (ARCHIVE_SYNC_CORPUS or ../shared/corpus)"),
        arguments: ["articles/plain", "articles/frontmatter", "oddities"])
    func corpusFilesRoundTripByteForByte(folder: String) throws {
        let files = try TestPaths.corpusFiles(folder)
        #expect(!files.isEmpty)
        var failures: [String] = []
        for url in files {
            let bytes = Array(try Data(contentsOf: url))
            let parsed = try ArticleFile.parse(bytes, name: url.lastPathComponent)
            if parsed.render() != bytes { failures.append(url.lastPathComponent) }
        }
        #expect(failures.isEmpty, "files that do not round-trip: \(failures.prefix(10))")
    }

    @Test func frontMatterFileKeepsHeaderAndBodySeparately() throws {
        let text = """
            ---
            layout: post
            title: "x"
            ---
            <!--1604770881000-->
            [突发：拜登(全文)](https://example.org/a/5651945.html)
            ------

            <div>
            <p>我们将随时更新后续进展。</p>
            </div>

            """
        let file = try ArticleFile.parse(Array(text.utf8), name: "x.txt")
        #expect(file.frontMatter == "---\nlayout: post\ntitle: \"x\"\n---\n")
        #expect(file.capturedAt == 1_604_770_881_000)
        #expect(file.title == "突发：拜登(全文)")
        #expect(file.url == "https://example.org/a/5651945.html")
        #expect(file.body == "<div>\n<p>我们将随时更新后续进展。</p>\n</div>\n")
        #expect(file.render() == Array(text.utf8))
    }

    @Test func urlMayEndWithAParenthesis() throws {
        let text = "<!--1-->\n[Title [x]](https://en.example.org/wiki/X_(y))\n------\n\nbody"
        let file = try ArticleFile.parse(Array(text.utf8), name: "p.txt")
        #expect(file.title == "Title [x]")
        #expect(file.url == "https://en.example.org/wiki/X_(y)")
        #expect(file.render() == Array(text.utf8))
    }

    @Test func carriageReturnsInsideTheBodyRoundTrip() throws {
        let text = "<!--1700000000000-->\n[T](https://e.org/1)\n------\n\n<p>a</p>\r\n<p>b</p>\r\n"
        let file = try ArticleFile.parse(Array(text.utf8), name: "crlf-body.txt")
        #expect(file.render() == Array(text.utf8))
    }

    struct MalformedCase: CustomStringConvertible, Sendable {
        var description: String
        var bytes: [UInt8]
        var code: ArchiveModelError.Code
        var mentions: String
    }

    static let valid = "<!--1700000000000-->\n[Title](https://e.org/1)\n------\n\n<p>body</p>\n"

    static let malformed: [MalformedCase] = [
        .init(description: "empty file", bytes: [], code: .emptyFile, mentions: "empty"),
        .init(
            description: "missing timestamp line", bytes: Array("[Title](https://e.org/1)\n------\n\n<p>b</p>\n".utf8),
            code: .missingTimestamp, mentions: "line 1"),
        .init(
            description: "timestamp not digits",
            bytes: Array(valid.replacingOccurrences(of: "1700000000000", with: "17000x").utf8),
            code: .badTimestamp, mentions: "milliseconds"),
        .init(
            description: "timestamp with a leading zero",
            bytes: Array(valid.replacingOccurrences(of: "<!--1", with: "<!--01").utf8),
            code: .badTimestamp, mentions: "leading zeros"),
        .init(
            description: "link line without brackets",
            bytes: Array(
                valid.replacingOccurrences(of: "[Title](https://e.org/1)", with: "Title https://e.org/1").utf8),
            code: .brokenLink, mentions: "line 2"),
        .init(
            description: "link line without ](",
            bytes: Array(
                valid.replacingOccurrences(of: "[Title](https://e.org/1)", with: "[Title] (https://e.org/1)").utf8),
            code: .brokenLink, mentions: "\"](\""),
        .init(
            description: "link without url",
            bytes: Array(valid.replacingOccurrences(of: "(https://e.org/1)", with: "()").utf8),
            code: .brokenLink, mentions: "no url"),
        .init(
            description: "missing dashes", bytes: Array(valid.replacingOccurrences(of: "------\n", with: "").utf8),
            code: .missingDashes, mentions: "line 3"),
        .init(
            description: "three dashes only", bytes: Array(valid.replacingOccurrences(of: "------", with: "---").utf8),
            code: .missingDashes, mentions: "six dashes"),
        .init(
            description: "no empty line after the dashes",
            bytes: Array(valid.replacingOccurrences(of: "------\n\n", with: "------\n").utf8),
            code: .missingBlankLine, mentions: "line 4"),
        .init(
            description: "file ends after the link", bytes: Array("<!--1-->\n[T](u)\n".utf8),
            code: .missingDashes, mentions: "file ends"),
        .init(
            description: "invalid UTF-8", bytes: Array(valid.utf8) + [0xE6, 0x9C], code: .invalidUTF8,
            mentions: "offset"),
        .init(
            description: "overlong UTF-8", bytes: Array("<!--1-->\n[T](u)\n------\n\n".utf8) + [0xC0, 0xAF],
            code: .invalidUTF8, mentions: "UTF-8"),
        .init(
            description: "byte-order mark", bytes: [0xEF, 0xBB, 0xBF] + Array(valid.utf8), code: .byteOrderMark,
            mentions: "byte-order mark"),
        .init(
            description: "CRLF line endings", bytes: Array(valid.replacingOccurrences(of: "\n", with: "\r\n").utf8),
            code: .carriageReturn, mentions: "CRLF"),
        .init(
            description: "CRLF front matter", bytes: Array(("---\r\nlayout: post\r\n---\r\n" + valid).utf8),
            code: .carriageReturn, mentions: "CRLF"),
        .init(
            description: "unclosed front matter", bytes: Array(("---\nlayout: post\n" + valid).utf8),
            code: .unclosedFrontMatter, mentions: "closing"),
    ]

    @Test(arguments: malformed)
    func malformedFileIsRefusedWithItsNameAndReason(_ testCase: MalformedCase) {
        #expect {
            _ = try ArticleFile.parse(testCase.bytes, name: "folder/bad.txt")
        } throws: { error in
            guard let error = error as? ArchiveModelError else { return false }
            return error.code == testCase.code && error.context == "folder/bad.txt"
                && error.description.contains("folder/bad.txt") && error.message.contains(testCase.mentions)
        }
    }

    @Test func renderedFieldsAlwaysParseBack() throws {
        let file = ArticleFile(
            frontMatter: "---\na: b\n---\n", capturedAt: 0, title: "a [b] (c)", url: "https://x.org/(1)",
            body: "")
        let parsed = try ArticleFile.parse(file.render(), name: "r.txt")
        #expect(parsed == file)
    }
}
