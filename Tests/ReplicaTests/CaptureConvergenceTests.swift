import ArchiveModel
import ArticleGenerator
import ArticleProjector
import EventJournal
import Foundation
import GRDB
import Replica
import TestSupport
import Testing

/// Two replicas that capture overlapping folders offline, then exchange their events both ways,
/// end with the same captures, the same files and the same list.
struct CaptureConvergenceTests {
    let work: TemporaryDirectory
    let laptop: Replica
    let server: Replica
    let generator = ArticleGenerator(seed: 3)

    init() throws {
        work = try TemporaryDirectory("capture-convergence")
        laptop = try Replica.create(at: work.file("laptop.db"), name: "laptop")
        let clock = SteppingClock(start: Replica.systemClock(), step: 5)
        server = try Replica.create(at: work.file("server.db"), name: "server", wallClock: { clock.read() })
    }

    /// Brings `target` up to date with `source`; returns how many events it appended.
    @discardableResult
    func sync(_ source: Replica, into target: Replica) throws -> Int {
        var appended = 0
        while true {
            let missing = try source.events(missingFrom: target.knowledge(), limit: 100)
            if missing.isEmpty { return appended }
            appended += try target.apply(missing).appended
        }
    }

    /// Syncs laptop → server then server → laptop; returns how many events both appended.
    @discardableResult
    func syncBothWays() throws -> Int {
        try sync(laptop, into: server) + sync(server, into: laptop)
    }

    /// Writes `files` (path → content) into the folder `name` of the test's folder.
    func write(_ files: [(String, ArticleFile)], into name: String) throws -> String {
        for (path, file) in files { try work.write("\(name)/\(path)", file.render()) }
        return work.file(name)
    }

    /// One `list` line as text, every field of it, for comparing two replicas.
    static func lines(of replica: Replica) throws -> [String] {
        try replica.read { db in
            try replica.projector.list(includeDeleted: true, tag: nil, limit: nil, db).map {
                [
                    $0.id.hex, $0.capture.hex, "\($0.captures)", $0.title, $0.url, $0.path, "\($0.capturedAt)",
                    "\($0.deleted)", $0.tags.joined(separator: ","),
                    $0.conflicts.map(\.rawValue).joined(separator: ","),
                    "\($0.lastHLC)",
                ].joined(separator: " | ")
            }
        }
    }

    /// Syncs both ways and expects the two replicas to agree on everything: digest, list and
    /// exported files; then that syncing again, or applying everything again, appends nothing.
    /// Returns the files both exported.
    func expectConvergence(sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: [UInt8]] {
        try syncBothWays()
        #expect(try syncBothWays() == 0, "a second sync appended events", sourceLocation: sourceLocation)
        let laptopStatus = try laptop.status()
        let serverStatus = try server.status()
        #expect(laptopStatus.digest == serverStatus.digest, sourceLocation: sourceLocation)
        #expect(laptopStatus.events == serverStatus.events, sourceLocation: sourceLocation)
        #expect(laptopStatus.counts == serverStatus.counts, sourceLocation: sourceLocation)
        #expect(try Self.lines(of: laptop) == Self.lines(of: server), sourceLocation: sourceLocation)
        let everything = try laptop.events(missingFrom: VectorClock(), limit: 100_000, maxBytes: 1 << 30)
        #expect(everything.count == laptopStatus.events, sourceLocation: sourceLocation)
        #expect(
            try server.apply(everything) == ApplyReport(appended: 0, alreadyHeld: everything.count),
            sourceLocation: sourceLocation)
        #expect(try server.status().digest == serverStatus.digest, sourceLocation: sourceLocation)

        let laptopOut = work.url.appendingPathComponent("laptop-export")
        let serverOut = work.url.appendingPathComponent("server-export")
        let laptopExport = try laptop.export(to: laptopOut.path)
        let serverExport = try server.export(to: serverOut.path)
        #expect(
            laptopExport.skipped.isEmpty && serverExport.skipped.isEmpty,
            "skipped: \((laptopExport.skipped + serverExport.skipped).map(\.message))", sourceLocation: sourceLocation)
        #expect(laptopExport.written == laptopStatus.counts.captures, sourceLocation: sourceLocation)
        let exported = try CaptureCorpus.contents(of: laptopOut)
        try CaptureCorpus.expectFolder(serverOut, holds: exported, sourceLocation: sourceLocation)
        return exported
    }

    func captures(of article: ArticleID, _ replica: Replica) throws -> [CaptureSummary] {
        try replica.read { db in try replica.projector.captures(of: article, db) }
    }

    @Test func theSameFileAtTheSamePathOnBothIsOneCapture() throws {
        let (path, file) = generator.article(0)
        let laptopReport = try laptop.importFiles([try write([(path, file)], into: "laptop")])
        let serverReport = try server.importFiles([try write([(path, file)], into: "server")])
        #expect(laptopReport.created == 1 && serverReport.created == 1)

        let exported = try expectConvergence()
        #expect(exported == [path: file.render()])
        for replica in [laptop, server] {
            let status = try replica.status()
            #expect(status.events == 2)
            #expect(status.counts.articles == 1 && status.counts.captures == 1)
            #expect(try replica.conflicts().isEmpty)
            #expect(try captures(of: file.articleID, replica).map(\.id) == [ArticleID(captureOf: file.url, at: path)])
        }
    }

    @Test func differentContentAtTheSamePathIsAVisibleConflictThatLosesNothing() throws {
        let (path, file) = generator.article(0)
        var onLaptop = file
        onLaptop.title = "Laptop title"
        var onServer = file
        onServer.title = "Server title"
        _ = try laptop.importFiles([try write([(path, onLaptop)], into: "laptop")])
        _ = try server.importFiles([try write([(path, onServer)], into: "server")])

        let exported = try expectConvergence()
        #expect(exported.count == 1)
        let written = try #require(exported[path])
        #expect(written == onLaptop.render() || written == onServer.render())
        let capture = ArticleID(captureOf: file.url, at: path)
        for replica in [laptop, server] {
            let conflicts = try replica.read { db in try replica.projector.conflicts(of: nil, db) }
            #expect(conflicts.map(\.article) == [capture])
            #expect(conflicts.map(\.field) == [.title])
            let detail = try replica.conflicts(of: file.articleID)
            #expect(detail.count == 1)
            #expect(Set(detail.first?.heads.compactMap(\.value.text) ?? []) == ["Laptop title", "Server title"])
            #expect(try replica.status().counts.captures == 1)
        }
    }

    @Test func theLaptopThatSawOnlyTheNewerCaptureGetsTheOlderOneToo() throws {
        let (pathA, first) = generator.article(0)
        var second = generator.revision(of: first, round: 1)
        second.capturedAt += 3_600_000
        let pathB = pathA.replacingOccurrences(of: ".txt", with: "-v2.txt")
        let laptopFolder = try write([(pathB, second)], into: "laptop")
        let laptopReport = try laptop.importFiles([laptopFolder])
        let serverReport = try server.importFiles([try write([(pathA, first), (pathB, second)], into: "server")])
        #expect(laptopReport.created == 1 && laptopReport.recaptured == 0)
        #expect(serverReport.created == 1 && serverReport.recaptured == 1 && serverReport.identicalCopies == 0)

        let exported = try expectConvergence()
        #expect(exported == [pathA: first.render(), pathB: second.render()])
        for replica in [laptop, server] {
            #expect(try replica.conflicts().isEmpty)
            #expect(try captures(of: first.articleID, replica).map(\.path) == [pathA, pathB])
            let status = try replica.status()
            #expect(status.counts.articles == 1 && status.counts.captures == 2)
            #expect(status.events == 3)
        }
        // The laptop's own folder, imported again, still says nothing new.
        let events = try laptop.status().events
        let again = try laptop.importFiles([laptopFolder])
        #expect(again.unchanged == 1 && again.created == 0 && again.recaptured == 0 && again.updated == 0)
        #expect(try laptop.status().events == events)
    }

    @Test func overlappingGeneratedFoldersConverge() throws {
        // Articles 0–19 on the laptop, 10–29 on the server; 5–24 also have a second capture on
        // one side or both.
        var laptopFiles: [(String, ArticleFile)] = []
        var serverFiles: [(String, ArticleFile)] = []
        var union: [String: [UInt8]] = [:]
        for index in 0..<30 {
            let (path, file) = generator.article(index)
            var revised = generator.revision(of: file, round: 1)
            revised.capturedAt += 600_000
            let second = path.replacingOccurrences(of: ".txt", with: "-update.txt")
            if index < 20 { laptopFiles.append((path, file)) }
            if index >= 10 { serverFiles.append((path, file)) }
            union[path] = file.render()
            if (5..<25).contains(index) {
                if index % 2 == 0 { laptopFiles.append((second, revised)) }
                if index % 3 == 0 { serverFiles.append((second, revised)) }
                if index % 2 == 0 || index % 3 == 0 { union[second] = revised.render() }
            }
        }
        _ = try laptop.importFiles([try write(laptopFiles, into: "laptop")])
        _ = try server.importFiles([try write(serverFiles, into: "server")])
        let exported = try expectConvergence()
        #expect(exported == union)
        #expect(try laptop.conflicts().isEmpty)
        #expect(try laptop.status().counts.articles == 30)
        #expect(try laptop.status().counts.captures == union.count)
    }

    @Test(.enabled(if: TestPaths.corpusTestsRun, "needs the shared corpus (ARCHIVE_SYNC_CORPUS or ../shared/corpus)"))
    func corpusRevisionsSplitBetweenTwoReplicasConverge() throws {
        // A third of the files on the laptop only, a third on the server only, a third on both.
        let files = try CaptureCorpus().files
        let onLaptop = files.enumerated().filter { $0.offset % 3 != 2 }.map(\.element)
        let onServer = files.enumerated().filter { $0.offset % 3 != 0 }.map(\.element)
        try CaptureCorpus.write(onLaptop, into: work.url.appendingPathComponent("laptop"))
        try CaptureCorpus.write(onServer, into: work.url.appendingPathComponent("server"))
        let laptopReport = try laptop.importFiles([work.file("laptop")])
        let serverReport = try server.importFiles([work.file("server")])
        #expect(laptopReport.refused.isEmpty && serverReport.refused.isEmpty)
        #expect(laptopReport.created + laptopReport.recaptured == onLaptop.count)
        #expect(serverReport.created + serverReport.recaptured == onServer.count)

        let exported = try expectConvergence()
        #expect(exported == Dictionary(uniqueKeysWithValues: files.map { ($0.path, $0.bytes) }))
        #expect(try laptop.conflicts().isEmpty)
        let status = try laptop.status()
        #expect(status.counts.captures == files.count)
        #expect(status.counts.articles == Set(files.map(\.parsed.articleID)).count)
        #expect(status.events == onLaptop.count + onServer.count)
        #expect(try laptop.verify().ok && server.verify().ok)
    }
}
