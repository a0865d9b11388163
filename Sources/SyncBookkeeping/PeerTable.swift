import GRDB

/// A named peer to sync with (`peer add NAME URL --token-file F`).
package struct PeerRecord: Sendable, Equatable {
    package var name: String
    package var url: String
    /// Where the token is read from at each sync (the secret is not stored in the replica).
    package var tokenFile: String?
    /// The origin (32 hex) the server proved at the first sync with this peer: a later sync that
    /// finds another stops until the user confirms it. Nil until the first sync.
    package var origin: String?

    package init(name: String, url: String, tokenFile: String?, origin: String? = nil) {
        self.name = name
        self.url = url
        self.tokenFile = tokenFile
        self.origin = origin
    }
}

/// How the last sync with a peer (or a URL) went, for `status`.
package struct SyncRecord: Sendable, Equatable {
    package var peer: String
    package var startedAt: Int64
    package var finishedAt: Int64
    package var sentEvents: Int
    package var sentBytes: Int
    package var receivedEvents: Int
    package var receivedBytes: Int
    /// "ok", or the error that ended it.
    package var result: String
    /// The peer's clock minus this one, in milliseconds, as measured during the sync (nil when
    /// the peer's answers carried no time).
    package var clockSkew: Int64?
    /// How far the latest-dated event received was ahead of this clock, in milliseconds (0 when
    /// none was).
    package var eventsAhead: Int64
    /// Where both sides stood at the end of the last sync that reached the peer (this one, or an
    /// earlier one when this one never heard from it: see `contact.at`); nil when none has, or the
    /// sync was recorded by a version that kept no such record.
    package var contact: SyncContact?

    package init(
        peer: String, startedAt: Int64, finishedAt: Int64, sentEvents: Int, sentBytes: Int, receivedEvents: Int,
        receivedBytes: Int, result: String, clockSkew: Int64? = nil, eventsAhead: Int64 = 0,
        contact: SyncContact? = nil
    ) {
        self.peer = peer
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.sentEvents = sentEvents
        self.sentBytes = sentBytes
        self.receivedEvents = receivedEvents
        self.receivedBytes = receivedBytes
        self.result = result
        self.clockSkew = clockSkew
        self.eventsAhead = eventsAhead
        self.contact = contact
    }
}

/// The `peer` table (named peers) and the `peer_sync` table (the last sync with each peer or
/// URL).
package enum PeerTable {
    /// Adds the peer, or replaces the one of that name (its pin with it).
    package static func save(_ peer: PeerRecord, _ db: Database) throws {
        try db.execute(
            sql: """
                INSERT INTO peer (name, url, token_file, origin) VALUES (?, ?, ?, ?)
                ON CONFLICT (name) DO UPDATE SET url = excluded.url, token_file = excluded.token_file,
                    origin = excluded.origin
                """, arguments: [peer.name, peer.url, peer.tokenFile, peer.origin])
    }

    /// Pins the peer `name` to the server origin `origin`; false when there is no such peer.
    package static func pin(named name: String, origin: String, _ db: Database) throws -> Bool {
        try db.execute(sql: "UPDATE peer SET origin = ? WHERE name = ?", arguments: [origin, name])
        return db.changesCount > 0
    }

    /// Removes the peer `name`; false when there was none.
    package static func remove(named name: String, _ db: Database) throws -> Bool {
        try db.execute(sql: "DELETE FROM peer WHERE name = ?", arguments: [name])
        return db.changesCount > 0
    }

    /// Every peer, by name.
    package static func all(_ db: Database) throws -> [PeerRecord] {
        try Row.fetchAll(db, sql: "SELECT name, url, token_file, origin FROM peer ORDER BY name").map {
            PeerRecord(name: $0[0], url: $0[1], tokenFile: $0[2], origin: $0[3])
        }
    }

    /// Keeps `sync` as the last sync with its peer. A sync without a contact (it never heard
    /// from the peer) keeps the contact of the one before, whose time says how old it is.
    package static func save(_ sync: SyncRecord, _ db: Database) throws {
        let contact = sync.contact
        try db.execute(
            sql: """
                INSERT INTO peer_sync (peer, started_at, finished_at, sent_events, sent_bytes, received_events,
                                       received_bytes, result, clock_skew_ms, events_ahead_ms, contact_at,
                                       local_knowledge, server_knowledge, local_digest, server_digest, server_origin)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (peer) DO UPDATE SET started_at = excluded.started_at, finished_at = excluded.finished_at,
                    sent_events = excluded.sent_events, sent_bytes = excluded.sent_bytes,
                    received_events = excluded.received_events, received_bytes = excluded.received_bytes,
                    result = excluded.result, clock_skew_ms = excluded.clock_skew_ms,
                    events_ahead_ms = excluded.events_ahead_ms,
                    contact_at = coalesce(excluded.contact_at, contact_at),
                    local_knowledge = iif(excluded.contact_at IS NULL, local_knowledge, excluded.local_knowledge),
                    server_knowledge = iif(excluded.contact_at IS NULL, server_knowledge, excluded.server_knowledge),
                    local_digest = iif(excluded.contact_at IS NULL, local_digest, excluded.local_digest),
                    server_digest = iif(excluded.contact_at IS NULL, server_digest, excluded.server_digest),
                    server_origin = iif(excluded.contact_at IS NULL, server_origin, excluded.server_origin)
                """,
            arguments: [
                sync.peer, sync.startedAt, sync.finishedAt, sync.sentEvents, sync.sentBytes, sync.receivedEvents,
                sync.receivedBytes, sync.result, sync.clockSkew, sync.eventsAhead, contact?.at,
                contact.map { SyncContact.encode($0.localKnowledge) },
                contact.map { SyncContact.encode($0.serverKnowledge) }, contact?.localDigest, contact?.serverDigest,
                contact?.serverOrigin,
            ])
    }

    /// The last sync with every peer or URL synced with, by peer.
    package static func syncRecords(_ db: Database) throws -> [SyncRecord] {
        try Row.fetchAll(db, sql: "SELECT * FROM peer_sync ORDER BY peer").map {
            SyncRecord(
                peer: $0["peer"], startedAt: $0["started_at"], finishedAt: $0["finished_at"],
                sentEvents: $0["sent_events"], sentBytes: $0["sent_bytes"], receivedEvents: $0["received_events"],
                receivedBytes: $0["received_bytes"], result: $0["result"], clockSkew: $0["clock_skew_ms"],
                eventsAhead: $0["events_ahead_ms"], contact: contact(of: $0))
        }
    }

    /// The contact kept in `row`; nil when there is none (or it cannot be read: the record of a
    /// sync is bookkeeping, and `status` then shows the counts as unknown rather than failing).
    private static func contact(of row: Row) -> SyncContact? {
        guard let at: Int64 = row["contact_at"], let localText: String = row["local_knowledge"],
            let serverText: String = row["server_knowledge"], let local = SyncContact.decode(localText),
            let server = SyncContact.decode(serverText)
        else { return nil }
        return SyncContact(
            at: at, localKnowledge: local, serverKnowledge: server, localDigest: row["local_digest"] ?? "",
            serverDigest: row["server_digest"] ?? "", serverOrigin: row["server_origin"])
    }
}
