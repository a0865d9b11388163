import ArchiveModel
import Testing

/// The one shape of an error: code, message, context and underlying error, and a code that
/// matches a thrown error of its own type as GRDB's result codes match a `DatabaseError`.
struct ArchiveSyncErrorTests {
    struct Cause: Error {}

    @Test func aModelErrorCarriesItsCodeMessageContextAndCause() {
        let error = ArchiveModelError(
            .badTimestamp, "the timestamp is not a number", context: "a.md", underlying: Cause())
        let any: any ArchiveSyncError = error
        #expect(any.code.rawValue == "bad-timestamp")
        #expect(any.message == "the timestamp is not a number")
        #expect(any.context == "a.md")
        #expect(any.underlying is Cause)
        #expect(any.description == "a.md: the timestamp is not a number")
        #expect(ArchiveModelError(.nulByte, "a tag holds a NUL byte").description == "a tag holds a NUL byte")
    }

    @Test func equalityIgnoresTheUnderlyingError() {
        let plain = ArchiveModelError(.invalidValue, "no", context: "title")
        #expect(plain == ArchiveModelError(.invalidValue, "no", context: "title", underlying: Cause()))
        #expect(plain != ArchiveModelError(.invalidValue, "no", context: "note"))
        #expect(plain != ArchiveModelError(.nulByte, "no", context: "title"))
    }

    @Test func aCodeCatchesItsOwnErrorOnly() {
        func parse() throws { _ = try ArticleFile.parse(Array("".utf8), name: "empty.md") }
        var caught = ""
        do {
            try parse()
        } catch ArchiveModelError.Code.invalidUTF8 {
            caught = "invalid-utf8"
        } catch ArchiveModelError.Code.emptyFile {
            caught = "empty-file"
        } catch {
            caught = "other: \(error)"
        }
        #expect(caught == "empty-file")
        #expect(ArchiveModelError.Code.emptyFile ~= ArchiveModelError(.emptyFile, "empty"))
        #expect(!(ArchiveModelError.Code.emptyFile ~= ArchiveModelError(.nulByte, "NUL")))
        #expect(!(ArchiveModelError.Code.emptyFile ~= Cause()))
    }

    @Test func aSwitchOnACodeStillComparesCodes() {
        let code = ArchiveModelError.Code.hashMismatch
        let name =
            switch code {
            case .malformedJSON: "json"
            case .hashMismatch: "hash"
            default: "other"
            }
        #expect(name == "hash")
        #expect(code.description == "hash-mismatch")
    }
}
