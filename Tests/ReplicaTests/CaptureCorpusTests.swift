import ArchiveModel
import ArticleProjector
import Foundation
import GRDB
import Replica
import TestSupport
import Testing

/// An archive folder made of the corpus revisions: every version of an article is its own file at
/// its own path, as in the real archive, where a corrected article is a second file beside the first.
struct CaptureCorpus {
    /// One file of the folder.
    struct File {
        /// Its path inside the folder.
        var path: String
        var bytes: [UInt8]
        var voaID: String
        /// How many versions the manifest lists for its VOA article.
        var versionsTotal: Int
        var parsed: ArticleFile
        /// The capture a first import of the folder names it.
        var captureID: ArticleID { ArticleID(captureOf: parsed.url, at: path) }
    }

    /// Every file: each version at `<the directory of its source_path>/voa_<id>.v<N>.txt`; for every
    /// 10th version a byte-identical copy at `archived/copies/…`; for every 7th (from the 4th) a copy
    /// whose front matter differs by one line at `archived/edited/…`.
    var files: [File] = []
    /// How many of `files` are byte-identical copies of another file.
    var identicalCopies = 0
    /// How many of `files` differ from another only in their front matter.
    var frontMatterCopies = 0

    init() throws {
        let rows = try RevisionsManifest.rows()
        func column(_ row: [String: String], _ name: String) throws -> String {
            guard let value = row[name] else { throw TestSetupError("the manifest has no \(name)") }
            return value
        }
        for (index, row) in rows.enumerated() {
            let (file, voaID) = (try column(row, "file"), try column(row, "voa_id"))
            let bytes = Array(try Data(contentsOf: TestPaths.corpus.appendingPathComponent(file)))
            let name = "voa_\(voaID).v\(try column(row, "version")).txt"
            let directory = try column(row, "source_path").split(separator: "/").dropLast().joined(separator: "/")
            let versionsTotal = Int(try column(row, "versions_total")) ?? 0
            func add(_ path: String, _ bytes: [UInt8]) throws {
                let parsed = try ArticleFile.parse(bytes, name: path)
                files.append(
                    File(path: path, bytes: bytes, voaID: voaID, versionsTotal: versionsTotal, parsed: parsed))
            }
            try add(directory.isEmpty ? name : "\(directory)/\(name)", bytes)
            if index % 10 == 0 {
                try add("archived/copies/\(name)", bytes)
                identicalCopies += 1
            }
            if index % 7 == 3 {
                try add("archived/edited/\(name)", Self.withOtherFrontMatter(bytes))
                frontMatterCopies += 1
            }
        }
    }

    /// `bytes` with one more front-matter line, or with a front matter when it has none.
    static func withOtherFrontMatter(_ bytes: [UInt8]) -> [UInt8] {
        let open = Array("---\n".utf8)
        if bytes.starts(with: open) { return open + Array("copied: true\n".utf8) + bytes.dropFirst(open.count) }
        return Array("---\nlayout: post\n---\n".utf8) + bytes
    }

    /// Writes `files` into `folder`.
    static func write(_ files: [File], into folder: URL) throws {
        for file in files {
            let target = folder.appendingPathComponent(file.path)
            try FileManager.default.createDirectory(
                at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(file.bytes).write(to: target)
        }
    }

    /// Every file under `folder` (hidden ones included), by path relative to it.
    static func contents(of folder: URL) throws -> [String: [UInt8]] {
        var found: [String: [UInt8]] = [:]
        guard let walker = FileManager.default.enumerator(atPath: folder.path) else { return found }
        while let relative = walker.nextObject() as? String {
            let url = folder.appendingPathComponent(relative)
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue {
                found[relative] = Array(try Data(contentsOf: url))
            }
        }
        return found
    }

    /// Expects `folder` to hold exactly `expected`: the same paths, each with the same bytes.
    static func expectFolder(
        _ folder: URL, holds expected: [String: [UInt8]], sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let found = try contents(of: folder)
        let missing = Set(expected.keys).subtracting(found.keys).sorted()
        let extra = Set(found.keys).subtracting(expected.keys).sorted()
        #expect(
            missing.isEmpty, "missing from \(folder.lastPathComponent): \(missing.prefix(5))",
            sourceLocation: sourceLocation)
        #expect(
            extra.isEmpty, "extra in \(folder.lastPathComponent): \(extra.prefix(5))", sourceLocation: sourceLocation)
        let differing = expected.keys.filter { found[$0] != nil && found[$0] != expected[$0] }.sorted()
        #expect(differing.isEmpty, "different bytes: \(differing.prefix(5))", sourceLocation: sourceLocation)
    }
}

/// Imports the real revisions as captures, one file per version, and exports them back.
struct CaptureCorpusTests {
    @Test(.enabled(if: TestPaths.corpusTestsRun, "needs the shared corpus (ARCHIVE_SYNC_CORPUS or ../shared/corpus)"))
    func everyVersionIsACaptureAndTheFolderComesBackByteForByte() throws {
        let corpus = try CaptureCorpus()
        let files = corpus.files
        #expect(Set(files.map(\.path)).count == files.count)
        #expect(files.count == 970 + corpus.identicalCopies + corpus.frontMatterCopies)
        let articles = Dictionary(grouping: files, by: \.parsed.articleID)
        let work = try TemporaryDirectory("capture-corpus")
        let folder = work.url.appendingPathComponent("archive")
        try CaptureCorpus.write(files, into: folder)
        let replica = try Replica.create(at: work.file("replica.db"), name: "laptop")

        let report = try replica.importFiles([folder.path])
        #expect(report.refused.isEmpty, "\(report.refused.prefix(3))")
        #expect(report.files == files.count)
        #expect(report.created == articles.count)
        #expect(report.recaptured == files.count - articles.count)
        #expect(report.identicalCopies == corpus.identicalCopies)
        #expect(report.updated == 0 && report.moved == 0 && report.unchanged == 0)

        let status = try replica.status()
        #expect(status.events == files.count)
        #expect(status.counts.articles == articles.count)
        #expect(status.counts.captures == files.count)
        #expect(status.counts.deleted == 0)

        // Export writes every capture at its path: the folder, byte for byte, and nothing else.
        let out = work.url.appendingPathComponent("out")
        let exported = try replica.export(to: out.path)
        #expect(exported.written == files.count && exported.unchanged == 0 && exported.skipped.isEmpty)
        try CaptureCorpus.expectFolder(
            out, holds: Dictionary(uniqueKeysWithValues: files.map { ($0.path, $0.bytes) }))

        // The captures of articles with 3 or 4 versions, in capture-time order, each one create.
        let several = Set(files.filter { $0.versionsTotal >= 3 }.map(\.parsed.articleID))
        #expect(several.count >= 42)
        for article in several.sorted() {
            let expected = (articles[article] ?? []).sorted {
                ($0.parsed.capturedAt, $0.captureID.hex) < ($1.parsed.capturedAt, $1.captureID.hex)
            }
            let versions = try replica.captureVersions(of: article)
            #expect(versions.map(\.number) == Array(1...expected.count))
            #expect(versions.map(\.summary.path) == expected.map(\.path), "article \(article)")
            #expect(versions.map(\.summary.id) == expected.map(\.captureID), "article \(article)")
            #expect(versions.map { $0.file.render() } == expected.map(\.bytes), "article \(article)")
            let history = try replica.history(of: article)
            #expect(history.map(\.event.kind) == Array(repeating: .create, count: expected.count), "article \(article)")
            #expect(Set(history.map(\.event.article)) == Set(expected.map(\.captureID)), "article \(article)")
        }

        // `list` shows each article once, with as many captures as it has files, by its newest one.
        let listed = try replica.read { db in
            try replica.projector.list(includeDeleted: false, tag: nil, limit: nil, db)
        }
        #expect(listed.count == articles.count)
        #expect(Set(listed.map(\.id)) == Set(articles.keys))
        for summary in listed {
            let captures = articles[summary.id] ?? []
            #expect(summary.captures == captures.count, "article \(summary.id)")
            let newest = captures.max {
                ($0.parsed.capturedAt, $0.captureID.hex) < ($1.parsed.capturedAt, $1.captureID.hex)
            }
            #expect(summary.capture == newest?.captureID, "article \(summary.id)")
        }
        #expect(try replica.verify().ok)

        // The same folder again: nothing written.
        let again = try replica.importFiles([folder.path])
        #expect(again.unchanged == files.count && again.files == files.count)
        #expect(again.created == 0 && again.recaptured == 0 && again.updated == 0 && again.refused.isEmpty)
        #expect(try replica.status().events == files.count)
        #expect(try replica.status().digest == status.digest)
    }
}
