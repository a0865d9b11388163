import ArchiveModel
import WireProtocol

/// The batch decoders on any bytes, with delta-coded values resolved against a fixed base: a
/// push batch (`EventBatch.decode`) and a pull page (`PullPage`). Each throws or returns; what
/// they return holds at most as many events as the input has lines.
///
/// Every base resolves to `FuzzBase.value` of article `FuzzBase.article` (the seeds' article),
/// whose hash is `FuzzBase.hash` (64 × "ab"), so a seed whose delta names that hash reaches the
/// code that rebuilds the value.
enum FuzzBase {
    static let value = String(
        repeating: "<p>朝鲜半岛的局势。The situation on the peninsula, day by day.</p>\n", count: 12)
    static let hash = SHA256Digest(hex: String(repeating: "ab", count: 32))
    static let article = ArticleID(hex: "370356813eb2866c")
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzEventBatch(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let lines = bytes.count(where: { $0 == 0x0A }) + 1
    let bases: ValueDelta.BaseSource = { dot, _ in
        guard let hash = FuzzBase.hash, let article = FuzzBase.article, dot.seq % 2 == 1 else { return nil }
        return ValueDelta.Base(article: article, hash: hash, value: FuzzBase.value)
    }
    if let events = try? EventBatch.decode(bytes, maxEvents: 1_000, bases: bases), events.count > lines {
        fatalError("decode returned \(events.count) events from \(lines) lines")
    }
    _ = try? EventBatch.decode(bytes)
    if let page = try? PullPage(bytes, bases: bases) {
        if page.events.count > lines { fatalError("a pull page of \(lines) lines gave \(page.events.count) events") }
        if let trailer = page.trailer, trailer.events != page.events.count {
            fatalError("a pull page was accepted with a trailer that miscounts its events")
        }
    }
    return 0
}
