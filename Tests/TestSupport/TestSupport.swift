import ArchiveModel
import Foundation

/// Where the tests find the repository and the shared corpus, and temporary folders for them.
package enum TestPaths {
    /// The repository's root folder.
    package static let repository: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The real article corpus: $ARCHIVE_SYNC_CORPUS, else shared/corpus beside the repository
    /// (../shared/corpus) or beside one of its parent folders.
    package static var corpus: URL {
        if let path = ProcessInfo.processInfo.environment["ARCHIVE_SYNC_CORPUS"], !path.isEmpty {
            return URL(fileURLWithPath: path)
        }
        var folder = repository.deletingLastPathComponent()
        while folder.path != "/" {
            let candidate = folder.appendingPathComponent("shared/corpus")
            if FileManager.default.fileExists(atPath: candidate.appendingPathComponent("articles").path) {
                return candidate
            }
            folder = folder.deletingLastPathComponent()
        }
        return repository.deletingLastPathComponent().appendingPathComponent("shared/corpus")
    }

    /// Whether the corpus tests run: the corpus is there, or `CI` is set (a missing corpus is then
    /// an error, so CI always runs them). Every test that reads the corpus carries
    /// `.enabled(if: TestPaths.corpusTestsRun, "needs the shared corpus …")`; elsewhere it is
    /// skipped with that comment, and `scripts/test` counts the skipped tests.
    package static var corpusTestsRun: Bool { corpusIsPresent || runningInCI }

    /// Whether the corpus folder holds its articles.
    package static var corpusIsPresent: Bool {
        FileManager.default.fileExists(atPath: corpus.appendingPathComponent("articles").path)
    }

    /// Whether the `CI` environment variable is set and not empty (as `scripts/test` reads it).
    package static var runningInCI: Bool { !(ProcessInfo.processInfo.environment["CI"] ?? "").isEmpty }

    /// The files of a corpus folder, sorted by name.
    package static func corpusFiles(_ folder: String) throws -> [URL] {
        let directory = corpus.appendingPathComponent(folder)
        guard FileManager.default.fileExists(atPath: directory.path) else {
            throw TestSetupError(
                "the corpus folder \(directory.path) is missing: put the shared corpus at ../shared/corpus or set ARCHIVE_SYNC_CORPUS"
            )
        }
        return try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "txt" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }
}

/// A problem with the tests' own set-up (a missing corpus), reported as a failure.
package struct TestSetupError: Error, CustomStringConvertible {
    package var description: String
    package init(_ description: String) { self.description = description }
}

/// A temporary folder removed when the value goes away.
package final class TemporaryDirectory: @unchecked Sendable {
    package let url: URL
    package var path: String { url.path }

    package init(_ label: String = "test") throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("archive-sync-\(label)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    package func file(_ name: String) -> String { url.appendingPathComponent(name).path }

    /// Writes `bytes` at `name` (folders created as needed) and returns the full path.
    @discardableResult
    package func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let target = url.appendingPathComponent(name)
        try FileManager.default.createDirectory(
            at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: target)
        return target.path
    }

    @discardableResult
    package func write(_ name: String, _ text: String) throws -> String { try write(name, Array(text.utf8)) }

    deinit { try? FileManager.default.removeItem(at: url) }
}

/// A wall clock for tests: starts at a fixed time and moves forward by a step on every reading.
package final class SteppingClock: @unchecked Sendable {
    private var now: Int64
    private let step: Int64
    private let lock = NSLock()

    package init(start: Int64 = 1_731_686_344_000, step: Int64 = 1) {
        now = start
        self.step = step
    }

    package func read() -> Int64 {
        lock.lock()
        defer { lock.unlock() }
        now += step
        return now
    }
}

/// Builds events by hand for tests of the rules: explicit origins, clocks and hybrid times.
package enum EventFactory {
    /// A fixed origin id for replica number `n` (1 → 000…01): origins sort by number.
    package static func origin(_ n: Int) -> OriginID {
        let hex = String(n, radix: 16)
        guard let origin = OriginID(hex: String(repeating: "0", count: 32 - hex.count) + hex) else {
            preconditionFailure("an origin number is not negative (any other Int fits 32 hex digits): got \(n)")
        }
        return origin
    }

    package static let url = "https://news.example.org/a/rules/1.html"
    package static var article: ArticleID { ArticleID(url: url) }

    /// An event of origin `origin` number `seq` that held `clock` of the other origins.
    package static func event(
        _ origin: Int, _ seq: Int, clock: [Int: Int] = [:], hlc: Int64, counter: Int = 0, kind: EventKind = .update,
        article: ArticleID = article, _ changes: [Change]
    ) throws -> Event {
        var vector = VectorClock()
        for (other, held) in clock { vector[Self.origin(other)] = held }
        vector[Self.origin(origin)] = seq - 1
        let prev = seq == 1 ? SHA256Digest.zero : SHA256Digest.of(Array("\(origin):\(seq - 1)".utf8))
        return try Event.seal(
            Event.Draft(
                origin: Self.origin(origin), seq: seq, hlc: HybridTimestamp(milliseconds: hlc, counter: counter),
                clock: vector, article: article, kind: kind, changes: changes, prev: prev))
    }

    /// A create of the test article by `origin`.
    package static func create(
        _ origin: Int, _ seq: Int = 1, clock: [Int: Int] = [:], hlc: Int64, title: String = "Title"
    ) throws -> Event {
        try event(
            origin, seq, clock: clock, hlc: hlc, kind: .create,
            [
                .set(.url, .text(url)), .set(.title, .text(title)), .set(.body, .text("<p>body</p>\n")),
                .set(.capturedAt, .integer(1_000)), .set(.path, .text("a.txt")),
            ])
    }

    /// A create of the test article, the first event of the signed origin of `key`: what a
    /// server that takes only signed events accepts.
    package static func signedCreate(by key: SigningKey, hlc: Int64, title: String = "Title") throws -> Event {
        try Event.seal(
            Event.Draft(
                origin: key.origin, seq: 1, hlc: HybridTimestamp(milliseconds: hlc, counter: 0), clock: VectorClock(),
                article: article, kind: .create,
                changes: [
                    .set(.url, .text(url)), .set(.title, .text(title)), .set(.body, .text("<p>body</p>\n")),
                    .set(.capturedAt, .integer(1_000)), .set(.path, .text("a.txt")),
                ], prev: .zero),
            signedBy: key)
    }
}

/// The corpus's `revisions/manifest.tsv`: one row per version of an article, each a dictionary
/// from column name to value.
package enum RevisionsManifest {
    package static func rows() throws -> [[String: String]] {
        let url = TestPaths.corpus.appendingPathComponent("revisions/manifest.tsv")
        guard let text = try? String(contentsOf: url, encoding: .utf8) else {
            throw TestSetupError("cannot read \(url.path): put the shared corpus at ../shared/corpus")
        }
        var lines = text.split(separator: "\n").map {
            $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        }
        let header = lines.removeFirst()
        return lines.map { Dictionary(zip(header, $0), uniquingKeysWith: { first, _ in first }) }
    }
}

extension SigningKey {
    /// A fixed key for tests: the one whose seed is 32 times `byte`.
    package static func fixed(_ byte: UInt8) -> SigningKey {
        var generator = FixedBytes(byte: byte)
        return .random(using: &generator)
    }
}

/// Yields one byte value forever (a fixed key's seed).
private struct FixedBytes: RandomNumberGenerator {
    let byte: UInt8
    mutating func next() -> UInt64 { UInt64(byte) * 0x0101_0101_0101_0101 }
}
