/// Unix milliseconds written as an ISO 8601 instant in UTC: `2024-11-15T10:23:45.123Z`.
///
/// What the command line prints for capture times and hybrid clocks, and what the article
/// generator writes in front matter. Computed with civil-from-days arithmetic (Howard Hinnant's
/// algorithm, proleptic Gregorian calendar), not with Foundation's locale-dependent formatters.
package enum ISODate {
    /// `milliseconds` since 1970-01-01T00:00:00Z as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
    ///
    /// Instants before 1970 count back from it (`-1` is `1969-12-31T23:59:59.999Z`): the day and
    /// the time of day are taken with floor division, so the time of day is never negative. The
    /// year has at least four digits (years 0 to 9999 are zero-padded to four).
    package static func format(_ milliseconds: Int64) -> String {
        var ms = milliseconds
        var days = ms >= 0 ? ms / 86_400_000 : (ms - 86_399_999) / 86_400_000
        ms -= days * 86_400_000
        let hour = ms / 3_600_000
        let minute = ms / 60_000 % 60
        let second = ms / 1000 % 60
        let millis = ms % 1000
        // Civil date from days since 1970-01-01.
        days += 719_468
        let era = (days >= 0 ? days : days - 146_096) / 146_097
        let dayOfEra = days - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return
            "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(hour, 2)):\(pad(minute, 2)):\(pad(second, 2)).\(pad(millis, 3))Z"
    }

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let text = String(value)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }
}
