import ArchiveModel
import ArgumentParser
import ArticleGenerator
import Foundation
import Replica

struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Write sample articles in the archive format, to try archive-sync on.",
        discussion: """
            Makes realistic articles (mostly Chinese, some English, with and without front \
            matter, lengths like real news) from a seed: the same seed and index always give \
            the same file, so two folders made with overlapping --from/--count ranges share \
            the articles where they overlap. Files go to DIR/YYYY-MM/news_N.txt.

            Example: archive-sync generate ~/sample --count 1000 --seed 7
            """)

    @Argument(help: "The folder to write into (created if missing).") var directory: String
    @Option(help: "How many articles.") var count: Int
    @Option(help: "Index of the first article.") var from = 0
    @Option(help: "Seed: the same seed gives the same articles.") var seed: UInt64 = 1
    @Option(
        help: "Write revision N of each article instead of the original (a body sentence added, sometimes a new title)."
    )
    var revision: Int?

    func validate() throws {
        if count < 0 || from < 0 { throw ValidationError("--count and --from must not be negative") }
    }

    func run() throws {
        let generator = ArticleGenerator(seed: seed)
        let progress = ProgressLine()
        var bytes = 0
        for index in from..<(from + count) {
            var (path, file) = generator.article(index)
            if let revision, revision > 0 {
                for round in 1...revision { file = generator.revision(of: file, round: round) }
            }
            let rendered = file.render()
            bytes += rendered.count
            let url = URL(fileURLWithPath: directory).appendingPathComponent(path)
            do {
                try FileManager.default.createDirectory(
                    at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try Data(rendered).write(to: url)
            } catch {
                throw CommandError(
                    .fileSystem, "cannot write \(url.path): \(error.localizedDescription)", underlying: error)
            }
            progress.update("generating: \(index - from + 1)/\(count) articles")
        }
        progress.finish()
        Terminal.line("Wrote \(count) articles (\(Formatting.bytes(bytes))) to \(directory).")
    }
}
