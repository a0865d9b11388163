import ArchiveModel
import Foundation

/// How values read on the terminal.
enum Formatting {
    /// `2024-11-15T10:23:45.123Z` for Unix milliseconds.
    static func iso(_ milliseconds: Int64) -> String {
        var ms = milliseconds
        var days = ms >= 0 ? ms / 86_400_000 : (ms - 86_399_999) / 86_400_000
        ms -= days * 86_400_000
        let hour = ms / 3_600_000
        let minute = ms / 60_000 % 60
        let second = ms / 1000 % 60
        let millis = ms % 1000
        // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
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

    /// `2024-11-15 10:23` for Unix milliseconds: the short form of lists.
    static func shortDate(_ milliseconds: Int64) -> String {
        let full = iso(milliseconds)
        return String(full.prefix(10)) + " " + String(full.dropFirst(11).prefix(5))
    }

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let text = String(value)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }

    /// A value on one line, cut to `limit` characters.
    static func oneLine(_ value: FieldValue, limit: Int = 70) -> String {
        switch value {
        case .text(let text):
            let flat = text.replacingNewlines()
            let cut = flat.count > limit ? String(flat.prefix(limit)) + "…" : flat
            return "\"" + cut + "\""
        case .integer(let number): return String(number)
        case .flag(let flag): return String(flag)
        }
    }

    /// `1 event`, `2 events`.
    static func count(_ number: Int, _ noun: String) -> String {
        "\(number) \(noun)\(number == 1 ? "" : "s")"
    }

    /// `1.2 MB` style sizes.
    static func bytes(_ count: Int) -> String {
        let units = ["B", "KB", "MB", "GB", "TB"]
        var value = Double(count)
        var unit = 0
        while value >= 1000, unit < units.count - 1 {
            value /= 1000
            unit += 1
        }
        return unit == 0 ? "\(count) B" : String(format: "%.1f %@", value, units[unit])
    }

    /// The name of a replica with its short origin: `laptop (3f2a1b9c)`.
    static func replica(_ origin: OriginID, names: [OriginID: String]) -> String {
        if let name = names[origin] { return "\(name) (\(origin.short))" }
        return origin.short
    }
}

extension String {
    func replacingNewlines() -> String {
        String(unicodeScalars.map { $0 == "\n" || $0 == "\r" ? " " : Character($0) })
    }
}
