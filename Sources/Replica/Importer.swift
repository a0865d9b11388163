import ArchiveModel
import ArticleProjector
import EventJournal
import Foundation
import GRDB

/// What `import` did, file by file and in total.
public struct ImportReport: Sendable {
    public var files = 0
    public var bytes = 0
    public var created = 0
    public var updated = 0
    /// Updates that changed the article's path (a file moved in the archive).
    public var moved = 0
    public var unchanged = 0
    public var refused: [(file: String, reason: String)] = []
    public init() {}

    /// Adds the counts of one chunk of the import.
    mutating func add(_ other: ImportReport) {
        files += other.files
        bytes += other.bytes
        created += other.created
        updated += other.updated
        moved += other.moved
        unchanged += other.unchanged
        refused += other.refused
    }
}

/// Progress of a running import, for the terminal.
public struct ImportProgress: Sendable {
    public var filesDone: Int
    public var filesTotal: Int
    public var bytesDone: Int
}

/// One file to import: where it is and its path inside the archive folder it came from.
struct ImportSource: Sendable {
    var root: String
    var relativePath: String
    /// A file given by name rather than found in a folder: its archive folder is unknown.
    var single = false
    /// Why the walk refuses the entry without reading it (a symbolic link to a folder).
    var refusal: String?
    /// The real path of `root`: the key of the file baselines of its files.
    var folder = ""
    var absolutePath: String { root.isEmpty ? relativePath : root + "/" + relativePath }
}

extension Replica {
    /// The most bytes of files an import holds in memory at once, between commits.
    static let maxChunkBytes = 64 << 20

    /// The file name endings a folder walk imports.
    public static let importExtensions: Set<String> = ["txt", "md", "markdown"]

    /// Imports article files and folders (recursively: `.txt`, `.md` and `.markdown` files, hidden
    /// ones skipped).
    ///
    /// A new file creates an article; a changed one writes an update with only what the file
    /// changed (see `FileBaseline`: since the folder's last import or export, else values the
    /// journal never held), so an untouched or older file never undoes a newer change. A file is
    /// matched to its article by its path in the archive, else by the id of its url; a known
    /// article at a new path is a move. A file that is not a regular file (symbolic links inside a folder are not followed),
    /// that is over 4 MiB (checked before it is read), that does not parse, that repeats an
    /// article another file of the archive already holds, or that would change a deleted article
    /// is refused with the reason, and nothing is written for it.
    /// Files are committed `chunkSize` (or 64 MiB) at a time. Throws (before writing anything) when an
    /// argument does not exist.
    public func importFiles(
        _ arguments: [String], chunkSize: Int = 500, progress: (ImportProgress) -> Void = { _ in }
    ) throws -> ImportReport {
        // Folders are walked twice (once to count, for progress), never held whole in memory.
        let roots = try Self.roots(arguments)
        var counter = SourceWalker(roots)
        var total = 0
        while counter.next() != nil { total += 1 }
        var walker = SourceWalker(roots)
        var report = ImportReport()
        // Articles written by this import, to refuse a second file describing one of them.
        var claimed = Set<UInt64>()
        // The real path of each archive folder, the key of its file baselines.
        var folderKeys: [String: String] = [:]
        var done = 0
        while true {
            // A chunk holds at most `chunkSize` files and `maxChunkBytes` of them in memory.
            var parsed: [(source: ImportSource, file: ArticleFile?, error: String?, size: Int)] = []
            var chunkBytes = 0
            while parsed.count < chunkSize, chunkBytes < Self.maxChunkBytes, var source = walker.next() {
                let key = folderKeys[source.root] ?? FileBaseline.folderKey(source.root)
                folderKeys[source.root] = key
                source.folder = key
                let item = Self.parse(source)
                chunkBytes += item.size
                parsed.append(item)
            }
            if parsed.isEmpty { break }
            let items = parsed
            let claimedBefore = claimed
            let chunkResult = try write { writer, db in
                var chunkReport = ImportReport()
                var chunkClaims = Set<UInt64>()
                for item in items {
                    chunkReport.files += 1
                    chunkReport.bytes += item.size
                    guard let file = item.file else {
                        chunkReport.refused.append((item.source.absolutePath, item.error ?? "unreadable"))
                        continue
                    }
                    try Self.importOne(
                        file, from: item.source, claimed: claimedBefore, chunkClaims: &chunkClaims,
                        report: &chunkReport,
                        writer: &writer, projector: projector, db)
                }
                return (chunkReport, chunkClaims)
            }
            report.add(chunkResult.0)
            claimed.formUnion(chunkResult.1)
            done += items.count
            progress(ImportProgress(filesDone: done, filesTotal: max(total, done), bytesDone: report.bytes))
        }
        return report
    }

    private static func importOne(
        _ file: ArticleFile, from source: ImportSource, claimed: Set<UInt64>,
        chunkClaims: inout Set<UInt64>, report: inout ImportReport, writer: inout EventWriter,
        projector: ArticleProjector, _ db: Database
    ) throws {
        let name = source.absolutePath
        let folder = source.folder
        var path = source.relativePath
        do { try FieldRules.validatePath(path) } catch let error as ArchiveModelError {
            report.refused.append((name, error.message))
            return
        }
        var target: ArticleID
        var state: ArticleState?
        if let byPath = try projector.article(atPath: path, db) {
            target = byPath
            state = try projector.load(byPath, db)?.state
        } else {
            target = file.articleID
            state = try projector.load(target, db)?.state
            // One file given by name, of an article known at a path ending with that name: the
            // same file, read from its folder, not a move.
            if source.single, let known = state?.text(.path),
                known.utf8.split(separator: UInt8(ascii: "/")).last?.elementsEqual(path.utf8) == true
            {
                path = known
            }
            if let state, !state.text(.path).isEmpty, !state.text(.path).utf8.elementsEqual(path.utf8),
                FileManager.default.fileExists(atPath: source.root + "/" + state.text(.path))
            {
                report.refused.append(
                    (
                        name,
                        "it has the same url as \(state.text(.path)), which is still in the archive (article \(target));"
                            + " remove one of the two files"
                    ))
                return
            }
        }
        // Ids as 64-bit numbers: the set of articles an import touched stays small in memory.
        let claim = UInt64(target.hex, radix: 16) ?? 0
        if claimed.contains(claim) || chunkClaims.contains(claim) {
            let other = state.map { source.root + "/" + $0.text(.path) } ?? "another file"
            report.refused.append((name, "it describes the same article (\(target)) as \(other), imported just before"))
            return
        }
        chunkClaims.insert(claim)

        let fileValues = file.fieldValues + [(.path, .text(path))]
        guard let state else {
            var changes: [Change] = [
                .set(.url, .text(file.url)), .set(.title, .text(file.title)), .set(.body, .text(file.body)),
                .set(.capturedAt, .integer(file.capturedAt)), .set(.path, .text(path)),
            ]
            if !file.frontMatter.isEmpty { changes.append(.set(.frontMatter, .text(file.frontMatter))) }
            _ = try writer.write(.create, article: target, changes: changes, db)
            try FileBaseline.save(fileValues, folder: folder, article: target, db)
            report.created += 1
            return
        }
        // Only what the file itself changed (see `FileBaseline`): a file holding a version the
        // replica has moved on from never undoes a newer change.
        let differing = fileValues.filter { !sameBytes(state.value(of: $0.0), $0.1) }
        let baseline = try FileBaseline.load(
            folder: folder, article: target, journal: EventJournal(), needsJournal: !differing.isEmpty, db)
        let changes = differing.filter { !baseline.isSettled($0.0, $0.1) }.map { Change.set($0.0, $0.1) }
        if changes.isEmpty {
            if !baseline.records(fileValues) { try FileBaseline.save(fileValues, folder: folder, article: target, db) }
            report.unchanged += 1
            return
        }
        if state.isDeleted {
            report.refused.append(
                (
                    name,
                    "article \(target) is deleted; restore it first with `archive-sync restore \(target)`, then import again"
                ))
            return
        }
        _ = try writer.write(.update, article: target, changes: changes, db)
        try FileBaseline.save(fileValues, folder: folder, article: target, db)
        report.updated += 1
        if changes.contains(where: { $0.field == .path }) { report.moved += 1 }
    }

    /// Equal values, texts compared byte for byte (Swift's `==` on strings takes canonically
    /// equivalent ones for equal, and a file's bytes are what count).
    private static func sameBytes(_ lhs: FieldValue, _ rhs: FieldValue) -> Bool {
        if case .text(let left) = lhs, case .text(let right) = rhs { return left.utf8.elementsEqual(right.utf8) }
        return lhs == rhs
    }

    /// The folders and files to import, checked to exist (throws before anything is written).
    static func roots(_ arguments: [String]) throws -> [(path: String, isFolder: Bool)] {
        try arguments.map { argument in
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: argument, isDirectory: &isDirectory) else {
                throw ReplicaError(.fileSystem, "there is no file or folder \(argument); nothing was imported")
            }
            if isDirectory.boolValue, (try? FileManager.default.contentsOfDirectory(atPath: argument)) == nil {
                throw ReplicaError(.fileSystem, "the folder \(argument) cannot be read; nothing was imported")
            }
            let trimmed = argument.count > 1 && argument.hasSuffix("/") ? String(argument.dropLast()) : argument
            return (trimmed, isDirectory.boolValue)
        }
    }

    /// Reads and parses one file, checking its type and size before reading it.
    private static func parse(
        _ source: ImportSource
    ) -> (
        source: ImportSource, file: ArticleFile?, error: String?, size: Int
    ) {
        if let refusal = source.refusal { return (source, nil, refusal, 0) }
        let limit = Event.maxValueBytes
        switch RegularFile.read(source.absolutePath, followingLinks: source.single, limit: limit) {
        case .refused(let reason):
            return (source, nil, reason, 0)
        case .tooLarge(let size):
            return (source, nil, "the file holds \(size) bytes, more than 4 MiB, the most one article may hold", 0)
        case .bytes(let bytes):
            do {
                return (source, try ArticleFile.parse(bytes, name: source.absolutePath), nil, bytes.count)
            } catch let error as ArchiveModelError {
                return (source, nil, error.message, bytes.count)
            } catch {
                return (source, nil, describe(error), bytes.count)
            }
        }
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? ReplicaError { return error.message }
        return (error as NSError).localizedDescription
    }
}
