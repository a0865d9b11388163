import ArchiveModel

/// What `sync` and `status` say about clocks: the skew measured against a peer and the dates of
/// the events received from it (protocol/CLOCKS.md).
///
/// Warnings only: a wrong clock never stops a sync. Each is one sentence a person can act on.
package enum ClockWarnings {
    /// The warnings for one sync with `peer`: `clockSkew` is the peer's clock minus this one and
    /// `eventsAhead` how far the latest-dated event received was ahead of this clock, both in
    /// milliseconds. Empty when both are within `ClockSkew.warningThreshold`.
    package static func sentences(peer: String, clockSkew: Int64?, eventsAhead: Int64) -> [String] {
        var sentences: [String] = []
        if let clockSkew {
            let skew = ClockSkew(milliseconds: clockSkew)
            if skew.deservesWarning {
                let side = clockSkew > 0 ? "behind" : "ahead of"
                sentences.append(
                    "this machine's clock is \(ClockSkew.duration(clockSkew.magnitude)) \(side) the clock of \(peer): "
                        + "events written here are dated by it, so set whichever is wrong right "
                        + "(nothing is refused for it; see protocol/CLOCKS.md)")
            }
        }
        if eventsAhead >= ClockSkew.warningThreshold {
            sentences.append(
                "events received from \(peer) are dated up to \(ClockSkew.duration(UInt64(eventsAhead))) ahead of "
                    + "this machine's clock: the clock of the replica that wrote them (or this one) was wrong; "
                    + "they are kept, and events written after them are dated after them")
        }
        return sentences
    }

    /// The warning for this replica's own journal: its latest event (`latestHLC`) dated ahead of
    /// the wall clock `now` by more than the threshold. Nil otherwise.
    package static func journalAhead(latestHLC: HybridTimestamp, now: Int64) -> String? {
        let lead = latestHLC.milliseconds - now
        guard lead >= ClockSkew.warningThreshold else { return nil }
        return "the latest event held is dated \(ClockSkew.duration(UInt64(lead))) ahead of this machine's clock: "
            + "events written here are dated after it until the clock catches up (see protocol/CLOCKS.md)"
    }
}
