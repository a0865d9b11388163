/*
 The date line of the date-line form of an article file (see `ArticleFile`, protocol/CANONICAL.md):

   日期：Mon, 29 Jun 2020 14:53:02 +0000
   ^^^^^^                               U+65E5 U+671F U+FF1A, then at once the date, RFC 2822:
         ^^^^^                          optional weekday: Mon Tue Wed Thu Fri Sat Sun, then ", "
              ^^                        day of the month: 1 or 2 digits, a day that exists that month
                 ^^^                    month: Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec
                     ^^^^               year: 4 digits, 1970 to 9999
                          ^^^^^^^^      HH:MM:SS, hours 00–23, minutes 00–59, seconds 00–60
                                   ^^^^^ zone: +HHMM or -HHMM (HH ≤ 23, MM ≤ 59), GMT, UT or UTC

 Parts are separated by exactly one space; names are matched exactly as written above (the capture
 pipeline writes them so, and a file must render back byte for byte); nothing may follow the zone.
 A weekday, when present, must be the weekday of the date as written (before the zone is applied).
 A leap second (":60") is accepted and counts as second 59 of its minute, so that the instant stays
 in the minute, day and year written (Unix time has no leap seconds). The instant must not be before
 1970-01-01T00:00:00Z, since `captured_at` is never negative.

 The parser runs on UTF-8 bytes only, never on `Character`s, and refuses a line longer than
 `DateLine.maxBytes` before looking at it. The instant is computed with days-from-civil arithmetic
 (proleptic Gregorian calendar), not with a locale-dependent `DateFormatter`.
*/

/// The "日期：" line that the date-line form of an article file has in place of the
/// `<!--milliseconds-->` comment: parsing it gives the file's `captured_at`.
public enum DateLine {
    /// What every date line starts with: "日期：" (U+65E5 U+671F U+FF1A).
    public static let prefix = "\u{65E5}\u{671F}\u{FF1A}"
    /// The longest date line accepted, in bytes; a valid one is at most 46.
    public static let maxBytes = 200

    /// The instant of a whole date line (without its line break), in Unix milliseconds.
    ///
    /// Throws `ArchiveModelError` with code `badDateLine` and a message naming the part that is
    /// wrong (no line number and no context: callers add where the line came from).
    public static func milliseconds(of line: String) throws -> Int64 {
        try milliseconds(of: Array(line.utf8))
    }

    /// The instant of a whole date line given as UTF-8 bytes; see `milliseconds(of:)`.
    public static func milliseconds(of line: [UInt8]) throws -> Int64 {
        if line.count > maxBytes { throw bad("the date line is longer than \(maxBytes) bytes") }
        let prefixBytes = Array(prefix.utf8)
        guard line.starts(with: prefixBytes) else {
            throw bad("the date line must start with \"\(prefix)\" (U+65E5 U+671F U+FF1A) followed by the date")
        }
        var scanner = Scanner(bytes: line, position: prefixBytes.count)
        return try scanner.date()
    }

    static let weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    static func bad(_ message: String) -> ArchiveModelError { ArchiveModelError(.badDateLine, message) }

    /// Reads the date after the prefix, one part at a time, each with its own message.
    private struct Scanner {
        let bytes: [UInt8]
        var position: Int

        mutating func date() throws -> Int64 {
            var weekday: Int?
            if let first = peek, isLetter(first) {
                let name = word()
                guard let index = DateLine.weekdays.firstIndex(of: name) else {
                    throw bad(
                        "the weekday \"\(name)\" is not one of \(DateLine.weekdays.joined(separator: ", ")) "
                            + "(or leave it out, with its comma)")
                }
                weekday = index
                guard take(","), take(" ") else { throw bad("the weekday must be followed by a comma and one space") }
            }
            let day = try number(digits: 1...2, what: "the day of the month (1 or 2 digits)")
            try space(after: "the day")
            let monthName = word()
            guard let monthIndex = DateLine.months.firstIndex(of: monthName) else {
                throw bad(
                    "the month \"\(monthName)\" is not one of \(DateLine.months.joined(separator: " ")) "
                        + "(English, written exactly so)")
            }
            let month = monthIndex + 1
            try space(after: "the month")
            let year = try number(digits: 4...4, what: "the year (4 digits)")
            guard (1970...9999).contains(year) else { throw bad("the year \(year) is not between 1970 and 9999") }
            try space(after: "the year")
            let hour = try number(digits: 2...2, what: "the hour (2 digits, as HH:MM:SS)")
            guard take(":") else { throw bad("the time must be written HH:MM:SS") }
            let minute = try number(digits: 2...2, what: "the minutes (2 digits, as HH:MM:SS)")
            guard take(":") else { throw bad("the time must be written HH:MM:SS, with seconds") }
            let second = try number(digits: 2...2, what: "the seconds (2 digits, as HH:MM:SS)")
            guard hour <= 23 else { throw bad("the hour \(hour) is not between 00 and 23") }
            guard minute <= 59 else { throw bad("the minute \(minute) is not between 00 and 59") }
            guard second <= 60 else { throw bad("the second \(second) is not between 00 and 60") }
            try space(after: "the time")
            let offsetMinutes = try zone()
            if position < bytes.count {
                throw bad(
                    "the date line has \(bytes.count - position) more byte(s) after the time zone; "
                        + "nothing may follow it, not even a space")
            }

            let monthDays = DateLine.daysIn(month: month, year: year)
            guard (1...monthDays).contains(day) else {
                throw bad("\(day) \(monthName) \(year) does not exist: \(monthName) \(year) has \(monthDays) days")
            }
            let days = DateLine.daysFromCivil(year: year, month: month, day: day)
            let actualWeekday = (days % 7 + 11) % 7  // 1970-01-01 was a Thursday (4)
            if let weekday, weekday != actualWeekday {
                throw bad(
                    "the weekday \(DateLine.weekdays[weekday]) does not match \(day) \(monthName) \(year), "
                        + "which is a \(DateLine.weekdays[actualWeekday])")
            }
            let seconds =
                Int64(days) * 86_400 + Int64(hour * 3_600 + minute * 60 + min(second, 59)) - Int64(offsetMinutes) * 60
            guard seconds >= 0 else { throw bad("the date is before 1970-01-01 00:00:00 UTC") }
            return seconds * 1_000
        }

        /// The zone's offset east of UTC, in minutes.
        private mutating func zone() throws -> Int {
            let start = position
            for name in ["GMT", "UTC", "UT"] where bytes[start...].starts(with: name.utf8) {
                position += name.utf8.count
                return 0
            }
            let zoneMessage = "the time zone must be +HHMM or -HHMM (4 digits), GMT, UT or UTC"
            guard let sign = peek, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") else {
                throw bad(zoneMessage)
            }
            position += 1
            let digitsStart = position
            while let byte = peek, isDigit(byte), position - digitsStart < 4 { position += 1 }
            guard position - digitsStart == 4 else { throw bad(zoneMessage) }
            let hours = Int(bytes[digitsStart] - 0x30) * 10 + Int(bytes[digitsStart + 1] - 0x30)
            let minutes = Int(bytes[digitsStart + 2] - 0x30) * 10 + Int(bytes[digitsStart + 3] - 0x30)
            guard hours <= 23, minutes <= 59 else {
                let text = String(decoding: bytes[start..<position], as: UTF8.self)
                throw bad("the time zone \(text) has hours above 23 or minutes above 59")
            }
            let offset = hours * 60 + minutes
            return sign == UInt8(ascii: "-") ? -offset : offset
        }

        private var peek: UInt8? { position < bytes.count ? bytes[position] : nil }

        private mutating func take(_ ascii: Unicode.Scalar) -> Bool {
            guard peek == UInt8(ascii: ascii) else { return false }
            position += 1
            return true
        }

        private mutating func space(after what: String) throws {
            guard take(" ") else { throw bad("\(what) must be followed by exactly one space") }
            if peek == UInt8(ascii: " ") { throw bad("\(what) must be followed by exactly one space") }
        }

        /// The ASCII letters at the position (at most 16, so that the message stays short).
        private mutating func word() -> String {
            let start = position
            while let byte = peek, isLetter(byte), position - start < 16 { position += 1 }
            return String(decoding: bytes[start..<position], as: UTF8.self)
        }

        private mutating func number(digits: ClosedRange<Int>, what: String) throws -> Int {
            let start = position
            var value = 0
            while let byte = peek, isDigit(byte), position - start < digits.upperBound {
                value = value * 10 + Int(byte - 0x30)
                position += 1
            }
            guard digits.contains(position - start), peek.map(isDigit) != true else {
                throw bad("\(what) is missing or malformed")
            }
            return value
        }

        private func isDigit(_ byte: UInt8) -> Bool { (0x30...0x39).contains(byte) }
        private func isLetter(_ byte: UInt8) -> Bool { (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) }
        private func bad(_ message: String) -> ArchiveModelError { DateLine.bad(message) }
    }
}
