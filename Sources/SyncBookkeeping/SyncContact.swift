import ArchiveModel

/// Where this replica and a peer stood at the end of a sync that reached it: both knowledge
/// vectors and both digests, as the sync last knew them. `status` derives from it what each side
/// still lacked then, so that it never shows a peer as in step when it was not.
///
/// The server's vector and digest are the last it reported (a pull page's trailer, or the answer
/// to the last push), so events pushed to it by someone else while the sync ran count as events
/// this replica lacks; this replica's are read when the sync ended.
package struct SyncContact: Sendable, Equatable {
    /// When the contact ended (Unix milliseconds).
    package var at: Int64
    package var localKnowledge: VectorClock
    package var serverKnowledge: VectorClock
    /// Digests of the article tables here and there (64 hex digits; the server's as it sent it).
    package var localDigest: String
    package var serverDigest: String
    /// The origin (32 hex) the server proved it is, if it did.
    package var serverOrigin: String?

    package init(
        at: Int64, localKnowledge: VectorClock, serverKnowledge: VectorClock, localDigest: String,
        serverDigest: String, serverOrigin: String? = nil
    ) {
        self.at = at
        self.localKnowledge = localKnowledge
        self.serverKnowledge = serverKnowledge
        self.localDigest = localDigest
        self.serverDigest = serverDigest
        self.serverOrigin = serverOrigin
    }

    /// How the two sides stood.
    package enum Standing: Sendable, Equatable {
        /// The same events on both sides and the same digest: nothing was pending.
        case inStep
        /// Events one side held and the other did not: `localLacks` events the peer held that this
        /// replica did not, `peerLacks` events this replica held that the peer did not.
        case pending(localLacks: Int, peerLacks: Int)
        /// The same knowledge vectors but different digests: the two sides hold different events
        /// under the same numbers (a fork) or one of them projects wrongly (a bug). Never shown
        /// as in step.
        case digestsDiffer
    }

    /// Events the peer held that this replica did not.
    package var localLacks: Int { Self.lacking(localKnowledge, from: serverKnowledge) }
    /// Events this replica held that the peer did not.
    package var peerLacks: Int { Self.lacking(serverKnowledge, from: localKnowledge) }

    package var standing: Standing {
        let (local, peer) = (localLacks, peerLacks)
        if local > 0 || peer > 0 { return .pending(localLacks: local, peerLacks: peer) }
        return localDigest == serverDigest ? .inStep : .digestsDiffer
    }

    /// The events `holder` holds that `lacker` does not: per origin, what `holder` has past
    /// `lacker`'s count (each side holds a gap-free prefix of every origin).
    private static func lacking(_ lacker: VectorClock, from holder: VectorClock) -> Int {
        holder.entries.reduce(0) { sum, entry in sum + max(0, entry.value - lacker[entry.key]) }
    }

    /// A vector as the bookkeeping tables keep it: `origin:seq` pairs, sorted, comma-separated
    /// (`""` for the empty vector).
    package static func encode(_ vector: VectorClock) -> String {
        vector.sortedEntries.map { "\($0.origin.hex):\($0.seq)" }.joined(separator: ",")
    }

    /// Reads what `encode` wrote; nil for anything else.
    package static func decode(_ text: String) -> VectorClock? {
        var vector = VectorClock()
        for pair in text.utf8.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: true) {
            let parts = pair.split(separator: UInt8(ascii: ":"), omittingEmptySubsequences: false)
            guard parts.count == 2, let origin = OriginID(hex: String(decoding: parts[0], as: UTF8.self)),
                let seq = Int(String(decoding: parts[1], as: UTF8.self)), seq >= 0
            else { return nil }
            vector[origin] = seq
        }
        return vector
    }
}
