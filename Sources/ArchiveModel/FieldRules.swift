/*
 Every rule here runs on UTF-8 bytes or Unicode scalars, never on `Character`s: a grapheme
 cluster can swallow a byte the rule looks for ("/\u{301}" is one Character, so splitting on
 Characters never sees that slash, and "](\u{301}" never contains "](").

 NUL is refused in every text: SQLite hands text to C code that stops at the first NUL, so a value
 holding one would be cut in the article tables while the journal keeps it whole.
*/

/// What values each field, tag and replica name may take, so that every article held can be
/// written back as a file that reads back the same (see `ArticleFile`).
///
/// `Event.validate` calls these rules, and every `Event` value is validated when it is made
/// (`Event.seal` for local writes, the decoders for events received from peers), so they hold
/// for every event a journal accepts. Commands call them too, to refuse a value before writing.
public enum FieldRules {
    public static let maxTagBytes = 100
    public static let maxNameBytes = 64
    public static let maxPathBytes = 1024

    /// Throws `nulByte` for a text holding NUL and `invalidValue` when `value` does not fit `field`.
    public static func validate(_ value: FieldValue, for field: Field) throws {
        guard value.kind == field.valueKind else {
            throw ArchiveModelError(.invalidValue, "\(field) needs a value of another type", context: field.rawValue)
        }
        if case .text(let text) = value, let offset = text.utf8.firstIndex(of: 0) {
            let position = text.utf8.distance(from: text.utf8.startIndex, to: offset)
            throw ArchiveModelError(
                .nulByte, "the \(field) holds a NUL byte at offset \(position); remove it", context: field.rawValue)
        }
        switch (field, value) {
        case (.url, .text(let url)):
            if url.isEmpty { throw invalid(field, "the url is empty") }
            if url.utf8.contains(where: isLineBreak) { throw invalid(field, "the url contains a line break") }
        case (.title, .text(let title)):
            if title.utf8.contains(where: isLineBreak) { throw invalid(field, "the title contains a line break") }
            if contains(Array("](".utf8), in: title) {
                throw invalid(field, "the title contains \"](\", which ends a markdown link text")
            }
        case (.frontMatter, .text(let text)):
            if !text.isEmpty, ArticleFile.frontMatterEnd(in: Array(text.utf8)) != text.utf8.count {
                throw invalid(
                    field, "front matter must be a block of lines from a \"---\" line to the next \"---\" line")
            }
            if text.utf8.contains(0x0D) { throw invalid(field, "the front matter contains a carriage return") }
        case (.path, .text(let path)):
            try validatePath(path)
        case (.dateLine, .text(let line)):
            if line.isEmpty { break }
            if line.utf8.contains(where: isLineBreak) { throw invalid(field, "the date_line contains a line break") }
            do {
                _ = try DateLine.milliseconds(of: line)
            } catch let error as ArchiveModelError {
                throw invalid(field, "the date_line is not a valid date line: \(error.message)")
            }
        case (.capturedAt, .integer(let ms)):
            if ms < 0 { throw invalid(field, "captured_at must not be negative") }
        default:
            break
        }
    }

    /// A path relative to the archive folder: no leading `/`, no empty, `.` or `..` parts, no
    /// control characters, and no part that starts with a combining mark (which a reader would see
    /// joined to the slash before it). Bidi marks are allowed (right-to-left file names carry
    /// them); what prints a path escapes them (`DisplayText`). Throws `nulByte` or `invalidValue`.
    public static func validatePath(_ path: String) throws {
        if path.isEmpty { throw invalid(.path, "the path is empty") }
        if path.utf8.contains(0) { throw nul(.path, "the path") }
        if path.utf8.count > maxPathBytes { throw invalid(.path, "the path is longer than \(maxPathBytes) bytes") }
        if path.utf8.first == UInt8(ascii: "/") {
            throw invalid(.path, "the path must be relative to the archive folder")
        }
        if path.unicodeScalars.contains(where: isControl) {
            throw invalid(.path, "the path contains a control character")
        }
        for part in path.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false) {
            if part.isEmpty || part.elementsEqual(".".utf8) || part.elementsEqual("..".utf8) {
                throw invalid(.path, "the path \"\(path)\" has an empty, \".\" or \"..\" part")
            }
            if let first = Substring(part).unicodeScalars.first, extendsGrapheme(first) {
                throw invalid(.path, "a part of the path \"\(path)\" starts with a combining mark")
            }
        }
    }

    /// A tag: 1 to 100 bytes, no whitespace or control characters (bidi marks are allowed and
    /// escaped where printed). Throws `nulByte` or `invalidValue`.
    public static func validateTag(_ tag: String) throws {
        if tag.isEmpty { throw ArchiveModelError(.invalidValue, "a tag cannot be empty") }
        if tag.utf8.contains(0) { throw ArchiveModelError(.nulByte, "a tag holds a NUL byte; remove it") }
        if tag.utf8.count > maxTagBytes {
            throw ArchiveModelError(.invalidValue, "the tag \"\(tag)\" is longer than \(maxTagBytes) bytes")
        }
        if tag.unicodeScalars.contains(where: { $0.properties.isWhitespace || isControl($0) }) {
            throw ArchiveModelError(.invalidValue, "the tag \"\(tag)\" contains whitespace or a control character")
        }
    }

    /// A replica name: 1 to 64 bytes, no control characters (bidi marks are allowed and escaped
    /// where printed). Throws `nulByte` or `invalidValue`.
    public static func validateName(_ name: String) throws {
        if name.isEmpty { throw ArchiveModelError(.invalidValue, "a replica name cannot be empty") }
        if name.utf8.contains(0) { throw ArchiveModelError(.nulByte, "the replica name holds a NUL byte; remove it") }
        if name.utf8.count > maxNameBytes {
            throw ArchiveModelError(.invalidValue, "the replica name is longer than \(maxNameBytes) bytes")
        }
        if name.unicodeScalars.contains(where: isControl) {
            throw ArchiveModelError(.invalidValue, "the replica name contains a control character")
        }
    }

    /// C0 controls, DEL and C1 controls.
    public static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }

    /// The marks that reorder or redirect text shown around them: U+061C, U+200E, U+200F,
    /// U+202A–U+202E and U+2066–U+2069.
    public static func isBidiControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x061C, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: true
        default: false
        }
    }

    private static func extendsGrapheme(_ scalar: Unicode.Scalar) -> Bool {
        let properties = scalar.properties
        return properties.isGraphemeExtend || properties.generalCategory == .spacingMark || scalar.value == 0x200D
    }

    private static func isLineBreak(_ byte: UInt8) -> Bool { byte == 0x0A || byte == 0x0D }

    private static func contains(_ needle: [UInt8], in text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count >= needle.count else { return false }
        return (0...(bytes.count - needle.count)).contains { bytes[$0..<($0 + needle.count)].elementsEqual(needle) }
    }

    private static func nul(_ field: Field, _ what: String) -> ArchiveModelError {
        ArchiveModelError(.nulByte, "\(what) holds a NUL byte; remove it", context: field.rawValue)
    }

    private static func invalid(_ field: Field, _ message: String) -> ArchiveModelError {
        ArchiveModelError(.invalidValue, message, context: field.rawValue)
    }
}
