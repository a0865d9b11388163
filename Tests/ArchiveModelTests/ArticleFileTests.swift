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
            description: "first line neither <!--ms--> nor [title](url)",
            bytes: Array(("Title\n" + valid).utf8), code: .missingTimestamp,
            mentions: "line 1 should be the capture time as <!--milliseconds--> (the comment form) or the title and url"
                + " as [title](url) (the date-line form)"),
        .init(
            description: "front matter then nothing", bytes: Array("---\na: b\n---\n".utf8), code: .missingTimestamp,
            mentions: "line 4 should be the capture time as <!--milliseconds--> (the comment form) or"),
        .init(
            description: "missing timestamp line, so read as the date-line form",
            bytes: Array("[Title](https://e.org/1)\n------\n\n<p>b</p>\n".utf8),
            code: .missingDateLine, mentions: "line 3 is empty, but a file without a <!--milliseconds--> line"),
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

    static let dated = "[Title](https://e.org/1)\n------\n日期：Mon, 29 Jun 2020 14:53:02 +0000\n\n<div>b</div>\n"

    static func datedWith(_ line: String) -> [UInt8] {
        Array(dated.replacingOccurrences(of: "日期：Mon, 29 Jun 2020 14:53:02 +0000", with: line).utf8)
    }

    static let malformedDateLineForm: [MalformedCase] = [
        .init(
            description: "date line without the prefix", bytes: datedWith("Mon, 29 Jun 2020 14:53:02 +0000"),
            code: .badDateLine, mentions: "line 3: the date line must start with \"日期：\""),
        .init(
            description: "garbage date", bytes: datedWith("日期：sometime"), code: .badDateLine,
            mentions: "line 3: the weekday \"sometime\" is not one of"),
        .init(
            description: "31 Jun", bytes: datedWith("日期：Wed, 31 Jun 2020 14:53:02 +0000"), code: .badDateLine,
            mentions: "line 3: 31 Jun 2020 does not exist: Jun 2020 has 30 days"),
        .init(
            description: "29 Feb 2021", bytes: datedWith("日期：29 Feb 2021 14:53:02 +0000"), code: .badDateLine,
            mentions: "line 3: 29 Feb 2021 does not exist: Feb 2021 has 28 days"),
        .init(
            description: "wrong weekday", bytes: datedWith("日期：Sun, 29 Jun 2020 14:53:02 +0000"),
            code: .badDateLine, mentions: "line 3: the weekday Sun does not match 29 Jun 2020, which is a Mon"),
        .init(
            description: "bad zone", bytes: datedWith("日期：Mon, 29 Jun 2020 14:53:02 +2500"), code: .badDateLine,
            mentions: "line 3: the time zone +2500 has hours above 23"),
        .init(
            description: "trailing space", bytes: datedWith("日期：Mon, 29 Jun 2020 14:53:02 +0000 "),
            code: .badDateLine, mentions: "line 3: the date line has 1 more byte(s) after the time zone"),
        .init(
            description: "date line ending with CR", bytes: datedWith("日期：Mon, 29 Jun 2020 14:53:02 +0000\r"),
            code: .carriageReturn, mentions: "line 3 ends with a carriage return (CRLF"),
        .init(
            description: "CRLF everywhere", bytes: Array(dated.replacingOccurrences(of: "\n", with: "\r\n").utf8),
            code: .carriageReturn, mentions: "line 1 ends with a carriage return (CRLF"),
        .init(
            description: "file ends after the dashes", bytes: Array("[T](https://e.org/1)\n------\n".utf8),
            code: .missingDateLine, mentions: "line 3 should be the date line as 日期：Day, DD Mon YYYY"),
        .init(
            description: "no empty line after the date line",
            bytes: Array(dated.replacingOccurrences(of: "+0000\n\n", with: "+0000\n").utf8), code: .missingBlankLine,
            mentions: "line 4 after the date line should be empty"),
        .init(
            description: "file ends after the date line and its line break",
            bytes: Array("[T](https://e.org/1)\n------\n日期：Mon, 29 Jun 2020 14:53:02 +0000\n".utf8),
            code: .missingBlankLine, mentions: "line 4 should be empty, but the file ends"),
        .init(
            description: "file ends on the date line",
            bytes: Array("[T](https://e.org/1)\n------\n日期：Mon, 29 Jun 2020 14:53:02 +0000".utf8),
            code: .missingBlankLine, mentions: "the file ends after the date line on line 3"),
        .init(
            description: "file ends on a bad date line",
            bytes: Array("[T](https://e.org/1)\n------\n日期：Mon, 29 Jun 2020 14:53:02".utf8),
            code: .badDateLine, mentions: "line 3: the time must be followed by exactly one space"),
        .init(
            description: "bad date line after front matter (line numbers count it)",
            bytes: Array("---\nlayout: post\n---\n".utf8) + datedWith("日期：Mon, 29 Jun 2020 14:53:02 +0000 "),
            code: .badDateLine, mentions: "line 6: the date line has 1 more byte(s)"),
        .init(
            description: "date line form with a broken link", bytes: Array(("[T] (u)\n------\n").utf8),
            code: .brokenLink, mentions: "line 1 has no \"](\""),
        .init(
            description: "date line form without dashes",
            bytes: Array(dated.replacingOccurrences(of: "------\n", with: "").utf8), code: .missingDashes,
            mentions: "line 2 should be six dashes"),
    ]

    @Test(arguments: malformed + malformedDateLineForm)
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

    @Test func dateLineFileParsesAndRoundTripsByteForByte() throws {
        let text = """
            [突发：拜登(全文)](https://example.org/a/5651945.html)
            ------
            日期：Mon, 29 Jun 2020 14:53:02 +0000

            <div>
            <p>我们将随时更新后续进展。</p>
            </div>

            """
        let file = try ArticleFile.parse(Array(text.utf8), name: "d.txt")
        #expect(file.frontMatter == "")
        #expect(file.dateLine == "日期：Mon, 29 Jun 2020 14:53:02 +0000")
        #expect(file.capturedAt == 1_593_442_382_000)
        #expect(file.title == "突发：拜登(全文)")
        #expect(file.url == "https://example.org/a/5651945.html")
        #expect(file.body == "<div>\n<p>我们将随时更新后续进展。</p>\n</div>\n")
        #expect(file.render() == Array(text.utf8))
    }

    struct DatedCase: CustomStringConvertible, Sendable {
        var description: String { dateLine }
        var frontMatter: String
        var dateLine: String
        var milliseconds: Int64
        var body: String
    }

    static let datedCases: [DatedCase] = [
        .init(
            frontMatter: "", dateLine: "日期：Mon, 29 Jun 2020 22:53:02 +0800", milliseconds: 1_593_442_382_000,
            body: "<div>正文</div>\n"),
        .init(
            frontMatter: "---\nlayout: post\n---\n", dateLine: "日期：Mon, 29 Jun 2020 09:23:02 -0530",
            milliseconds: 1_593_442_382_000, body: "<p>x</p>"),
        .init(
            frontMatter: "---\n---\n", dateLine: "日期：29 Jun 2020 14:53:02 GMT", milliseconds: 1_593_442_382_000,
            body: "<p>a</p>\r\n<p>b\r</p>\r\n"),
        .init(frontMatter: "", dateLine: "日期：Thu, 1 Jan 1970 00:00:00 +0000", milliseconds: 0, body: ""),
        .init(
            frontMatter: "", dateLine: "日期：Mon, 29 Jun 2020 14:53:02 +0800", milliseconds: 1_593_413_582_000,
            body: "\n\n日期：not a date\n"),
    ]

    @Test(arguments: datedCases)
    func dateLineFormsRoundTripWithTheirInstant(_ testCase: DatedCase) throws {
        let text =
            testCase.frontMatter + "[标题](https://e.org/日/1)\n------\n" + testCase.dateLine + "\n\n" + testCase.body
        let file = try ArticleFile.parse(Array(text.utf8), name: "d.txt")
        #expect(file.frontMatter == testCase.frontMatter)
        #expect(file.dateLine == testCase.dateLine)
        #expect(file.capturedAt == testCase.milliseconds)
        #expect(file.title == "标题")
        #expect(file.url == "https://e.org/日/1")
        #expect(file.body.utf8.elementsEqual(testCase.body.utf8))
        #expect(file.render() == Array(text.utf8))
    }

    @Test func aFolderMayMixBothForms() throws {
        let files = [
            Self.valid, Self.dated, "---\na: b\n---\n" + Self.valid, "---\na: b\n---\n" + Self.dated,
        ]
        let parsed = try files.map { try ArticleFile.parse(Array($0.utf8), name: "mixed.txt") }
        #expect(parsed.map(\.dateLine.isEmpty) == [true, false, true, false])
        let comment: Int64 = 1_700_000_000_000
        let dated: Int64 = 1_593_442_382_000
        #expect(parsed.map(\.capturedAt) == [comment, dated, comment, dated])
        #expect(parsed.map { $0.render() } == files.map { Array($0.utf8) })
    }

    @Test func fieldValuesCarryTheDateLineAfterCapturedAt() throws {
        let file = try ArticleFile.parse(Array(Self.dated.utf8), name: "d.txt")
        #expect(file.fieldValues.map(\.0) == [.url, .title, .body, .frontMatter, .capturedAt, .dateLine])
        #expect(file.fieldValues[4].1 == .integer(1_593_442_382_000))
        #expect(file.fieldValues[5].1 == .text("日期：Mon, 29 Jun 2020 14:53:02 +0000"))
        let comment = try ArticleFile.parse(Array(Self.valid.utf8), name: "c.txt")
        #expect(comment.fieldValues[5].1 == .text(""))
    }

    /// `capturedAt` is derived in the date-line form: the date line is what is written.
    @Test func aDateLineWinsOverADisagreeingCapturedAt() throws {
        let file = ArticleFile(
            capturedAt: 42, title: "T", url: "https://e.org/1", body: "b",
            dateLine: "日期：Mon, 29 Jun 2020 14:53:02 +0000")
        let bytes = file.render()
        #expect(bytes == Array("[T](https://e.org/1)\n------\n日期：Mon, 29 Jun 2020 14:53:02 +0000\n\nb".utf8))
        let parsed = try ArticleFile.parse(bytes, name: "r.txt")
        #expect(parsed.capturedAt == 1_593_442_382_000)
        #expect(parsed.dateLine == file.dateLine)
    }

    @Test func existingInitializerStillMakesTheCommentForm() {
        let file = ArticleFile(capturedAt: 7, title: "T", url: "u", body: "b")
        #expect(file.dateLine == "")
        #expect(file.render() == Array("<!--7-->\n[T](u)\n------\n\nb".utf8))
    }
}
