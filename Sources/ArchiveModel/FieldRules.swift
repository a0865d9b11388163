/// What values each field, tag and replica name may take, so that every article held can be
/// written back as a file that reads back the same (see `ArticleFile`).
///
/// Used on the command line before writing an event and on every event received.
public enum FieldRules {
    public static let maxTagBytes = 100
    public static let maxNameBytes = 64
    public static let maxPathBytes = 1024

    /// Throws `invalidValue` when `value` does not fit `field`.
    public static func validate(_ value: FieldValue, for field: Field) throws {
        guard value.kind == field.valueKind else {
            throw ArchiveModelError(.invalidValue, "\(field) needs a value of another type", context: field.rawValue)
        }
        switch (field, value) {
        case (.url, .text(let url)):
            if url.isEmpty { throw invalid(field, "the url is empty") }
            if url.utf8.contains(where: { $0 == 0x0A || $0 == 0x0D }) {
                throw invalid(field, "the url contains a line break")
            }
        case (.title, .text(let title)):
            if title.utf8.contains(where: { $0 == 0x0A || $0 == 0x0D }) {
                throw invalid(field, "the title contains a line break")
            }
            if title.contains("](") {
                throw invalid(field, "the title contains \"](\", which ends a markdown link text")
            }
        case (.frontMatter, .text(let text)):
            if !text.isEmpty, ArticleFile.frontMatterEnd(in: Array(text.utf8)) != text.utf8.count {
                throw invalid(
                    field, "front matter must be a block of lines from a \"---\" line to the next \"---\" line")
            }
        case (.path, .text(let path)):
            try validatePath(path)
        case (.capturedAt, .integer(let ms)):
            if ms < 0 { throw invalid(field, "captured_at must not be negative") }
        default:
            break
        }
    }

    /// A path relative to the archive folder: no leading `/`, no empty, `.` or `..` parts.
    public static func validatePath(_ path: String) throws {
        if path.isEmpty { throw invalid(.path, "the path is empty") }
        if path.utf8.count > maxPathBytes { throw invalid(.path, "the path is longer than \(maxPathBytes) bytes") }
        if path.hasPrefix("/") { throw invalid(.path, "the path must be relative to the archive folder") }
        if path.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            throw invalid(.path, "the path contains a control character")
        }
        for part in path.split(separator: "/", omittingEmptySubsequences: false) {
            if part.isEmpty || part == "." || part == ".." {
                throw invalid(.path, "the path \"\(path)\" has an empty, \".\" or \"..\" part")
            }
        }
    }

    /// A tag: 1 to 100 bytes, no whitespace or control characters.
    public static func validateTag(_ tag: String) throws {
        if tag.isEmpty { throw ArchiveModelError(.invalidValue, "a tag cannot be empty") }
        if tag.utf8.count > maxTagBytes {
            throw ArchiveModelError(.invalidValue, "the tag \"\(tag)\" is longer than \(maxTagBytes) bytes")
        }
        if tag.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.value < 0x20 || $0.value == 0x7F }) {
            throw ArchiveModelError(.invalidValue, "the tag \"\(tag)\" contains whitespace or a control character")
        }
    }

    /// A replica name: 1 to 64 bytes, no control characters.
    public static func validateName(_ name: String) throws {
        if name.isEmpty { throw ArchiveModelError(.invalidValue, "a replica name cannot be empty") }
        if name.utf8.count > maxNameBytes {
            throw ArchiveModelError(.invalidValue, "the replica name is longer than \(maxNameBytes) bytes")
        }
        if name.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            throw ArchiveModelError(.invalidValue, "the replica name contains a control character")
        }
    }

    private static func invalid(_ field: Field, _ message: String) -> ArchiveModelError {
        ArchiveModelError(.invalidValue, message, context: field.rawValue)
    }
}
