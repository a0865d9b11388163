/// Calendar text for generated articles (UTC), without Foundation.
enum Formatting {
    struct Day {
        var year: Int64, month: Int64, day: Int64
        var compact: String { "\(year)\(pad(month))\(pad(day))" }
        var yearMonth: String { "\(year)-\(pad(month))" }
    }

    static func civil(_ milliseconds: Int64) -> (day: Day, weekday: Int64, seconds: Int64) {
        let days = milliseconds / 86_400_000
        let seconds = milliseconds / 1000 % 86_400
        let z = days + 719_468
        let era = z / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        return (Day(year: y, month: m, day: d), (days + 4) % 7, seconds)
    }

    static func date(_ milliseconds: Int64) -> Day { civil(milliseconds).day }

    /// `Mon, 01 Jan 2024 10:00:00 GMT`
    static func rfc1123(_ milliseconds: Int64) -> String {
        let (day, weekday, seconds) = civil(milliseconds)
        let weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        return "\(weekdays[Int(weekday)]), \(pad(day.day)) \(months[Int(day.month) - 1]) \(day.year) "
            + "\(pad(seconds / 3600)):\(pad(seconds / 60 % 60)):\(pad(seconds % 60)) GMT"
    }

    static func pad(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
}
