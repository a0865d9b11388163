import ArchiveModel
import ArgumentParser
import Replica

struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Make a new, empty replica.",
        discussion: """
            Creates the replica file and its signing key: an Ed25519 key pair whose private half \
            goes to PATH.key beside the file (mode 0600, readable by you only: keep it private, \
            and back it up with the file if you want to write under this identity after a \
            restore). The replica's origin id is derived from the public key, and every event it \
            writes is signed with it. The name is how this replica's changes are shown in every \
            other replica's history, beside the key's fingerprint, e.g. --name laptop.

            Example: archive-sync init --db laptop.db --name laptop
            """)

    @OptionGroup var replica: ReplicaOptions
    @Option(help: "A short name people will recognise (1-64 bytes), e.g. laptop or server.")
    var name: String

    func run() throws {
        let created = try Replica.create(at: replica.path, name: name)
        let identity = try created.identity()
        Terminal.line(
            "Created replica \"\(identity.name)\" [\(Fingerprint.of(identity.origin))] (origin \(identity.origin.hex)) at "
                + "\(replica.path); its signing key is in \(SigningKeyFile.path(forReplicaAt: replica.path)).")
    }
}
