import ArchiveModel

/// How the server writes its log lines (`serve --log-format`): one event per line, as logfmt
/// (`key=value key="a value"`) or as a JSON object.
///
/// Every value is escaped here, whatever its source: a quote, a backslash, a line break or any
/// control or bidi character in a header can neither end the value nor start another field or
/// line. In both formats such characters are written as JSON writes them (`\"`, `\\`, `\n`,
/// `\u001b`), so one decoder reads both.
package enum LogFormat: String, CaseIterable, Sendable {
    case logfmt
    case json

    /// One line (without its line feed) of `fields` in order.
    package func line(_ fields: [(key: String, value: LogValue)]) -> String {
        switch self {
        case .logfmt:
            return fields.map { "\($0.key)=\(Self.logfmt($0.value))" }.joined(separator: " ")
        case .json:
            let members = fields.map { "\(Self.quoted($0.key)):\(Self.json($0.value))" }
            return "{" + members.joined(separator: ",") + "}"
        }
    }

    private static func logfmt(_ value: LogValue) -> String {
        switch value {
        case .integer(let number): return String(number)
        case .number(let number): return String(number)
        case .bool(let flag): return String(flag)
        case .text(let text):
            let plain =
                !text.isEmpty
                && text.unicodeScalars.allSatisfy {
                    $0 != " " && $0 != "=" && $0 != "\"" && $0 != "\\" && !needsEscape($0)
                }
            return plain ? text : quoted(text)
        }
    }

    private static func json(_ value: LogValue) -> String {
        switch value {
        case .integer(let number): return String(number)
        case .number(let number): return number.isFinite ? String(number) : quoted(String(number))
        case .bool(let flag): return String(flag)
        case .text(let text): return quoted(text)
        }
    }

    /// `text` in double quotes, with quotes, backslashes, controls and bidi marks escaped.
    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where needsEscape(scalar):
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// C0 and C1 controls, DEL, bidi controls and the Unicode line and paragraph separators.
    private static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        DisplayText.needsEscape(scalar)
    }
}

/// A value of a log line: numbers stay numbers in JSON.
package enum LogValue: Sendable, Equatable {
    case text(String)
    case integer(Int)
    case number(Double)
    case bool(Bool)
}
