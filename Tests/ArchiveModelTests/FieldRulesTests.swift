import ArchiveModel
import Testing

/// The rules on values, checked on bytes and scalars: a combining mark must not hide a slash or
/// a "](", and NUL is refused everywhere.
struct FieldRulesTests {
    struct Refused: CustomStringConvertible, Sendable {
        var description: String
        var code: ArchiveModelError.Code
        var check: @Sendable () throws -> Void
    }

    static func value(_ field: Field, _ text: String) -> @Sendable () throws -> Void {
        { try FieldRules.validate(.text(text), for: field) }
    }

    static let refused: [Refused] = [
        Refused(description: "NUL in the title", code: .nulByte, check: value(.title, "a\0b")),
        Refused(description: "NUL in the body", code: .nulByte, check: value(.body, "<p>\0</p>")),
        Refused(description: "NUL in the url", code: .nulByte, check: value(.url, "https://e.org/\0")),
        Refused(description: "NUL in the note", code: .nulByte, check: value(.note, "\0")),
        Refused(description: "NUL in the front matter", code: .nulByte, check: value(.frontMatter, "---\n\0\n---\n")),
        Refused(description: "NUL in the path", code: .nulByte, check: value(.path, "a\0.txt")),
        Refused(description: "NUL in a tag", code: .nulByte) { try FieldRules.validateTag("a\0") },
        Refused(description: "NUL in a replica name", code: .nulByte) { try FieldRules.validateName("lap\0top") },
        Refused(description: "a combining mark after ../", code: .invalidValue, check: value(.path, "../\u{301}x.txt")),
        Refused(
            description: "a part starting with a combining mark", code: .invalidValue,
            check: value(.path, "a/\u{301}../b")),
        Refused(
            description: "a combining mark after the last slash", code: .invalidValue,
            check: value(.path, "a/..\u{301}/\u{301}")),
        Refused(description: "a path that climbs out", code: .invalidValue, check: value(.path, "a/../../b")),
        Refused(description: "an absolute path", code: .invalidValue, check: value(.path, "/etc/passwd")),
        Refused(description: "an empty part", code: .invalidValue, check: value(.path, "a//b")),
        Refused(description: "a C1 control in the path", code: .invalidValue, check: value(.path, "a\u{9B}b")),
        Refused(description: "\"](\" with a combining mark", code: .invalidValue, check: value(.title, "a](\u{301}b")),
        Refused(description: "\"](\" in the title", code: .invalidValue, check: value(.title, "a](b")),
        Refused(description: "a line break in the title", code: .invalidValue, check: value(.title, "a\nb")),
        Refused(
            description: "a carriage return in the front matter", code: .invalidValue,
            check: value(.frontMatter, "---\na\r\n---\n")),
        Refused(description: "an escape in a tag", code: .invalidValue) { try FieldRules.validateTag("x\u{1B}") },
    ]

    @Test(arguments: refused)
    func refusesWithItsCode(_ testCase: Refused) {
        #expect { try testCase.check() } throws: { ($0 as? ArchiveModelError)?.code == testCase.code }
    }

    @Test(arguments: [
        "a.txt", "dir/sub/b.txt", "é/e\u{301}.txt", "朝鲜/金正恩.txt", "a..b/..c", ".hidden/x", "a/b\u{301}",
        "עברית\u{200F}/מאמר.txt",
    ])
    func acceptsPaths(_ path: String) throws {
        try FieldRules.validate(.text(path), for: .path)
    }

    /// Right-to-left names carry bidi marks, so paths, tags and names may hold them: they are
    /// escaped wherever they are printed for a person, so they cannot disguise what is shown.
    @Test func bidiMarksAreAcceptedAndShownEscaped() throws {
        try FieldRules.validatePath("\u{202E}txt.exe")
        try FieldRules.validateTag("x\u{200F}")
        try FieldRules.validateName("a\u{2066}b")
        #expect(DisplayText.escaped("\u{202E}txt.exe") == "\\u{202e}txt.exe")
    }

    /// Every title accepted is one that an article file gives back unchanged with its url.
    @Test(arguments: ["a]b", "[x]", "a]\u{301}(b", "a\u{1B}[2J", "朝鲜 (全文)", "]", "a)(b"])
    func anAcceptedTitleSurvivesTheFile(_ title: String) throws {
        try FieldRules.validate(.text(title), for: .title)
        let file = ArticleFile(capturedAt: 1, title: title, url: "https://e.org/a_(b)", body: "<p>x</p>")
        let read = try ArticleFile.parse(file.render(), name: "t.txt")
        #expect(Array(read.title.utf8) == Array(title.utf8))
        #expect(read.url == file.url)
    }

    @Test func aFileWithNULIsRefusedNamingTheFileAndTheOffset() {
        let bytes = Array("<!--1-->\n[T](https://e.org/1)\n------\n\n<p>a\0b</p>".utf8)
        #expect {
            _ = try ArticleFile.parse(bytes, name: "news/1.txt")
        } throws: { error in
            guard let error = error as? ArchiveModelError else { return false }
            return error.code == .nulByte && error.context == "news/1.txt" && error.message.contains("offset 42")
        }
    }
}
