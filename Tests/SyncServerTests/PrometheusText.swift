/// A strict reader of Prometheus' text format (version 0.0.4), for the tests of `/metrics`: every
/// line is a `# HELP`, a `# TYPE` or a sample `name{label="value",…} value`; anything else, a
/// sample of a metric whose type was not declared before it, or a type declared twice, throws.
struct PrometheusText {
    struct Sample: Equatable {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    struct Malformed: Error, CustomStringConvertible {
        var line: Int
        var reason: String
        var description: String { "line \(line): \(reason)" }
    }

    private(set) var samples: [Sample] = []
    private(set) var types: [String: String] = [:]
    private(set) var help: [String: String] = [:]

    init(_ text: String) throws {
        guard text.isEmpty || text.hasSuffix("\n") else { throw Malformed(line: 0, reason: "no final line feed") }
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().enumerated() {
            try read(Substring(line), number: index + 1)
        }
    }

    /// The value of the sample `name` with exactly `labels`, or nil.
    func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        samples.first { $0.name == name && $0.labels == labels }?.value
    }

    private mutating func read(_ line: Substring, number: Int) throws {
        let fail = { (reason: String) in Malformed(line: number, reason: "\(reason): \(line)") }
        if line.hasPrefix("# HELP ") {
            let rest = line.dropFirst(7)
            let name = rest.prefix { $0 != " " }
            guard Self.isName(name), rest.count > name.count else { throw fail("bad HELP") }
            help[String(name)] = String(rest.dropFirst(name.count + 1))
            return
        }
        if line.hasPrefix("# TYPE ") {
            let parts = line.dropFirst(7).split(separator: " ", omittingEmptySubsequences: false)
            guard parts.count == 2, Self.isName(parts[0]),
                ["counter", "gauge", "histogram", "summary", "untyped"].contains(parts[1])
            else { throw fail("bad TYPE") }
            guard types[String(parts[0])] == nil else { throw fail("TYPE declared twice") }
            types[String(parts[0])] = String(parts[1])
            return
        }
        guard !line.hasPrefix("#"), !line.isEmpty else { throw fail("not a sample") }
        var rest = line[...]
        let name = rest.prefix { $0.isLetter || $0.isNumber || $0 == "_" || $0 == ":" }
        guard Self.isName(name) else { throw fail("bad metric name") }
        rest = rest.dropFirst(name.count)
        var labels: [String: String] = [:]
        if rest.first == "{" {
            rest = rest.dropFirst()
            while rest.first != "}" {
                let label = rest.prefix { $0 != "=" }
                guard Self.isName(label), label.first != ":" else { throw fail("bad label name") }
                rest = rest.dropFirst(label.count)
                guard rest.hasPrefix("=\"") else { throw fail("label without a quoted value") }
                rest = rest.dropFirst(2)
                var value = ""
                while true {
                    guard let character = rest.first else { throw fail("unterminated label value") }
                    rest = rest.dropFirst()
                    if character == "\"" { break }
                    if character == "\\" {
                        guard let escaped = rest.first else { throw fail("dangling escape") }
                        rest = rest.dropFirst()
                        switch escaped {
                        case "\\": value.append("\\")
                        case "\"": value.append("\"")
                        case "n": value.append("\n")
                        default: throw fail("unknown escape")
                        }
                    } else {
                        value.append(character)
                    }
                }
                guard labels[String(label)] == nil else { throw fail("label given twice") }
                labels[String(label)] = value
                if rest.first == "," {
                    rest = rest.dropFirst()
                } else if rest.first != "}" {
                    throw fail("labels not separated by commas")
                }
            }
            rest = rest.dropFirst()
        }
        guard rest.first == " " else { throw fail("no space before the value") }
        let valueText = rest.dropFirst()
        guard let value = Self.number(valueText) else { throw fail("bad value") }
        let family =
            [name[...]]
            + ["_bucket", "_sum", "_count"].compactMap { suffix -> Substring? in
                name.hasSuffix(suffix) ? name.dropLast(suffix.count) : nil
            }
        guard family.contains(where: { types[String($0)] != nil }) else { throw fail("a sample of an undeclared type") }
        if name.hasSuffix("_bucket"), labels["le"] == nil { throw fail("a bucket without le") }
        samples.append(Sample(name: String(name), labels: labels, value: value))
    }

    private static func isName(_ text: Substring) -> Bool {
        guard let first = text.first, first.isASCII, first.isLetter || first == "_" || first == ":" else {
            return false
        }
        return text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == ":") }
    }

    private static func number(_ text: Substring) -> Double? {
        switch text {
        case "+Inf": return .infinity
        case "-Inf": return -.infinity
        case "NaN": return .nan
        default:
            guard !text.isEmpty, text.allSatisfy({ $0.isNumber || "+-.eE".contains($0) }) else { return nil }
            return Double(text)
        }
    }
}
