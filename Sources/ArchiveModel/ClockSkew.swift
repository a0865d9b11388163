/// How far another clock is from this machine's, and how to say it to a person.
///
/// A skew is measured at every sync (the server's `Date` header against this clock) and from the
/// hybrid clocks of the events received. It is reported, never acted on: no event is refused
/// because of a date (see protocol/CLOCKS.md).
public struct ClockSkew: Sendable, Equatable, CustomStringConvertible {
    /// The other clock minus this one, in milliseconds: positive when the other is ahead.
    public var milliseconds: Int64

    /// Skews below this are the noise of the measure (a `Date` header counts whole seconds) and of
    /// ordinary clocks; past it, `sync` and `status` warn.
    public static let warningThreshold: Int64 = 60_000

    public init(milliseconds: Int64) {
        self.milliseconds = milliseconds
    }

    /// The skew of a clock that read `otherMilliseconds` while this one read `localMilliseconds`.
    public init(other otherMilliseconds: Int64, local localMilliseconds: Int64) {
        milliseconds = otherMilliseconds &- localMilliseconds
    }

    /// True when the skew is large enough to tell a person about.
    public var deservesWarning: Bool { milliseconds.magnitude >= UInt64(Self.warningThreshold) }

    /// "2 h 5 min ahead", "10 days behind", "in step".
    public var description: String {
        guard milliseconds != 0 else { return "in step" }
        return Self.duration(milliseconds.magnitude) + (milliseconds > 0 ? " ahead" : " behind")
    }

    /// A duration in the largest units that say it in two numbers at most, rounded to the
    /// smaller one: "3 days 4 h", "2 h 5 min", "45 s", "300 ms".
    public static func duration(_ milliseconds: UInt64) -> String {
        let hours = (milliseconds + 1_800_000) / 3_600_000
        if hours >= 24 {
            let days = "\(hours / 24) \(hours / 24 == 1 ? "day" : "days")"
            return hours % 24 > 0 ? "\(days) \(hours % 24) h" : days
        }
        let minutes = (milliseconds + 30_000) / 60_000
        if minutes >= 60 { return minutes % 60 > 0 ? "\(minutes / 60) h \(minutes % 60) min" : "\(minutes / 60) h" }
        let seconds = (milliseconds + 500) / 1_000
        if seconds >= 60 { return seconds % 60 > 0 ? "\(seconds / 60) min \(seconds % 60) s" : "\(seconds / 60) min" }
        return seconds > 0 ? "\(seconds) s" : "\(milliseconds) ms"
    }
}
