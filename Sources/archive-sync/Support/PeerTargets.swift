import ArchiveModel
import Foundation
import Replica
import SyncClient

/// The peers a long-running command keeps in step with: names from the replica's peer table, or
/// URLs. A named peer's token is read from its own token file (`peer add --token-file`) and no
/// other, so one server's token is never shown to another; `--token-file` (or
/// $ARCHIVE_SYNC_TOKEN) is the token of URL targets only.
enum PeerTargets {
    /// `names` resolved; an empty list means every peer in the table when `allWhenEmpty`.
    static func resolve(
        _ names: [String], in replica: Replica, tokenFile: String?, caFile: String? = nil, allWhenEmpty: Bool
    ) throws -> [PeerLink.Target] {
        var wanted = names
        if wanted.isEmpty, allWhenEmpty { wanted = try replica.peers().map(\.name) }
        var seen = Set<String>()
        let targets: [PeerLink.Target] = try wanted.compactMap { target in
            guard seen.insert(target).inserted else { return nil }
            if target.contains("://") {
                return PeerLink.Target(
                    name: target, url: target, token: try SyncCommand.token(from: tokenFile), pin: nil, named: false,
                    caFile: caFile)
            }
            guard let peer = try replica.peer(named: target) else {
                throw CommandError(
                    .invalidInput,
                    "\(target) is neither a URL nor a peer (see `archive-sync peer list`, and `archive-sync peer add`)")
            }
            let token = try peer.tokenFile.map { path in try SyncCommand.token(from: path) } ?? nil
            return PeerLink.Target(
                name: peer.name, url: peer.url, token: token, pin: peer.origin.flatMap(OriginID.init(hex:)),
                named: true, caFile: caFile)
        }
        for target in targets
        where target.token != nil && target.url.hasPrefix("http://")
            && !SyncCommand.isLoopback(target.url)
        {
            Terminal.error(
                "warning: the token for \(target.name) goes to \(target.url) unencrypted; use https (a TLS proxy in front of serve)"
            )
        }
        return targets
    }
}

/// Waits for SIGINT or SIGTERM (the first one; a second one ends the program at once).
final class StopSignal: @unchecked Sendable {
    private let semaphore = DispatchSemaphore(value: 0)
    private var sources: [any DispatchSourceSignal] = []
    private let queue = DispatchQueue(label: "archive-sync.signals")

    init() {
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            var seen = false
            source.setEventHandler { [semaphore] in
                if seen { exit(130) }
                seen = true
                semaphore.signal()
            }
            source.resume()
            sources.append(source)
        }
    }

    /// Blocks until a signal comes.
    func wait() { semaphore.wait() }

    /// Ends `wait` as a signal would (a fatal error elsewhere).
    func trigger() { semaphore.signal() }
}
