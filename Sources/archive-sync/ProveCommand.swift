import ArchiveModel
import ArgumentParser
import Foundation
import Replica

struct ProveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prove",
        abstract: "Write a signed proof of one article's history, checkable without the archive.",
        discussion: """
            A proof (protocol/PROOFS.md) holds every event of the article this replica has, \
            its projected state, and this replica's signed claim that these are all the events \
            it holds. Anyone can check it with python3 protocol/reference/verify_proof.py FILE: \
            it proves who wrote each change (each replica's key signs its events), that no change \
            was altered, dropped or reordered, and that the state follows from them. It does not \
            prove that other replicas hold no further changes, nor anything about real time or \
            about who holds a key; events written before replicas signed are only history.

            An article captured into several files is proven by the capture `show` shows (its \
            newest live one); --capture proves another.

            Example: archive-sync prove 3f2a --output 3f2a.proof.json
            """)

    @OptionGroup var replica: ReplicaOptions
    @Argument(help: ArgumentHelp(Target.idHelp)) var id: String
    @Option(help: ArgumentHelp(Target.captureHelp, valueName: "N|ID|PATH")) var capture: String?
    @Option(help: ArgumentHelp("Write the proof to this new file instead of standard output.", valueName: "file"))
    var output: String?
    @Flag(help: "With --output, replace a file that already exists.") var force = false

    func validate() throws {
        if force, output == nil { throw ValidationError("--force only applies to --output FILE") }
    }

    func run() throws {
        if let output, !force, FileManager.default.fileExists(atPath: output) {
            throw CommandError(.fileSystem, "\(output) already exists; choose a new file or add --force to replace it")
        }
        let target = try replica.open()
        let chosen = try target.resolve(id, capture: capture)
        let detail = try target.article(chosen.id, capture: chosen == .capture(chosen.id))
        let record = detail.state.id
        let bytes = try target.proof(of: record)
        if chosen == .article(chosen.id), detail.captures.count > 1 {
            let number = (detail.captures.firstIndex { $0.id == record } ?? 0) + 1
            Terminal.error(
                "Article \(detail.article.hex) has \(detail.captures.count) captures; this proves capture \(record.hex) "
                    + "(\(number) of \(detail.captures.count), the one `show` shows). Prove another with "
                    + "`archive-sync prove \(detail.article.hex) --capture N` (1 is the oldest).")
        }
        guard let output else {
            let text = String(decoding: bytes, as: UTF8.self)
            if Terminal.stdoutIsTerminal { Terminal.text(text) } else { Terminal.writeVerbatim(text) }
            return
        }
        do {
            try Data(bytes).write(
                to: URL(fileURLWithPath: output), options: force ? [.atomic] : [.withoutOverwriting])
        } catch {
            throw CommandError(.fileSystem, "cannot write the proof to \(output)", underlying: error)
        }
        let events = (try? JSONParser.parse(bytes))?["events"]?.arrayValue?.count ?? 0
        let identity = try target.identity()
        Terminal.line(
            "Wrote a proof of capture \(record.hex) (\(events) event\(events == 1 ? "" : "s")) to \(output), signed by "
                + Fingerprint.label(name: identity.name, origin: identity.origin, signed: true) + ".")
    }
}
