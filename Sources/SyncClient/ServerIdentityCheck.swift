import ArchiveModel
import Replica
import WireProtocol

/// The checks every pulled page passes before anything of it is used, by a sync and by its dry
/// run alike: the server proves the origin it names (SPEC.md, "Who the server is"), is the one a
/// named peer was pinned to, stays the same within a session, and shows no event of this
/// replica's own origin that this replica's key did not sign.
enum ServerIdentityCheck {
    /// What a sync and its dry run check of this replica before asking anything: it has no
    /// recorded fork of its own origin and is at home. Returns its identity.
    ///
    /// Throws `ownFork` or `configuration`, or what reading the file throws.
    static func replicaMaySync(_ replica: Replica) throws -> Replica.Identity {
        let identity = try replica.identity()
        if let fork = try replica.forkNotice() {
            throw SyncClientError(.ownFork, Replica.forkMessage(fork), event: fork)
        }
        if case .elsewhere(let madeAt, let nowAt) = try replica.location() {
            throw SyncClientError(.configuration, Replica.misplacedMessage(madeAt: madeAt, nowAt: nowAt))
        }
        return identity
    }

    /// Refuses a page whose server does not prove it holds the key of the origin it names (its
    /// signature of the challenge and of the page), that is not the pinned one, or that is not
    /// `provenEarlier`, the one that proved itself earlier in this session. Returns the proven
    /// origin.
    ///
    /// Throws `unprovenServer` or `serverChanged`.
    static func server(
        _ trailer: PullTrailer, body: [UInt8], challenge: [UInt8], pin: (peer: String, origin: OriginID)?,
        provenEarlier: OriginID?
    ) throws -> OriginID {
        guard let node = trailer.node, ServerProof.verify(body: body, challenge: challenge, node: node) else {
            throw SyncClientError(
                .unprovenServer,
                "the server did not prove that it holds the key of the origin it names"
                    + (trailer.node.map { " (\($0.short))" } ?? "")
                    + ": its page does not end with a valid signature of this sync's challenge and of the page. "
                    + "It may be a copy of another replica (a copy serves only once reidentified), an archive-sync "
                    + "too old to sign, or not the server it claims to be; nothing of the page was applied")
        }
        if let pin, node != pin.origin {
            throw SyncClientError(
                .serverChanged,
                "the server of peer \(pin.peer) is now origin \(node.hex) [\(Fingerprint.of(node))], not \(pin.origin.hex) "
                    + "[\(Fingerprint.of(pin.origin))], the one it was pinned to at its first sync; the sync stopped. "
                    + "If the server was replaced or reidentified on purpose, confirm the new one with "
                    + "`archive-sync peer trust \(pin.peer) \(node.hex)`; otherwise do not sync with it")
        }
        if let provenEarlier, provenEarlier != node {
            throw SyncClientError(
                .serverChanged,
                "the server proved to be origin \(provenEarlier.short) and then \(node.short) within one sync; the sync stopped"
            )
        }
        return node
    }

    /// Refuses `events` when one is of this replica's own origin and not signed by its key (`own`;
    /// nothing is checked for a replica without a key): no server can show this replica a "fork"
    /// of its own events without its key.
    ///
    /// Throws `badResponse`.
    static func ownEvents(_ events: [Event], own: (origin: OriginID, key: OriginKey?)?) throws {
        guard let own, let key = own.key else { return }
        for event in events where event.origin == own.origin {
            guard let signature = event.signature, key.isValid(signature, ofEvent: event.hash) else {
                throw SyncClientError(
                    .badResponse,
                    "the server sent event \(event.origin.short):\(event.seq) of this replica's own origin, not signed "
                        + "by this replica's key: it is forged, and nothing of the page was applied or recorded")
            }
        }
    }
}
