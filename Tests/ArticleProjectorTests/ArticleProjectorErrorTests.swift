import ArchiveModel
import ArticleProjector
import Testing

/// The projector's error in the shape of every error.
struct ArticleProjectorErrorTests {
    struct Cause: Error {}

    @Test func aProjectorErrorCarriesItsCodeMessageContextAndCause() {
        let error = ArticleProjectorError(
            .corruptRow, "a register does not decode", context: "article 1f", underlying: Cause())
        let any: any ArchiveSyncError = error
        #expect(any.code.rawValue == "corrupt-row")
        #expect(any.message == "a register does not decode")
        #expect(any.context == "article 1f")
        #expect(any.underlying is Cause)
        #expect(any.description == "a register does not decode")
        #expect(ArticleProjectorError.Code.corruptRow ~= error)
        #expect(!(ArticleProjectorError.Code.corruptRow ~= Cause()))
    }
}
