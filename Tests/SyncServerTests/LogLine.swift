import ArchiveModel
import Foundation

/// A strict reader of the server's log lines, for the tests: logfmt (`key=value` or
/// `key="escaped value"`, one space apart) or a flat JSON object. Anything else throws.
enum LogLine {
    struct Malformed: Error, CustomStringConvertible {
        var line: String
        var reason: String
        var description: String { "\(reason): \(line)" }
    }

    /// The fields of `line` as text (numbers as they are written).
    static func parse(_ line: String, json: Bool) throws -> [String: String] {
        guard !line.contains("\n"), !line.contains("\r") else { throw Malformed(line: line, reason: "a line break") }
        return json ? try parseJSON(line) : try parseLogfmt(line)
    }

    /// Read with Foundation's parser, a second opinion beside the project's own (which takes no
    /// fractions, and `duration_ms` has them).
    private static func parseJSON(_ line: String) throws -> [String: String] {
        guard let members = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            throw Malformed(line: line, reason: "not an object")
        }
        var fields: [String: String] = [:]
        for (key, value) in members {
            switch value {
            case let text as String: fields[key] = text
            case let number as NSNumber: fields[key] = number.stringValue
            default: throw Malformed(line: line, reason: "\(key) is not flat")
            }
        }
        return fields
    }

    private static func parseLogfmt(_ line: String) throws -> [String: String] {
        var fields: [String: String] = [:]
        var rest = Substring(line)
        while !rest.isEmpty {
            let key = rest.prefix { $0.isASCII && ($0.isLetter || $0.isNumber || "_.-".contains($0)) }
            guard !key.isEmpty, rest.dropFirst(key.count).first == "=" else {
                throw Malformed(line: line, reason: "no key= at \(rest.prefix(20))")
            }
            rest = rest.dropFirst(key.count + 1)
            let value: String
            if rest.first == "\"" {
                // A quoted value is a JSON string: find its closing quote, skipping escapes.
                var index = rest.index(after: rest.startIndex)
                while true {
                    guard index < rest.endIndex else { throw Malformed(line: line, reason: "unterminated quote") }
                    if rest[index] == "\\" {
                        index = rest.index(after: index)
                        guard index < rest.endIndex else { throw Malformed(line: line, reason: "dangling escape") }
                    } else if rest[index] == "\"" {
                        break
                    }
                    index = rest.index(after: index)
                }
                let literal = rest[...index]
                guard let text = try JSONParser.parse(Array(literal.utf8)).stringValue else {
                    throw Malformed(line: line, reason: "bad quoted value")
                }
                value = text
                rest = rest[rest.index(after: index)...]
            } else {
                let bare = rest.prefix { $0 != " " }
                guard !bare.isEmpty, !bare.contains("\""), !bare.contains("="), !bare.contains("\\") else {
                    throw Malformed(line: line, reason: "bad bare value \(bare)")
                }
                value = String(bare)
                rest = rest.dropFirst(bare.count)
            }
            guard fields[String(key)] == nil else { throw Malformed(line: line, reason: "\(key) twice") }
            fields[String(key)] = value
            if rest.isEmpty { break }
            guard rest.first == " ", rest.dropFirst().first != " " else {
                throw Malformed(line: line, reason: "fields not one space apart")
            }
            rest = rest.dropFirst()
        }
        return fields
    }
}
