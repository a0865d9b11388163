import ArchiveModel
import ArgumentParser
import Foundation
import Replica
import SyncBookkeeping

struct TokenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Make, list and revoke the bearer tokens `serve` accepts.",
        subcommands: [Create.self, List.self, Revoke.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a token and print its secret (once: only its hash is kept).",
            discussion: """
                Give the secret to the replica that will sync, in a file only it can read: \
                `archive-sync token create laptop --scope write --output laptop.token` writes it to a \
                new file with mode 0600 (readable by its owner only) and prints nothing; then \
                `archive-sync sync http://server:8080 --token-file laptop.token` there. --output \
                refuses a file that exists, unless --force is given (the old file is replaced by a \
                new 0600 one). Without --output the secret goes to standard output, and a file made \
                by the shell (> laptop.token) is readable as the umask allows.
                """)
        @OptionGroup var replica: ReplicaOptions
        @Argument(help: "A name for the token (who uses it).") var name: String
        @Option(help: "read (info and pull) or write (also push).") var scope: TokenScope
        @Option(help: "Write the secret to this new file, readable by its owner only (mode 0600).") var output: String?
        @Flag(help: "With --output, replace a file that already exists.") var force = false

        func validate() throws {
            if force, output == nil { throw ValidationError("--force only applies to --output FILE") }
        }

        func run() throws {
            let target = try replica.open()
            guard let output else {
                let secret = try target.createToken(name: name, scope: scope)
                Terminal.line(secret)
                if Terminal.stdoutIsTerminal {
                    Terminal.error(
                        "This is the only time the secret is shown; store it in a file only its user can read.")
                }
                return
            }
            let file = try SecretFile.create(at: output, replacing: force)
            let secret: String
            do { secret = try target.createToken(name: name, scope: scope) } catch {
                file.discard()
                throw error
            }
            do { try file.write(secret + "\n") } catch let error as CommandError {
                file.discard()
                throw CommandError(
                    error.code,
                    "\(error.message); revoke the token (archive-sync token revoke \(name)) and make a new one",
                    underlying: error)
            }
            Terminal.error("Wrote the secret of token \(name) to \(output) (mode 0600).")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List tokens (names and scopes, never secrets).")
        @OptionGroup var replica: ReplicaOptions
        @OptionGroup var output: OutputOptions

        func run() throws {
            for token in try replica.open().tokens() {
                if output.json {
                    JSONOutput.print(
                        .object([
                            ("name", .string(token.name)), ("scope", .string(token.scope.rawValue)),
                            ("created_at", .string(ISODate.format(token.createdAt))),
                            ("revoked_at", token.revokedAt.map { .string(ISODate.format($0)) } ?? .null),
                        ]))
                } else {
                    let state = token.revokedAt.map { "revoked \(Formatting.shortDate($0))" } ?? "active"
                    Terminal.line(
                        "\(token.name)  \(token.scope.rawValue)  made \(Formatting.shortDate(token.createdAt))  \(state)"
                    )
                }
            }
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a token: the server refuses it from now on.")
        @OptionGroup var replica: ReplicaOptions
        @Argument(help: "The token's name.") var name: String

        func run() throws {
            try replica.open().revokeToken(name: name)
            Terminal.line("Revoked token \(name).")
        }
    }
}

extension TokenScope: ExpressibleByArgument {}

struct PeerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "peer",
        abstract: "Name the replicas you sync with, so that `sync NAME` is enough.",
        subcommands: [Add.self, List.self, Trust.self, Remove.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add (or change) a peer.",
            discussion: """
                The first sync with the peer pins the origin its server proves to hold the key of \
                (its key fingerprint is shown); a later sync that finds another origin at that \
                address stops, exchanging nothing, until you confirm the new one with \
                `archive-sync peer trust NAME ORIGIN`. Adding a peer again clears its pin.

                Example: archive-sync peer add server https://archive.example.org --token-file ~/.archive-sync/server.token
                """
        )
        @OptionGroup var replica: ReplicaOptions
        @Argument(help: "A short name.") var name: String
        @Argument(help: "The peer's URL.") var url: String
        @Option(name: .customLong("token-file"), help: "The file holding the token for this peer (read at each sync).")
        var tokenFile: String?

        func run() throws {
            let absolute = tokenFile.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
            try replica.open().addPeer(name: name, url: url, tokenFile: absolute)
            Terminal.line("Added peer \(name) at \(url).")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List peers.")
        @OptionGroup var replica: ReplicaOptions
        @OptionGroup var output: OutputOptions

        func run() throws {
            for peer in try replica.open().peers() {
                if output.json {
                    JSONOutput.print(
                        .object([
                            ("name", .string(peer.name)), ("url", .string(peer.url)),
                            ("token_file", peer.tokenFile.map(JSONValue.string) ?? .null),
                            ("origin", peer.origin.map(JSONValue.string) ?? .null),
                        ]))
                } else {
                    let pin = peer.origin.flatMap(OriginID.init(hex:)).map { "  pinned to [\(Fingerprint.of($0))]" }
                    Terminal.line(
                        "\(peer.name)  \(peer.url)\(peer.tokenFile.map { "  (token: \($0))" } ?? "")"
                            + (pin ?? "  not pinned yet (the first sync pins it)"))
                }
            }
        }
    }

    struct Trust: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Confirm that a peer's server is now another origin.",
            discussion: """
                When a peer's server was replaced or reidentified, its syncs stop with the origin \
                it now proves; check that origin with the server's operator (`archive-sync status` \
                on the server shows it), then confirm it here. Syncs go on with that origin pinned.

                Example: archive-sync peer trust server 3f9ac21b00000000000000000000000a
                """)
        @OptionGroup var replica: ReplicaOptions
        @Argument(help: "The peer's name.") var name: String
        @Argument(help: "The server's new origin: 32 hex digits, as the sync's error gave it.") var origin: String

        func run() throws {
            guard let origin = OriginID(hex: origin) else {
                throw CommandError(.invalidInput, "an origin is 32 lowercase hex digits, as the sync's error gave it")
            }
            try replica.open().pinPeer(name: name, origin: origin)
            Terminal.line("Peer \(name) is now pinned to origin \(origin.hex) [\(Fingerprint.of(origin))].")
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a peer.")
        @OptionGroup var replica: ReplicaOptions
        @Argument(help: "The peer's name.") var name: String

        func run() throws {
            try replica.open().removePeer(name: name)
            Terminal.line("Removed peer \(name).")
        }
    }
}

struct ReidentifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reidentify",
        abstract: "Give a copied replica its own identity (or accept a moved file).",
        discussion: """
            A replica file copied to make a second replica, or restored from a backup and \
            written to before it synced, writes events under the same origin as another \
            replica: sync detects it and stops. `reidentify` gives this replica a new signing key \
            pair (PATH.key, replacing any key file copied along) and the origin it names; \
            events only it held are written again under the new origin, and the copies that \
            clash are left out (the previous file is kept beside the new one). Afterwards both \
            replicas sync with nothing lost.

            With --moved, the file was only moved: its identity stays and its new place is \
            recorded. Stop `archive-sync serve` on this file first.

            A backup restored in place (see `archive-sync backup`) writes nothing until it has \
            synced with a peer. Without a peer at hand, `reidentify` gives it a new identity, so \
            that the events its replica wrote after the backup stay under the old one and can \
            never clash; with --restored, its identity stays and it writes on at once: only when \
            the backup is surely the latest state of the replica (a write of the old identity \
            that a peer holds would then make a fork, which `reidentify` resolves).

            Examples:
              archive-sync reidentify --name second-laptop
              archive-sync reidentify --moved
              archive-sync reidentify --restored
            """)

    @OptionGroup var replica: ReplicaOptions
    @OptionGroup var output: OutputOptions
    @Flag(help: "The file was moved, not copied: keep the identity.") var moved = false
    @Flag(help: "The file is a restored backup that holds every event of its replica: keep the identity, write on.")
    var restored = false
    @Option(help: "A new name for the replica.") var name: String?

    func validate() throws {
        if name != nil, moved || restored {
            throw ValidationError("--name gives a new identity; --moved and --restored keep it")
        }
    }

    func run() throws {
        if moved || restored {
            let target = try replica.open()
            if moved {
                try target.acceptMove()
                Terminal.line("Recorded \(target.currentLocation) as this replica's place; its identity is unchanged.")
            }
            if restored {
                if case .elsewhere(let madeAt, let nowAt) = try target.location() {
                    throw ReplicaError(.misplaced, Replica.misplacedMessage(madeAt: madeAt, nowAt: nowAt))
                }
                Terminal.line(
                    try target.acceptRestore()
                        ? "This restored backup keeps its identity and writes on."
                        : "This file is not a restored backup waiting for a sync: nothing to do.")
            }
            return
        }
        let report = try Replica.reidentify(at: replica.path, name: name)
        if output.json {
            JSONOutput.print(
                .object([
                    ("old_origin", .string(report.oldOrigin.hex)), ("new_origin", .string(report.newOrigin.hex)),
                    ("reissued", .integer(Int64(report.reissued))),
                    ("dropped_foreign", .integer(Int64(report.droppedForeign))),
                    ("backup", report.backup.map(JSONValue.string) ?? .null),
                ]))
            return
        }
        Terminal.line(
            "This replica is now origin \(report.newOrigin.hex) [\(Fingerprint.of(report.newOrigin))] (was "
                + "\(report.oldOrigin.hex)), with a new signing key in \(SigningKeyFile.path(forReplicaAt: replica.path))."
        )
        if report.reissued > 0 {
            Terminal.line("\(report.reissued) events only it held were written again under the new origin.")
        }
        if report.droppedForeign > 0 {
            Terminal.line(
                "\(report.droppedForeign) events of other replicas that followed the clashing ones were left out; sync brings them back."
            )
        }
        if let backup = report.backup { Terminal.line("The previous file is kept at \(backup).") }
        Terminal.line("Sync now to exchange events with the other replicas.")
    }
}
