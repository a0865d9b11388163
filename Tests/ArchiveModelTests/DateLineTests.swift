import ArchiveModel
import Testing

/// The "日期：" line of the date-line form: its instant, and each malformed line refused with a
/// message naming the part that is wrong.
struct DateLineTests {
    struct Accepted: CustomStringConvertible, Sendable {
        var description: String { line }
        var line: String
        var milliseconds: Int64
    }

    static let accepted: [Accepted] = [
        .init(line: "日期：Mon, 29 Jun 2020 14:53:02 +0000", milliseconds: 1_593_442_382_000),
        .init(line: "日期：Mon, 29 Jun 2020 22:53:02 +0800", milliseconds: 1_593_442_382_000),
        .init(line: "日期：Mon, 29 Jun 2020 09:23:02 -0530", milliseconds: 1_593_442_382_000),
        .init(line: "日期：Mon, 29 Jun 2020 14:53:02 +0800", milliseconds: 1_593_413_582_000),
        .init(line: "日期：Mon, 29 Jun 2020 14:53:02 -0530", milliseconds: 1_593_462_182_000),
        .init(line: "日期：29 Jun 2020 14:53:02 GMT", milliseconds: 1_593_442_382_000),
        .init(line: "日期：Mon, 29 Jun 2020 14:53:02 UT", milliseconds: 1_593_442_382_000),
        .init(line: "日期：Mon, 29 Jun 2020 14:53:02 UTC", milliseconds: 1_593_442_382_000),
        .init(line: "日期：Thu, 1 Jan 1970 00:00:00 +0000", milliseconds: 0),
        .init(line: "日期：Thu, 01 Jan 1970 00:00:01 -0000", milliseconds: 1_000),
        .init(line: "日期：Sat, 29 Feb 2020 00:00:00 +0000", milliseconds: 1_582_934_400_000),
        .init(line: "日期：Tue, 29 Feb 2000 12:00:00 +0000", milliseconds: 951_825_600_000),
        // A leap second counts as second 59 of its minute.
        .init(line: "日期：Sat, 31 Dec 2016 23:59:60 +0000", milliseconds: 1_483_228_799_000),
        .init(line: "日期：31 Dec 2016 23:59:60 GMT", milliseconds: 1_483_228_799_000),
        .init(line: "日期：1 Jan 2017 07:59:60 +0800", milliseconds: 1_483_228_799_000),
        .init(line: "日期：Fri, 31 Dec 9999 23:59:59 -2359", milliseconds: 253_402_387_139_000),
    ]

    @Test(arguments: accepted)
    func dateLineGivesItsInstant(_ testCase: Accepted) throws {
        #expect(try DateLine.milliseconds(of: testCase.line) == testCase.milliseconds)
        #expect(try DateLine.milliseconds(of: Array(testCase.line.utf8)) == testCase.milliseconds)
    }

    struct Refused: CustomStringConvertible, Sendable {
        var description: String
        var line: String
        var mentions: String
    }

    static let refused: [Refused] = [
        .init(
            description: "missing prefix", line: "Mon, 29 Jun 2020 14:53:02 +0000", mentions: "must start with \"日期：\""),
        .init(
            description: "ASCII colon instead of U+FF1A", line: "日期:Mon, 29 Jun 2020 14:53:02 +0000",
            mentions: "U+FF1A"),
        .init(description: "garbage date", line: "日期：yesterday", mentions: "the weekday \"yesterday\" is not one of"),
        .init(description: "ISO date", line: "日期：2020-06-29T14:53:02Z", mentions: "day of the month"),
        .init(description: "empty date", line: "日期：", mentions: "day of the month (1 or 2 digits) is missing"),
        .init(
            description: "31 Jun", line: "日期：31 Jun 2020 14:53:02 +0000",
            mentions: "31 Jun 2020 does not exist: Jun 2020 has 30 days"),
        .init(
            description: "29 Feb 2021", line: "日期：Mon, 29 Feb 2021 14:53:02 +0000",
            mentions: "29 Feb 2021 does not exist: Feb 2021 has 28 days"),
        .init(
            description: "29 Feb 2100", line: "日期：29 Feb 2100 00:00:00 +0000",
            mentions: "29 Feb 2100 does not exist"),
        .init(description: "day 0", line: "日期：0 Jun 2020 14:53:02 +0000", mentions: "0 Jun 2020 does not exist"),
        .init(
            description: "wrong weekday", line: "日期：Tue, 29 Jun 2020 14:53:02 +0000",
            mentions: "the weekday Tue does not match 29 Jun 2020, which is a Mon"),
        .init(
            description: "unknown weekday", line: "日期：Mo, 29 Jun 2020 14:53:02 +0000",
            mentions: "the weekday \"Mo\" is not one of"),
        .init(
            description: "weekday without comma", line: "日期：Mon 29 Jun 2020 14:53:02 +0000",
            mentions: "followed by a comma and one space"),
        .init(
            description: "lowercase month", line: "日期：Mon, 29 jun 2020 14:53:02 +0000",
            mentions: "the month \"jun\" is not one of"),
        .init(
            description: "full month name", line: "日期：29 June 2020 14:53:02 +0000",
            mentions: "the month \"June\" is not one of"),
        .init(description: "two-digit year", line: "日期：29 Jun 20 14:53:02 +0000", mentions: "the year (4 digits)"),
        .init(description: "year 1969", line: "日期：31 Dec 1969 23:59:59 +0000", mentions: "the year 1969 is not"),
        .init(description: "hour 24", line: "日期：29 Jun 2020 24:00:00 +0000", mentions: "the hour 24 is not"),
        .init(description: "minute 60", line: "日期：29 Jun 2020 14:60:00 +0000", mentions: "the minute 60 is not"),
        .init(description: "second 61", line: "日期：29 Jun 2020 14:53:61 +0000", mentions: "the second 61 is not"),
        .init(description: "no seconds", line: "日期：29 Jun 2020 14:53 +0000", mentions: "with seconds"),
        .init(description: "one-digit hour", line: "日期：29 Jun 2020 4:53:02 +0000", mentions: "the hour (2 digits"),
        .init(description: "zone name", line: "日期：29 Jun 2020 14:53:02 CST", mentions: "the time zone must be"),
        .init(description: "zone +08:00", line: "日期：29 Jun 2020 14:53:02 +08:00", mentions: "the time zone must be"),
        .init(description: "zone +800", line: "日期：29 Jun 2020 14:53:02 +800", mentions: "the time zone must be"),
        .init(
            description: "zone hours 24", line: "日期：29 Jun 2020 14:53:02 +2400",
            mentions: "the time zone +2400 has hours above 23"),
        .init(
            description: "zone minutes 60", line: "日期：29 Jun 2020 14:53:02 -0060",
            mentions: "the time zone -0060 has hours above 23 or minutes above 59"),
        .init(description: "no zone", line: "日期：29 Jun 2020 14:53:02", mentions: "the time must be followed"),
        .init(
            description: "trailing space", line: "日期：Mon, 29 Jun 2020 14:53:02 +0000 ",
            mentions: "1 more byte(s) after the time zone; nothing may follow it, not even a space"),
        .init(
            description: "trailing text after GMT", line: "日期：29 Jun 2020 14:53:02 GMT+8",
            mentions: "2 more byte(s) after the time zone"),
        .init(
            description: "two spaces", line: "日期：Mon, 29  Jun 2020 14:53:02 +0000",
            mentions: "the day must be followed by exactly one space"),
        .init(
            description: "before 1970 in UTC", line: "日期：Thu, 1 Jan 1970 07:59:59 +0800",
            mentions: "before 1970-01-01 00:00:00 UTC"),
        .init(
            description: "too long", line: "日期：Mon, 29 Jun 2020 14:53:02 +0000" + String(repeating: " ", count: 200),
            mentions: "longer than 200 bytes"),
        .init(
            description: "a combining mark after the prefix", line: "日期：\u{301}29 Jun 2020 14:53:02 +0000",
            mentions: "day of the month"),
    ]

    @Test(arguments: refused)
    func malformedDateLineIsRefusedWithWhatIsWrong(_ testCase: Refused) {
        #expect {
            _ = try DateLine.milliseconds(of: testCase.line)
        } throws: { error in
            guard let error = error as? ArchiveModelError else { return false }
            return error.code == .badDateLine && error.message.contains(testCase.mentions)
        }
    }

    @Test func prefixIsTheThreeScalars() {
        #expect(DateLine.prefix.unicodeScalars.map(\.value) == [0x65E5, 0x671F, 0xFF1A])
        #expect(DateLine.prefix.utf8.count == 9)
    }
}

/// The `date_line` field: its place among the fields and the rule on its values.
struct DateLineFieldTests {
    @Test func oldFieldsKeepTheirIndicesAndDateLineComesLast() {
        #expect(
            Field.allCases.map(\.rawValue) == [
                "url", "title", "body", "front_matter", "captured_at", "path", "note", "deleted", "date_line",
            ])
        #expect(Field.allCases.firstIndex(of: .dateLine) == 8)
        #expect(Field.dateLine.valueKind == .text)
        #expect(Field.dateLine.defaultValue == .text(""))
    }

    @Test func changesPutTheDateLineRightAfterCapturedAt() {
        #expect(
            Field.allCases.sorted() == [
                .url, .title, .body, .frontMatter, .capturedAt, .dateLine, .path, .note, .deleted,
            ])
    }

    @Test(arguments: ["", "日期：Mon, 29 Jun 2020 14:53:02 +0000", "日期：1 Jan 2021 00:00:00 UTC"])
    func acceptsEmptyAndValidDateLines(_ line: String) throws {
        try FieldRules.validate(.text(line), for: .dateLine)
    }

    @Test(arguments: [
        ("日期：Mon, 29 Jun 2020 14:53:02 +0000\n", "line break"),
        ("日期：Mon, 29 Jun 2020 14:53:02 +0000\r", "line break"),
        ("\n", "line break"),
        ("日期：Tue, 29 Jun 2020 14:53:02 +0000", "not a valid date line: the weekday Tue does not match"),
        ("Mon, 29 Jun 2020 14:53:02 +0000", "not a valid date line: the date line must start with"),
        (" ", "must start with"),
    ])
    func refusesInvalidDateLines(_ line: String, _ mentions: String) {
        #expect {
            try FieldRules.validate(.text(line), for: .dateLine)
        } throws: { error in
            guard let error = error as? ArchiveModelError else { return false }
            return error.code == .invalidValue && error.context == "date_line" && error.message.contains(mentions)
        }
    }

    @Test func refusesAnIntegerAndANul() {
        #expect { try FieldRules.validate(.integer(1), for: .dateLine) } throws: {
            ($0 as? ArchiveModelError)?.code == .invalidValue
        }
        #expect { try FieldRules.validate(.text("日期：\0"), for: .dateLine) } throws: {
            ($0 as? ArchiveModelError)?.code == .nulByte
        }
    }
}
