import ArchiveModel
import SyncBookkeeping
import SyncClient
import WireProtocol

/// The peers part of `status`: every named peer and every URL synced with, one line each.
extension StatusCommand {
    /// One peer as `status` shows it: its record of the last sync (nil when it was never synced
    /// with) and, for a named peer, its entry.
    struct PeerLine {
        var name: String
        var peer: PeerRecord?
        var sync: SyncRecord?

        /// The server origin: the one the last contact proved, else the one the peer is pinned to.
        var origin: OriginID? {
            (sync?.contact?.serverOrigin ?? peer?.origin).flatMap(OriginID.init(hex:))
        }
    }

    /// Named peers and the peers (or URLs) of the sync records, by name.
    static func peerLines(peers: [PeerRecord], syncs: [SyncRecord]) -> [PeerLine] {
        var lines: [String: PeerLine] = [:]
        for peer in peers { lines[peer.name] = PeerLine(name: peer.name, peer: peer) }
        for sync in syncs { lines[sync.peer, default: PeerLine(name: sync.peer)].sync = sync }
        return lines.values.sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
    }

    /// `pending: this replica lacks 3, hub lacks 0`, or `in step`, or what is wrong.
    static func standing(_ contact: SyncContact?, peer: String) -> String {
        guard let contact else { return "pending unknown (no sync has heard from the peer yet)" }
        switch contact.standing {
        case .inStep:
            return "in step (0/0: same events, same digest)"
        case .pending(let localLacks, let peerLacks):
            return "pending: this replica lacked \(localLacks), \(peer) lacked \(peerLacks)"
        case .digestsDiffer:
            return "DIGESTS DIFFER though both held the same events: a fork or a bug"
        }
    }

    static func text(_ line: PeerLine) -> String {
        let origin = line.origin.map { " [\(Fingerprint.of($0))]" } ?? ""
        guard let sync = line.sync else {
            return "  \(line.name)\(origin)  never synced  (\(line.peer?.url ?? ""))"
        }
        let ok = sync.result == "ok"
        var text =
            "  \(line.name)\(origin)  \(Formatting.shortDate(sync.finishedAt))  \(ok ? "ok" : "FAILED")  "
            + "sent \(Formatting.count(sync.sentEvents, "event")) (\(Formatting.bytes(sync.sentBytes))), "
            + "received \(sync.receivedEvents) (\(Formatting.bytes(sync.receivedBytes)))  "
            + standing(sync.contact, peer: line.name)
        if let contact = sync.contact, contact.at != sync.finishedAt {
            text += " as of \(Formatting.shortDate(contact.at))"
        }
        if let skew = sync.clockSkew { text += "  its clock \(ClockSkew(milliseconds: skew))" }
        if !ok { text += "  " + sync.result.replacingNewlines() }
        return text
    }

    static func json(_ line: PeerLine) -> JSONValue {
        let sync = line.sync
        let contact = sync?.contact
        let standing: String
        switch contact?.standing {
        case .inStep: standing = "in-step"
        case .pending: standing = "pending"
        case .digestsDiffer: standing = "digests-differ"
        case nil: standing = "unknown"
        }
        func integer(_ value: Int?) -> JSONValue { value.map { .integer(Int64($0)) } ?? .null }
        func text(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }
        func time(_ value: Int64?) -> JSONValue { text(value.map(ISODate.format)) }
        let origin: JSONValue = text(line.origin?.hex)
        let fingerprint: JSONValue = text(line.origin.map(Fingerprint.of))
        let ok: JSONValue = sync.map { .bool($0.result == "ok") } ?? .null
        let localKnowledge: JSONValue = contact?.localKnowledge.json ?? .null
        let serverKnowledge: JSONValue = contact?.serverKnowledge.json ?? .null
        let skew: JSONValue = sync?.clockSkew.map { .integer($0) } ?? .null
        let ahead: JSONValue = sync.map { .integer($0.eventsAhead) } ?? .null
        var pairs: [(key: String, value: JSONValue)] = [
            ("peer", .string(line.name)), ("url", text(line.peer?.url)), ("server_origin", origin),
            ("server_fingerprint", fingerprint),
        ]
        pairs += [
            ("started_at", time(sync?.startedAt)), ("finished_at", time(sync?.finishedAt)), ("ok", ok),
            ("result", text(sync?.result)),
        ]
        pairs += [
            ("sent_events", integer(sync?.sentEvents)), ("sent_bytes", integer(sync?.sentBytes)),
            ("received_events", integer(sync?.receivedEvents)), ("received_bytes", integer(sync?.receivedBytes)),
        ]
        pairs += [
            ("standing", .string(standing)), ("local_lacks", integer(contact?.localLacks)),
            ("peer_lacks", integer(contact?.peerLacks)), ("contact_at", time(contact?.at)),
            ("local_knowledge", localKnowledge), ("server_knowledge", serverKnowledge),
            ("local_digest", text(contact?.localDigest)), ("server_digest", text(contact?.serverDigest)),
            ("clock_skew_ms", skew), ("events_ahead_ms", ahead),
        ]
        return .object(pairs)
    }
}
