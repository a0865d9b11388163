import ArchiveModel
import ArticleGenerator
import Foundation
import Replica
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// What an import meets in a folder besides article files: huge files, named pipes, symbolic
/// links (to files, to folders, in loops). Each is refused with a reason, quickly, and the rest
/// is imported.
struct ImportSourceTests {
    let work: TemporaryDirectory
    let replica: Replica

    init() throws {
        work = try TemporaryDirectory("import-sources")
        replica = try Replica.create(at: work.file("replica.db"), name: "laptop")
        let generator = ArticleGenerator(seed: 5)
        for index in 0..<3 { try work.write("archive/a\(index).txt", generator.article(index).file.render()) }
    }

    /// A file of `size` bytes that takes no disk space: `ftruncate` makes it sparse.
    func sparseFile(_ name: String, size: Int64) throws -> String {
        let path = try work.write(name, "")
        let descriptor = open(path, O_WRONLY)
        defer { close(descriptor) }
        #expect(descriptor >= 0 && ftruncate(descriptor, off_t(size)) == 0)
        return path
    }

    @Test func aThreeGigabyteFileIsRefusedBySizeWithoutBeingRead() throws {
        let huge = try sparseFile("archive/huge.txt", size: 3 << 30)
        let report = try replica.importFiles([work.file("archive")])
        #expect(report.created == 3)
        #expect(report.refused.map(\.file) == [huge])
        #expect(report.refused.first?.reason.contains("4 MiB") == true)
        // Refused files count no bytes: none were read.
        #expect(report.bytes < 1 << 20)

        let byName = try replica.importFiles([huge])
        #expect(byName.refused.first?.reason.contains("4 MiB") == true)
    }

    @Test func aFileJustOverTheLimitIsRefusedAndOneAtTheLimitIsRead() throws {
        let over = try sparseFile("archive/over.txt", size: Int64(Event.maxValueBytes) + 1)
        _ = try sparseFile("archive/at.txt", size: Int64(Event.maxValueBytes))
        let report = try replica.importFiles([work.file("archive")])
        let reasons = Dictionary(uniqueKeysWithValues: report.refused.map { ($0.file, $0.reason) })
        #expect(reasons[over]?.contains("4 MiB") == true)
        // Read whole, then refused by the format (zero bytes are not an article), not by size.
        #expect(reasons[work.file("archive/at.txt")]?.contains("4 MiB") == false)
    }

    @Test func aNamedPipeIsRefusedWithoutWaitingForAWriter() throws {
        let pipe = work.file("archive/pipe.txt")
        #expect(mkfifo(pipe, 0o644) == 0)
        let status = try replica.status()
        let report = try replica.importFiles([work.file("archive")])
        #expect(report.created == 3)
        #expect(report.refused.map(\.file) == [pipe])
        #expect(report.refused.first?.reason.contains("named pipe") == true)

        let byName = try replica.importFiles([pipe])
        #expect(byName.refused.first?.reason.contains("named pipe") == true)
        #expect(try replica.status().events == status.events + 3)
    }

    @Test func symbolicLinksInsideAFolderAreNotFollowedSoALoopEnds() throws {
        let fileManager = FileManager.default
        try fileManager.createSymbolicLink(atPath: work.file("archive/loop"), withDestinationPath: ".")
        try work.write("archive/sub/b.txt", ArticleGenerator(seed: 5).article(7).file.render())
        try fileManager.createSymbolicLink(atPath: work.file("archive/sub/up"), withDestinationPath: "..")
        try work.write("outside/secret.txt", ArticleGenerator(seed: 5).article(9).file.render())
        try fileManager.createSymbolicLink(
            atPath: work.file("archive/linked.txt"), withDestinationPath: work.file("outside/secret.txt"))
        try fileManager.createSymbolicLink(atPath: work.file("archive/dangling.txt"), withDestinationPath: "nowhere")

        let report = try replica.importFiles([work.file("archive")])

        #expect(report.created == 4)
        let refused = Dictionary(uniqueKeysWithValues: report.refused.map { ($0.file, $0.reason) })
        #expect(
            Set(refused.keys)
                == Set(["archive/loop", "archive/sub/up", "archive/linked.txt", "archive/dangling.txt"].map(work.file)))
        #expect(refused.values.allSatisfy { $0.contains("symbolic link") })
        let secret = ArticleGenerator(seed: 5).article(9).file.articleID
        #expect(throws: ReplicaError.self) { _ = try replica.article(secret) }

        // Given by name, a link is the person's choice and is followed.
        let byName = try replica.importFiles([work.file("archive/linked.txt")])
        #expect(byName.created == 1)
    }

    @Test func largeFilesAreCommittedInChunksOfBoundedSizeAndStillSeeEachOther() throws {
        // 18 files of almost 4 MiB: more than one chunk's 64 MiB.
        let body = String(repeating: "<p>long</p>\n", count: 330_000)
        for index in 0..<17 {
            try work.write(
                "big/b\(String(format: "%02d", index)).txt",
                "<!--1-->\n[Big \(index)](https://e.org/big/\(index))\n------\n\n" + body)
        }
        try work.write("big/b99.txt", "<!--1-->\n[Again](https://e.org/big/0)\n------\n\n" + body)
        let report = try replica.importFiles([work.file("big")])
        // b99 comes in a later chunk than b00 and is seen to be a second capture of its article.
        #expect(report.created == 17 && report.refused.isEmpty)
        #expect(report.recaptured == 1 && report.identicalCopies == 0)
        let captures = try replica.read { db in
            try replica.projector.captures(of: ArticleID(url: "https://e.org/big/0"), db)
        }
        #expect(captures.map(\.path).sorted() == ["b00.txt", "b99.txt"])
    }
}
