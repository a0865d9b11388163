import ArchiveFolder
import ArchiveModel
import ArticleGenerator
import Foundation
import Replica
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// What `watch` learns of a folder: files as they settle (never half-written), new folders, and
/// the import of just those files.
struct FolderWatcherTests {
    /// Polls until `paths` were all reported, or `tries` polls passed; returns all reported.
    static func collect(_ watcher: FolderWatcher, until paths: Set<String>, tries: Int = 40) -> Set<String> {
        var seen = Set<String>()
        for _ in 0..<tries where !paths.isSubset(of: seen) {
            seen.formUnion(watcher.poll(timeout: 0.25).paths)
        }
        return seen
    }

    @Test func aFileIsReportedOnceClosedAndNeverWhileItsWriterHoldsItOpen() throws {
        let folder = try TemporaryDirectory("watcher-close")
        let watcher = FolderWatcher(root: folder.url.path)
        #expect(!watcher.isScanning, "\(watcher.fallbackReason ?? "")")
        // Created and written by one open descriptor, as a capture pipeline writes a file.
        let descriptor = Glibc.open(folder.file("open.md"), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        #expect(descriptor >= 0)
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        try handle.write(contentsOf: Data("half of an article".utf8))
        try handle.synchronize()
        _ = try folder.write("done.md", "a whole file")
        let first = Self.collect(watcher, until: ["done.md"])
        #expect(first.contains("done.md"))
        #expect(!first.contains("open.md"))
        try handle.write(contentsOf: Data(" and the rest".utf8))
        try handle.close()
        #expect(Self.collect(watcher, until: ["open.md"]).contains("open.md"))
    }

    @Test func aNewFolderIsWatchedAndWhatItAlreadyHeldIsReported() throws {
        let folder = try TemporaryDirectory("watcher-folder")
        let watcher = FolderWatcher(root: folder.url.path)
        // Made aside with its files, then moved in: the files were written before any watch.
        let aside = try TemporaryDirectory("watcher-aside")
        try FileManager.default.createDirectory(atPath: aside.file("world/asia"), withIntermediateDirectories: true)
        _ = try aside.write("world/asia/story.md", "text")
        _ = try aside.write("world/.hidden.md", "text")
        try FileManager.default.moveItem(atPath: aside.file("world"), toPath: folder.file("world"))
        #expect(Self.collect(watcher, until: ["world/asia/story.md"]) == ["world/asia/story.md"])
        // A file written later in the new folder is seen too.
        _ = try folder.write("world/asia/later.txt", "text")
        #expect(Self.collect(watcher, until: ["world/asia/later.txt"]).contains("world/asia/later.txt"))
    }

    @Test func hiddenFilesAndOtherExtensionsAreNotReported() throws {
        let folder = try TemporaryDirectory("watcher-hidden")
        let watcher = FolderWatcher(root: folder.url.path)
        _ = try folder.write(".draft.md", "x")
        _ = try folder.write("notes.pdf", "x")
        _ = try folder.write("seen.markdown", "x")
        #expect(Self.collect(watcher, until: ["seen.markdown"]) == ["seen.markdown"])
    }

    @Test func aFileOpenForWritingIsToldFromAClosedOne() throws {
        let folder = try TemporaryDirectory("watcher-open")
        let path = folder.file("a.md")
        let descriptor = Glibc.open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        #expect(descriptor >= 0)
        #expect(FolderWatcher.isOpenForWriting(path))
        Glibc.close(descriptor)
        #expect(!FolderWatcher.isOpenForWriting(path))
        // Open for reading only is not writing.
        let reader = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        #expect(!FolderWatcher.isOpenForWriting(path))
        Glibc.close(reader)
    }

    @Test func theWatchedFolderRemovedOrMovedAwayIsSaid() throws {
        let parent = try TemporaryDirectory("watcher-gone")
        for removal in ["moved", "removed"] {
            let folder = parent.file(removal)
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let watcher = FolderWatcher(root: folder)
            if removal == "moved" {
                try FileManager.default.moveItem(atPath: folder, toPath: parent.file("elsewhere"))
            } else {
                try FileManager.default.removeItem(atPath: folder)
            }
            var gone = false
            for _ in 0..<40 where !gone { gone = watcher.poll(timeout: 0.25).rootGone }
            #expect(gone, "\(removal)")
        }
    }

    @Test func theScannerReportsAFileOnlyOnceItStayedTheSameForAScan() throws {
        let folder = try TemporaryDirectory("watcher-scan")
        let scanner = ScanWatcher(root: folder.url.path)
        _ = try folder.write("a.md", "first")
        #expect(scanner.scan().paths.isEmpty)  // seen changing
        #expect(scanner.scan().paths == ["a.md"])  // the same for a whole scan
        #expect(scanner.scan().paths.isEmpty)  // nothing new
        _ = try folder.write("a.md", "first, then more")
        #expect(scanner.scan().paths.isEmpty)
        _ = try folder.write("a.md", "first, then more, and more")
        #expect(scanner.scan().paths.isEmpty)  // still changing
        #expect(scanner.scan().paths == ["a.md"])
    }

    @Test func importingChosenPathsListsEachChangeAndSkipsPathsOutsideTheFolder() throws {
        let directory = try TemporaryDirectory("import-paths")
        let replica = try Replica.create(at: directory.file("r.db"), name: "r")
        let folder = directory.file("articles")
        try FileManager.default.createDirectory(atPath: folder + "/sub", withIntermediateDirectories: true)
        let generator = ArticleGenerator(seed: 3)
        let one = generator.article(0).file
        let two = generator.article(1).file
        try Data(one.render()).write(to: URL(fileURLWithPath: folder + "/sub/one.md"))
        try Data(two.render()).write(to: URL(fileURLWithPath: folder + "/two.md"))
        try Data(two.render()).write(to: URL(fileURLWithPath: directory.file("outside.md")))
        let report = try replica.importFiles(
            inFolder: folder,
            relativePaths: ["sub/one.md", "two.md", "../outside.md", "/etc/passwd", ".x/y.md", "gone.md"])
        #expect(report.changed.map(\.path) == ["sub/one.md", "two.md"])
        #expect(report.changed.map(\.kind) == [.created, .created])
        #expect(report.changed.first?.title == one.title)
        #expect(report.files == 2)
        #expect(report.refused.isEmpty)
        // An empty file is one being created: skipped, not refused.
        #expect(FileManager.default.createFile(atPath: folder + "/empty.md", contents: Data()))
        let empty = try replica.importFiles(inFolder: folder, relativePaths: ["empty.md"])
        #expect(empty.files == 0 && empty.refused.isEmpty)
        // Importing again changes nothing; a changed file is an update, listed.
        #expect(try replica.importFiles(inFolder: folder, relativePaths: ["two.md"]).changed.isEmpty)
        var edited = two
        edited.title = "A new title"
        try Data(edited.render()).write(to: URL(fileURLWithPath: folder + "/two.md"))
        let update = try replica.importFiles(inFolder: folder, relativePaths: ["two.md"])
        #expect(update.changed.map(\.kind) == [.updated])
        #expect(update.changed.first?.title == "A new title")
    }
}
