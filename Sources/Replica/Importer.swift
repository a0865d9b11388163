import ArchiveFolder
import ArchiveModel
import ArticleProjector
import EventJournal
import Foundation
import GRDB

#if canImport(Glibc)
import Glibc
#endif

/// What `import` did, file by file and in total.
package struct ImportReport: Sendable {
    package var files = 0
    package var bytes = 0
    /// Files that were the first capture of an article not held before.
    package var created = 0
    /// Files that were a new capture of an article already held (another file with its url).
    package var recaptured = 0
    /// Of `recaptured`, the files whose content is the same as one of the article's other
    /// captures (only the path differs): identical copies.
    package var identicalCopies = 0
    package var updated = 0
    /// Updates that changed the article's path (a file moved in the archive).
    package var moved = 0
    package var unchanged = 0
    package var refused: [(file: String, reason: String)] = []
    /// Each file that wrote an event, in order (listed by `importFiles(inFolder:relativePaths:)`
    /// only, for `watch`'s one line per change).
    package var changed: [ImportedFile] = []
    package init() {}

    /// Adds the counts of one chunk of the import.
    mutating func add(_ other: ImportReport) {
        files += other.files
        bytes += other.bytes
        created += other.created
        recaptured += other.recaptured
        identicalCopies += other.identicalCopies
        updated += other.updated
        moved += other.moved
        unchanged += other.unchanged
        refused += other.refused
        changed += other.changed
    }
}

/// One file an import wrote an event for.
package struct ImportedFile: Sendable, Equatable {
    package enum Kind: String, Sendable {
        /// The first capture of an article not held before.
        case created
        /// A new capture of an article already held.
        case recaptured
        case updated
        /// An update that changed the capture's path: its file moved in the archive.
        case moved
    }
    package var kind: Kind
    /// The capture written to.
    package var article: ArticleID
    /// Its path inside the archive folder.
    package var path: String
    package var title: String
}

/// Progress of a running import, for the terminal.
package struct ImportProgress: Sendable {
    package var filesDone: Int
    package var filesTotal: Int
    package var bytesDone: Int
}

extension Replica {
    /// The most bytes of files an import holds in memory at once, between commits.
    static let maxChunkBytes = 64 << 20

    /// Imports article files and folders (recursively: `.txt`, `.md` and `.markdown` files, hidden
    /// ones skipped).
    ///
    /// Each file is one capture of the article its url names (see `protocol/CAPTURES.md`). A file
    /// is matched to the capture at its path in the archive; else, when a capture of its article
    /// has left the folder (its file is gone), the file is that capture moved (the one with the
    /// same content, else the newest); else it is a new capture, of a new article or of one
    /// already held. A new capture is created; a changed one gets an update with only what the
    /// file changed (see `FileBaseline`: since the folder's last import or export, else values the
    /// journal never held), so an untouched or older file never undoes a newer change. A file that
    /// is not a regular file (symbolic links inside a folder are not followed), that is over 4 MiB
    /// (checked before it is read), that does not parse, or that would change or add to a deleted
    /// article is refused with the reason, and nothing is written for it.
    /// Files are committed `chunkSize` (or 64 MiB) at a time. Throws (before writing anything) when an
    /// argument does not exist.
    package func importFiles(
        _ arguments: [String], chunkSize: Int = 500, progress: (ImportProgress) -> Void = { _ in }
    ) throws -> ImportReport {
        // Folders are walked twice (once to count, for progress), never held whole in memory.
        let roots = try Self.roots(arguments)
        var counter = SourceWalker(roots)
        var total = 0
        while counter.next() != nil { total += 1 }
        var walker = SourceWalker(roots)
        return try importSources(
            { walker.next() }, total: total, listChanges: false, chunkSize: chunkSize, progress: progress)
    }

    /// Imports the files at `relativePaths` inside the archive folder `folder`, as importing the
    /// folder would import them (the same rules, paths and baselines), and lists each file that
    /// wrote an event in `changed`: what `watch` does with the files it saw change. A path that
    /// is absolute, climbs out of the folder (`..`), is hidden or lacks an article file's
    /// extension is skipped; one that no longer exists, or is empty (being created), is skipped
    /// too.
    ///
    /// Throws when the folder does not exist, or what writing throws.
    package func importFiles(inFolder folder: String, relativePaths: [String]) throws -> ImportReport {
        _ = try Self.roots([folder])
        let trimmed = folder.count > 1 && folder.hasSuffix("/") ? String(folder.dropLast()) : folder
        var sources = relativePaths.filter { path in
            let parts = path.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
            return !path.isEmpty && !path.hasPrefix("/") && SourceWalker.hasImportExtension(path)
                && !parts.contains { $0.isEmpty || $0.first == UInt8(ascii: ".") }
                && Self.hasBytes(trimmed + "/" + path)
        }.map { ImportSource(root: trimmed, relativePath: $0) }.makeIterator()
        return try importSources(
            { sources.next() }, total: relativePaths.count, listChanges: true, chunkSize: 500, progress: { _ in })
    }

    /// Whether `path` exists and holds at least one byte (an empty file is one being created:
    /// `watch` takes it once written). Symbolic links are looked at, not followed.
    private static func hasBytes(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 && (info.st_mode & S_IFMT != S_IFREG || info.st_size > 0)
    }

    private func importSources(
        _ nextSource: () -> ImportSource?, total: Int, listChanges: Bool, chunkSize: Int,
        progress: (ImportProgress) -> Void
    ) throws -> ImportReport {
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
            while parsed.count < chunkSize, chunkBytes < Self.maxChunkBytes, var source = nextSource() {
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
                    let change = try Self.importOne(
                        file, from: item.source, claimed: claimedBefore, chunkClaims: &chunkClaims,
                        report: &chunkReport,
                        writer: &writer, projector: projector, db)
                    if listChanges, let change { chunkReport.changed.append(change) }
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
    ) throws -> ImportedFile? {
        let name = source.absolutePath
        let folder = source.folder
        var path = source.relativePath
        do { try FieldRules.validatePath(path) } catch let error as ArchiveModelError {
            report.refused.append((name, error.message))
            return nil
        }
        var target: ArticleID
        var state: ArticleState?
        // For a new capture of an article already held: whether another capture has its content.
        var recaptureIsIdentical: Bool?
        if let byPath = try projector.article(atPath: path, db) {
            target = byPath
            state = try projector.load(byPath, db)?.state
        } else {
            let article = file.articleID
            let captures = try projector.captures(of: article, db)
            let fileBytes = file.render()
            let (bodyBytes, title) = (file.body.utf8.count, file.title)
            func sameContent(_ capture: CaptureSummary) throws -> Bool {
                // Cheap checks first: an article may have many captures, each with a large body.
                guard capture.bodyBytes == bodyBytes, capture.title.utf8.elementsEqual(title.utf8),
                    let stored = try projector.load(capture.id, db)?.state
                else { return false }
                return ArticleFile(stored).render().elementsEqual(fileBytes)
            }
            // One file given by name, of a capture known at a path ending with that name: the
            // same file, read from its folder, not a new capture.
            let named =
                source.single
                ? captures.last(where: {
                    $0.path.utf8.split(separator: UInt8(ascii: "/")).last?.elementsEqual(path.utf8) == true
                }) : nil
            // A live capture this folder held (imported from it or exported to it) whose file has
            // left it: the file moved here. A capture from another folder or from a peer is not.
            let gone =
                source.single
                ? []
                : try captures.filter {
                    try !$0.deleted && !$0.path.isEmpty
                        && FileBaseline.exists(folder: folder, article: $0.id, db)
                        && !FileManager.default.fileExists(atPath: source.root + "/" + $0.path)
                }
            if let named {
                path = named.path
                target = named.id
                state = try projector.load(named.id, db)?.state
            } else if !captures.isEmpty, captures.allSatisfy(\.deleted) {
                report.refused.append(
                    (
                        name,
                        "article \(article) is deleted; restore it first with `archive-sync restore \(article)`, then import again"
                    ))
                return nil
            } else if let moved = try gone.first(where: sameContent) ?? gone.last {
                target = moved.id
                state = try projector.load(moved.id, db)?.state
            } else {
                // A new capture, named by its url and path; a capture that moved away from this
                // path may hold that name already.
                guard let free = try Self.freeCaptureID(url: file.url, path: path, projector: projector, db) else {
                    report.refused.append(
                        (
                            name,
                            "\(ArticleID.maxCaptureAttempts) captures of article \(article) have moved away from this path;"
                                + " give the file another name"
                        ))
                    return nil
                }
                target = free
                state = nil
                if !captures.isEmpty { recaptureIsIdentical = try captures.contains(where: sameContent) }
            }
        }
        // Ids as 64-bit numbers: the set of captures an import touched stays small in memory.
        let claim = UInt64(target.hex, radix: 16) ?? 0
        if claimed.contains(claim) || chunkClaims.contains(claim) {
            let other = state.map { source.root + "/" + $0.text(.path) } ?? "another file"
            report.refused.append((name, "it is the same capture (\(target)) as \(other), imported just before"))
            return nil
        }
        chunkClaims.insert(claim)

        let fileValues = file.fieldValues + [(.path, .text(path))]
        guard let state else {
            var changes: [Change] = [
                .set(.url, .text(file.url)), .set(.title, .text(file.title)), .set(.body, .text(file.body)),
                .set(.capturedAt, .integer(file.capturedAt)),
            ]
            if !file.dateLine.isEmpty { changes.append(.set(.dateLine, .text(file.dateLine))) }
            changes.append(.set(.path, .text(path)))
            if !file.frontMatter.isEmpty { changes.append(.set(.frontMatter, .text(file.frontMatter))) }
            do {
                _ = try writer.write(.create, article: target, changes: changes, db)
            } catch let error as ReplicaError where error.code == .invalidValue {
                // Refused before anything was written: the file is refused, the others go on.
                report.refused.append((name, error.message))
                return nil
            }
            try FileBaseline.save(fileValues, folder: folder, article: target, db)
            if let recaptureIsIdentical {
                report.recaptured += 1
                if recaptureIsIdentical { report.identicalCopies += 1 }
            } else {
                report.created += 1
            }
            return ImportedFile(
                kind: recaptureIsIdentical == nil ? .created : .recaptured, article: target, path: path,
                title: file.title)
        }
        // Only what the file itself changed (see `FileBaseline`): a file holding a version the
        // replica has moved on from never undoes a newer change.
        let differing = fileValues.filter { !sameBytes(state.value(of: $0.0), $0.1) }
        let baseline = try FileBaseline.load(
            folder: folder, article: target, journal: EventJournal(), needsJournal: !differing.isEmpty, db)
        var changes = differing.filter { !baseline.isSettled($0.0, $0.1) }.map { Change.set($0.0, $0.1) }
        // A date line is written with its instant (the rule of `Event.validate`).
        if !file.dateLine.isEmpty, changes.contains(where: { $0.field == .dateLine }),
            !changes.contains(where: { $0.field == .capturedAt })
        {
            changes.append(.set(.capturedAt, .integer(file.capturedAt)))
            changes.sort { ($0.field ?? .deleted) < ($1.field ?? .deleted) }
        }
        if changes.isEmpty {
            if !baseline.records(fileValues) { try FileBaseline.save(fileValues, folder: folder, article: target, db) }
            report.unchanged += 1
            return nil
        }
        if state.isDeleted {
            report.refused.append(
                (
                    name,
                    "capture \(target) of article \(ArticleID(url: state.text(.url))) is deleted; restore it first"
                        + " with `archive-sync restore \(target)`, then import again"
                ))
            return nil
        }
        do {
            _ = try writer.write(.update, article: target, changes: changes, db)
        } catch let error as ReplicaError where error.code == .invalidValue {
            // Refused before anything was written: the file is refused, the others go on.
            report.refused.append((name, error.message))
            return nil
        }
        try FileBaseline.save(fileValues, folder: folder, article: target, db)
        report.updated += 1
        let moved = changes.contains(where: { $0.field == .path })
        if moved { report.moved += 1 }
        return ImportedFile(kind: moved ? .moved : .updated, article: target, path: path, title: file.title)
    }

    /// The id a new capture of `url` at `path` gets: its first free name (see
    /// `ArticleID(captureOf:at:attempt:)`), nil when every attempt is taken.
    static func freeCaptureID(
        url: String, path: String, projector: ArticleProjector, _ db: Database
    ) throws
        -> ArticleID?
    {
        for attempt in 1...ArticleID.maxCaptureAttempts {
            let id = ArticleID(captureOf: url, at: path, attempt: attempt)
            if try projector.load(id, db) == nil { return id }
        }
        return nil
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
