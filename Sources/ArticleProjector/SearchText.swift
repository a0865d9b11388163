/*
 How text goes into the full-text index, and how a query finds it.

 SQLite's unicode61 tokenizer takes a run of Chinese characters as one token (Chinese has no
 spaces), and the trigram tokenizer needs three characters, so neither finds the two-character
 words that most Chinese words are (朝鲜, 美国). So the index is fed text segmented here: every
 run of CJK characters becomes its overlapping bigrams followed by its last character alone
 ("朝鲜半岛" → "朝鲜 鲜半 半岛 岛"); other text passes through to unicode61 (case and
 diacritics folded). A query of n ≥ 2 CJK characters becomes the phrase of its n-1 bigrams;
 one character X becomes the prefix query X*, which matches the bigrams X starts and the lone X
 that ends a run: every occurrence, nothing else.
*/

/// Text preparation for the search index and its queries.
public enum SearchText {
    /// True for the scripts written without spaces between words: Han, kana, Hangul syllables.
    static func isCJK(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xF900...0xFAFF, 0x20000...0x3134F,
            0x3040...0x309F, 0x30A0...0x30FF, 0xAC00...0xD7AF:
            return true
        default:
            return false
        }
    }

    /// The text the index holds for `text`: CJK runs as bigrams, the rest unchanged.
    public static func segment(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        var run: [Unicode.Scalar] = []
        func flush() {
            guard !run.isEmpty else { return }
            out.append(" ")
            if run.count > 1 {
                for index in 0..<(run.count - 1) {
                    out.append(run[index])
                    out.append(run[index + 1])
                    out.append(" ")
                }
            }
            out.append(run[run.count - 1])
            out.append(" ")
            run.removeAll(keepingCapacity: true)
        }
        for scalar in text.unicodeScalars {
            if isCJK(scalar) {
                run.append(scalar)
            } else {
                flush()
                out.append(scalar)
            }
        }
        flush()
        return String(out)
    }

    /// The visible text of an HTML body: tags become spaces, common entities are decoded.
    ///
    /// A `<` is a tag only when a letter, `/`, `!` or `?` follows it, so book titles written
    /// with ASCII angle brackets (`<<游说法>>`) stay text.
    public static func plainText(ofHTML html: String) -> String {
        let scalars = Array(html.unicodeScalars)
        var out = String.UnicodeScalarView()
        var index = 0
        while index < scalars.count {
            let scalar = scalars[index]
            if scalar == "<", index + 1 < scalars.count, isTagStart(scalars[index + 1]),
                let close = scalars[(index + 1)...].firstIndex(of: ">")
            {
                out.append(" ")
                index = close + 1
                continue
            }
            if scalar == "&", let (decoded, length) = entity(in: scalars, at: index) {
                out.append(decoded)
                index += length
                continue
            }
            out.append(scalar)
            index += 1
        }
        return String(out)
    }

    private static func isTagStart(_ scalar: Unicode.Scalar) -> Bool {
        scalar.isASCII && (scalar.properties.isAlphabetic || scalar == "/" || scalar == "!" || scalar == "?")
    }

    private static let namedEntities: [String: Unicode.Scalar] = [
        "amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": " ",
    ]

    private static func entity(in scalars: [Unicode.Scalar], at start: Int) -> (Unicode.Scalar, Int)? {
        guard let end = scalars[start...].prefix(12).firstIndex(of: ";") else { return nil }
        let name = String(String.UnicodeScalarView(scalars[(start + 1)..<end]))
        let length = end - start + 1
        if let scalar = namedEntities[name] { return (scalar, length) }
        if name.hasPrefix("#x") || name.hasPrefix("#X"), let value = UInt32(name.dropFirst(2), radix: 16),
            let scalar = Unicode.Scalar(value)
        {
            return (scalar, length)
        }
        if name.hasPrefix("#"), let value = UInt32(name.dropFirst()), let scalar = Unicode.Scalar(value) {
            return (scalar, length)
        }
        return nil
    }

    /// The FTS5 MATCH expression for what a person typed, or nil when it has nothing to look for.
    ///
    /// Words separated by spaces must all occur (AND); a Latin word ending in `*` is a prefix.
    /// Quotes and FTS5 operators in the input are taken literally.
    public static func matchExpression(for query: String) -> String? {
        var parts: [String] = []
        for word in query.split(whereSeparator: { $0.isWhitespace }) {
            var prefix = false
            var text = Substring(word)
            if text.hasSuffix("*"), text.count > 1 { prefix = true; text = text.dropLast() }
            for piece in pieces(of: String(text)) {
                switch piece {
                case .cjk(let run) where run.count == 1:
                    parts.append(quote(String(String.UnicodeScalarView(run))) + " *")
                case .cjk(let run):
                    var bigrams: [String] = []
                    for index in 0..<(run.count - 1) {
                        bigrams.append(String(String.UnicodeScalarView([run[index], run[index + 1]])))
                    }
                    parts.append(quote(bigrams.joined(separator: " ")))
                case .other(let other):
                    guard
                        other.unicodeScalars.contains(where: {
                            $0.properties.isAlphabetic || $0.properties.numericType != nil
                        })
                    else { continue }
                    parts.append(quote(other) + (prefix ? " *" : ""))
                }
            }
        }
        return parts.isEmpty ? nil : parts.joined(separator: " AND ")
    }

    /// The words of a query as they are looked for in text, for highlighting snippets.
    public static func needles(for query: String) -> [String] {
        query.split(whereSeparator: { $0.isWhitespace }).flatMap { word -> [String] in
            let text = word.hasSuffix("*") ? String(word.dropLast()) : String(word)
            return pieces(of: text).compactMap { piece in
                switch piece {
                case .cjk(let run): String(String.UnicodeScalarView(run))
                case .other(let other): other.isEmpty ? nil : other
                }
            }
        }
    }

    private enum Piece { case cjk([Unicode.Scalar]), other(String) }

    private static func pieces(of text: String) -> [Piece] {
        var result: [Piece] = []
        var cjk: [Unicode.Scalar] = []
        var other = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if isCJK(scalar) {
                if !other.isEmpty { result.append(.other(String(other))); other = String.UnicodeScalarView() }
                cjk.append(scalar)
            } else if scalar.properties.isAlphabetic || scalar.properties.numericType != nil || scalar == "-"
                || scalar == "'" || scalar == "."
            {
                if !cjk.isEmpty { result.append(.cjk(cjk)); cjk = [] }
                other.append(scalar)
            } else {
                if !cjk.isEmpty { result.append(.cjk(cjk)); cjk = [] }
                if !other.isEmpty { result.append(.other(String(other))); other = String.UnicodeScalarView() }
            }
        }
        if !cjk.isEmpty { result.append(.cjk(cjk)) }
        if !other.isEmpty { result.append(.other(String(other))) }
        return result
    }

    private static func quote(_ text: String) -> String {
        "\"" + text.split(separator: "\"", omittingEmptySubsequences: false).joined(separator: "\"\"") + "\""
    }
}
