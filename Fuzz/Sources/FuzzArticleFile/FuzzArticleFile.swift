import ArchiveModel

/// `ArticleFile.parse` on any bytes: it throws or returns, and a file it accepts renders back to
/// exactly the bytes it was parsed from (the format's promise, see ArticleFile.swift), in both
/// forms; in the date-line form its captured_at is the instant of its date line.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzArticleFile(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let file = try? ArticleFile.parse(bytes, name: "fuzz.txt") else { return 0 }
    let rendered = file.render()
    if rendered != bytes {
        fatalError("a parsed file renders to other bytes (\(bytes.count) in, \(rendered.count) out)")
    }
    // A date line names the capture time the file is given.
    if !file.dateLine.isEmpty, (try? DateLine.milliseconds(of: file.dateLine)) != file.capturedAt {
        fatalError("a file's date line and its captured_at disagree")
    }
    _ = file.articleID
    return 0
}
