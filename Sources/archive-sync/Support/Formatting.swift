import ArchiveModel
import Foundation

/// How values read on the terminal.
enum Formatting {
    /// `2024-11-15 10:23` for Unix milliseconds: the short form of lists.
    static func shortDate(_ milliseconds: Int64) -> String {
        let full = ISODate.format(milliseconds)
        return String(full.prefix(10)) + " " + String(full.dropFirst(11).prefix(5))
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
