/*
 The archive file format (DESIGN.md; every variation found is listed in the corpus README), in two
 forms. The comment form:

   [front matter]                  optional: a "---" line, any lines, a "---" line, kept verbatim
   <!--1731686344000-->            captured_at, Unix milliseconds, digits without leading zeros
   [Title text](https://…/a/1)     title and url: the title runs to the first "](", the url to the
                                   last ")" of the line
   ------                          exactly six dashes
                                   one empty line
   <body>                          the HTML body, every byte to the end of the file, kept verbatim

 and the date-line form, written by a sibling capture pipeline (protocol/CANONICAL.md, date_line):

   [front matter]                  optional, as above
   [Title text](https://…/a/1)     as above
   ------                          as above
   日期：Mon, 29 Jun 2020 14:53:02 +0000    date_line: the whole line, kept as written (`DateLine`)
                                   one empty line
   <body>                          as above

 The first line after the front matter tells the form: "<!--" the comment form, "[" the date-line
 form. Lines end with LF. A carriage return in the header is refused (the body is kept as it is,
 CRs included), as are invalid UTF-8, a NUL byte anywhere, a byte-order mark and an empty file, so
 that `render(parse(bytes)) == bytes` for every file that parses, in either form.

 In the date-line form `capturedAt` is derived: `parse` sets it to the instant of the date line,
 and `render` writes `dateLine` and ignores `capturedAt`. So a value with a non-empty `dateLine`
 whose `capturedAt` disagrees with it renders the date line, and parses back with the date line's
 instant. An empty `dateLine` means the comment form.
*/

/// The content of one article file: what import reads and export writes.
public struct ArticleFile: Hashable, Sendable {
    public var frontMatter: String
    public var capturedAt: Int64
    public var title: String
    public var url: String
    public var body: String
    /// The whole date line (without its line break) of a file in the date-line form, or "" for
    /// the `<!--ms-->` form. When it is not empty, `render` writes it instead of `capturedAt`.
    public var dateLine: String

    public init(
        frontMatter: String = "", capturedAt: Int64, title: String, url: String, body: String, dateLine: String = ""
    ) {
        self.frontMatter = frontMatter
        self.capturedAt = capturedAt
        self.title = title
        self.url = url
        self.body = body
        self.dateLine = dateLine
    }

    /// The file a capture's state is written as (what export writes and `show --raw` prints).
    public init(_ state: ArticleState) {
        self.init(
            frontMatter: state.text(.frontMatter), capturedAt: state.capturedAt, title: state.text(.title),
            url: state.text(.url), body: state.text(.body), dateLine: state.text(.dateLine))
    }

    /// The id an article created from this file gets.
    public var articleID: ArticleID { ArticleID(url: url) }

    /// The file's fields as register values.
    public var fieldValues: [(Field, FieldValue)] {
        [
            (.url, .text(url)), (.title, .text(title)), (.body, .text(body)),
            (.frontMatter, .text(frontMatter)), (.capturedAt, .integer(capturedAt)), (.dateLine, .text(dateLine)),
        ]
    }

    /// The file's bytes: the date-line form when `dateLine` is not empty, else the comment form.
    public func render() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(
            frontMatter.utf8.count + title.utf8.count + url.utf8.count + dateLine.utf8.count + body.utf8.count + 64)
        out.append(contentsOf: frontMatter.utf8)
        if dateLine.isEmpty { out.append(contentsOf: "<!--\(capturedAt)-->\n".utf8) }
        out.append(contentsOf: "[".utf8)
        out.append(contentsOf: title.utf8)
        out.append(contentsOf: "](".utf8)
        out.append(contentsOf: url.utf8)
        out.append(contentsOf: ")\n------\n".utf8)
        if !dateLine.isEmpty {
            out.append(contentsOf: dateLine.utf8)
            out.append(0x0A)
        }
        out.append(0x0A)
        out.append(contentsOf: body.utf8)
        return out
    }

    /// Parses the bytes of a file; `name` goes into the error. Throws `ArchiveModelError` naming
    /// the file, the line and the reason.
    public static func parse(_ bytes: [UInt8], name: String) throws -> ArticleFile {
        func fail(_ code: ArchiveModelError.Code, _ message: String) -> ArchiveModelError {
            ArchiveModelError(code, message, context: name)
        }
        if bytes.isEmpty { throw fail(.emptyFile, "the file is empty") }
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) {
            throw fail(.byteOrderMark, "the file starts with a UTF-8 byte-order mark; save it without one")
        }
        if let offset = UTF8Validation.firstInvalidOffset(in: bytes) {
            throw fail(.invalidUTF8, "the file is not valid UTF-8 (first bad byte at offset \(offset))")
        }
        if let offset = bytes.firstIndex(of: 0) {
            throw fail(.nulByte, "the file holds a NUL byte at offset \(offset); article files are text, remove it")
        }

        var cursor = 0
        var lineNumber = 0
        var frontMatter = ""
        if bytes.starts(with: Array("---\n".utf8)) || bytes.starts(with: Array("---\r\n".utf8)) {
            guard let end = frontMatterEnd(in: bytes) else {
                if bytes.prefix(5).contains(0x0D) {
                    throw fail(.carriageReturn, Self.crlfMessage(line: 1))
                }
                throw fail(.unclosedFrontMatter, "the front matter that starts on line 1 has no closing \"---\" line")
            }
            if let cr = bytes[0..<end].firstIndex(of: 0x0D) {
                throw fail(.carriageReturn, Self.crlfMessage(line: bytes[0..<cr].count(where: { $0 == 0x0A }) + 1))
            }
            frontMatter = String(decoding: bytes[0..<end], as: UTF8.self)
            lineNumber = bytes[0..<end].count(where: { $0 == 0x0A })
            cursor = end
        }

        func nextLine() -> ArraySlice<UInt8>? {
            guard cursor < bytes.count, let newline = bytes[cursor...].firstIndex(of: 0x0A) else { return nil }
            defer { cursor = newline + 1 }
            lineNumber += 1
            return bytes[cursor..<newline]
        }
        func checkNoCR(_ line: ArraySlice<UInt8>) throws {
            if line.contains(0x0D) { throw fail(.carriageReturn, crlfMessage(line: lineNumber)) }
        }
        func dateLineMilliseconds(_ line: ArraySlice<UInt8>) throws -> Int64 {
            do {
                // Copy no more than the parser looks at: it refuses anything longer.
                return try DateLine.milliseconds(of: Array(line.prefix(DateLine.maxBytes + 1)))
            } catch let error as ArchiveModelError {
                throw fail(error.code, "line \(lineNumber): \(error.message)")
            }
        }

        // Timestamp line, or the link line of the date-line form.
        let formsMessage =
            "should be the capture time as <!--milliseconds--> (the comment form) or the title and url as "
            + "[title](url) (the date-line form)"
        guard cursor < bytes.count else {
            throw fail(.missingTimestamp, "line \(lineNumber + 1) \(formsMessage), but the file ends")
        }
        let dateLineForm = bytes[cursor] == UInt8(ascii: "[")
        var capturedAt: Int64 = 0
        if !dateLineForm {
            guard let stampLine = nextLine() else {
                throw fail(.missingTimestamp, "line \(lineNumber + 1) \(formsMessage), but the file ends")
            }
            try checkNoCR(stampLine)
            guard stampLine.starts(with: Array("<!--".utf8)),
                stampLine.reversed().starts(with: Array("-->".utf8).reversed()),
                stampLine.count >= 8
            else {
                throw fail(.missingTimestamp, "line \(lineNumber) \(formsMessage)")
            }
            let digits = stampLine.dropFirst(4).dropLast(3)
            guard digits.allSatisfy({ (0x30...0x39).contains($0) }),
                let milliseconds = Int64(String(decoding: digits, as: UTF8.self)),
                digits.first != 0x30 || digits.count == 1
            else {
                throw fail(
                    .badTimestamp,
                    "line \(lineNumber): the capture time must be whole milliseconds without leading zeros")
            }
            capturedAt = milliseconds
        }

        // Link line.
        guard let linkLine = nextLine() else {
            throw fail(
                .missingLink, "line \(lineNumber + 1) should be the title and url as [title](url), but the file ends")
        }
        try checkNoCR(linkLine)
        let link = Array(linkLine)
        guard link.first == UInt8(ascii: "["), link.last == UInt8(ascii: ")") else {
            throw fail(.brokenLink, "line \(lineNumber) should be the title and url as [title](url)")
        }
        guard let split = Self.firstIndex(of: Array("](".utf8), in: link) else {
            throw fail(.brokenLink, "line \(lineNumber) has no \"](\" between the title and the url")
        }
        let title = String(decoding: link[1..<split], as: UTF8.self)
        let url = String(decoding: link[(split + 2)..<(link.count - 1)], as: UTF8.self)
        if url.isEmpty { throw fail(.brokenLink, "line \(lineNumber): the link has no url") }

        // Dashes and the empty line.
        guard let dashes = nextLine() else {
            throw fail(.missingDashes, "line \(lineNumber + 1) should be six dashes (------), but the file ends")
        }
        try checkNoCR(dashes)
        guard dashes.elementsEqual("------".utf8) else {
            throw fail(.missingDashes, "line \(lineNumber) should be six dashes (------)")
        }
        var dateLine = ""
        if dateLineForm {
            guard let line = nextLine() else {
                if cursor < bytes.count {
                    // The last line has no line break: report what is wrong with it first.
                    let rest = bytes[cursor...]
                    lineNumber += 1
                    try checkNoCR(rest)
                    _ = try dateLineMilliseconds(rest)
                    throw fail(
                        .missingBlankLine,
                        "the file ends after the date line on line \(lineNumber); "
                            + "an empty line and the body must follow it")
                }
                throw fail(
                    .missingDateLine,
                    "line \(lineNumber + 1) should be the date line as \(DateLine.prefix)Day, DD Mon YYYY "
                        + "HH:MM:SS +HHMM, but the file ends")
            }
            try checkNoCR(line)
            if line.isEmpty {
                throw fail(
                    .missingDateLine,
                    "line \(lineNumber) is empty, but a file without a <!--milliseconds--> line has its date line "
                        + "here, as \(DateLine.prefix)Day, DD Mon YYYY HH:MM:SS +HHMM")
            }
            capturedAt = try dateLineMilliseconds(line)
            dateLine = String(decoding: line, as: UTF8.self)
        }

        guard let blank = nextLine() else {
            throw fail(.missingBlankLine, "line \(lineNumber + 1) should be empty, but the file ends")
        }
        try checkNoCR(blank)
        guard blank.isEmpty else {
            let after = dateLineForm ? "the date line" : "the dashes"
            throw fail(.missingBlankLine, "line \(lineNumber) after \(after) should be empty")
        }

        let body = String(decoding: bytes[cursor...], as: UTF8.self)
        return ArticleFile(
            frontMatter: frontMatter, capturedAt: capturedAt, title: title, url: url, body: body, dateLine: dateLine)
    }

    /// The end offset (just past the closing "---\n") of the front matter that `bytes` starts
    /// with, or nil when it does not start with one or the block is not closed.
    public static func frontMatterEnd(in bytes: [UInt8]) -> Int? {
        let open = Array("---\n".utf8)
        guard bytes.starts(with: open) else { return nil }
        var lineStart = open.count
        while lineStart < bytes.count {
            guard let newline = bytes[lineStart...].firstIndex(of: 0x0A) else { return nil }
            if bytes[lineStart..<newline].elementsEqual("---".utf8) { return newline + 1 }
            lineStart = newline + 1
        }
        return nil
    }

    private static func crlfMessage(line: Int) -> String {
        "line \(line) ends with a carriage return (CRLF line endings); archive files use LF line endings, convert the file first (for example with dos2unix)"
    }

    private static func firstIndex(of needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
            if haystack[start..<(start + needle.count)].elementsEqual(needle) { return start }
        }
        return nil
    }
}

/// UTF-8 well-formedness, with the offset of the first bad byte for error messages.
package enum UTF8Validation {
    package static func firstInvalidOffset(in bytes: [UInt8]) -> Int? {
        var index = 0
        let count = bytes.count
        while index < count {
            let lead = bytes[index]
            if lead < 0x80 { index += 1; continue }
            let length: Int
            var minimum: UInt32
            var scalar: UInt32
            switch lead {
            case 0xC2...0xDF: length = 2; minimum = 0x80; scalar = UInt32(lead & 0x1F)
            case 0xE0...0xEF: length = 3; minimum = 0x800; scalar = UInt32(lead & 0x0F)
            case 0xF0...0xF4: length = 4; minimum = 0x10000; scalar = UInt32(lead & 0x07)
            default: return index
            }
            guard index + length <= count else { return index }
            for offset in 1..<length {
                let byte = bytes[index + offset]
                guard byte & 0xC0 == 0x80 else { return index }
                scalar = scalar << 6 | UInt32(byte & 0x3F)
            }
            if scalar < minimum || scalar > 0x10FFFF || (0xD800...0xDFFF).contains(scalar) { return index }
            index += length
        }
        return nil
    }
}
