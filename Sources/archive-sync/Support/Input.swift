import ArchiveModel
import Foundation

/// Reading text that commands take from files or standard input.
enum Input {
    /// The UTF-8 text of `path`, or of standard input when `path` is `-`.
    static func text(from path: String, what: String) throws -> String {
        let data: Data
        if path == "-" {
            data = FileHandle.standardInput.readDataToEndOfFile()
        } else {
            guard let contents = FileManager.default.contents(atPath: path) else {
                throw CommandError(.fileSystem, "cannot read the \(what) file \(path)")
            }
            data = contents
        }
        guard let text = String(data: data, encoding: .utf8), UTF8Validation.firstInvalidOffset(in: Array(data)) == nil
        else {
            throw CommandError(
                .invalidInput, "the \(what) in \(path == "-" ? "standard input" : path) is not valid UTF-8")
        }
        return text
    }
}
