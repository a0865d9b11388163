import ArgumentParser
import Replica

struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Make a new, empty replica.",
        discussion: """
            Creates the replica file with a new random origin id. The name is how this replica's \
            changes are shown in every other replica's history, e.g. --name laptop.
            """)

    @OptionGroup var replica: ReplicaOptions
    @Option(help: "A short name people will recognise (1-64 bytes), e.g. laptop or server.")
    var name: String

    func run() throws {
        let created = try Replica.create(at: replica.path, name: name)
        let identity = try created.identity()
        Terminal.line("Created replica \"\(identity.name)\" (origin \(identity.origin.hex)) at \(replica.path).")
    }
}
