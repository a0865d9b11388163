/*
 How text goes into the full-text index, and how a query finds it.

 SQLite's unicode61 tokenizer takes a run of Chinese characters as one token (Chinese has no
 spaces), and the trigram tokenizer needs three characters, so neither finds the two-character
 words most Chinese words are (朝鲜, 美国). So the index is fed text segmented here: every CJK
 character becomes a token of its own ("朝鲜半岛" → " 朝  鲜  半  岛 "), and other text passes
 through to unicode61 (case and diacritics folded). A query word of CJK characters becomes the
 phrase of its characters ("朝 鲜"), which FTS5 matches only where they stand side by side: every
 occurrence of the word, of any length, and nothing else. One token per character keeps the
 vocabulary small, which makes the index about three times faster to build than one of bigrams.
*/

/// Text preparation for the search index and its queries.
package enum SearchText {
    /// True for the scripts written without spaces between words: Han, kana, Hangul syllables.
    static func isCJK(_ value: UInt32) -> Bool {
        switch value {
        case 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xF900...0xFAFF, 0x20000...0x3134F,
            0x3040...0x309F, 0x30A0...0x30FF, 0xAC00...0xD7AF:
            return true
        default:
            return false
        }
    }

    /// The text the index holds for plain `text`: each CJK character a word of its own.
    package static func indexText(_ text: String) -> String { transform(text, stripHTML: false, segment: true) }

    /// The text the index holds for an HTML body: tags removed, entities decoded, CJK segmented.
    package static func indexText(ofHTML html: String) -> String { transform(html, stripHTML: true, segment: true) }

    /// The visible text of an HTML body: tags become spaces, common entities are decoded.
    ///
    /// A `<` is a tag only when a letter, `/`, `!` or `?` follows it, so book titles written
    /// with ASCII angle brackets (`<<游说法>>`) stay text.
    package static func plainText(ofHTML html: String) -> String { transform(html, stripHTML: true, segment: false) }

    /// One pass over the UTF-8 bytes: strips tags and decodes entities (when `stripHTML`), and
    /// surrounds CJK characters with spaces (when `segment`). The input is valid UTF-8, so the
    /// output is too.
    private static func transform(_ text: String, stripHTML: Bool, segment: Bool) -> String {
        var text = text
        text.makeContiguousUTF8()
        var out: [UInt8] = []
        text.utf8.withContiguousStorageIfAvailable { bytes in
            out.reserveCapacity(bytes.count + bytes.count / 2)
            var index = 0
            let count = bytes.count
            while index < count {
                let byte = bytes[index]
                if stripHTML, byte == UInt8(ascii: "<"), index + 1 < count, isTagStart(bytes[index + 1]) {
                    var close = index + 1
                    while close < count, bytes[close] != UInt8(ascii: ">") { close += 1 }
                    if close < count {
                        out.append(0x20)
                        index = close + 1
                        continue
                    }
                }
                if stripHTML, byte == UInt8(ascii: "&"), let (scalar, length) = entity(in: bytes, at: index) {
                    out.append(contentsOf: Array(String(Character(scalar)).utf8))
                    index += length
                    continue
                }
                if byte >= 0xE0 {
                    let length = byte >= 0xF0 ? 4 : 3
                    var value = UInt32(byte & (length == 4 ? 0x07 : 0x0F))
                    for offset in 1..<min(length, count - index) {
                        value = value << 6 | UInt32(bytes[index + offset] & 0x3F)
                    }
                    let end = min(index + length, count)
                    if segment, isCJK(value) {
                        out.append(0x20)
                        out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[index..<end]))
                        out.append(0x20)
                    } else {
                        out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[index..<end]))
                    }
                    index = end
                    continue
                }
                out.append(byte)
                index += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func isTagStart(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte | 0x20) || byte == UInt8(ascii: "/")
            || byte == UInt8(ascii: "!") || byte == UInt8(ascii: "?")
    }

    private static let namedEntities: [String: Unicode.Scalar] = [
        "amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": " ",
    ]

    private static func entity(in bytes: UnsafeBufferPointer<UInt8>, at start: Int) -> (Unicode.Scalar, Int)? {
        var end = start + 1
        while end < bytes.count, end - start <= 10, bytes[end] != UInt8(ascii: ";") { end += 1 }
        guard end < bytes.count, bytes[end] == UInt8(ascii: ";"), end > start + 1 else { return nil }
        let name = String(decoding: UnsafeBufferPointer(rebasing: bytes[(start + 1)..<end]), as: UTF8.self)
        let length = end - start + 1
        if let scalar = namedEntities[name] { return (scalar, length) }
        if name.hasPrefix("#x") || name.hasPrefix("#X"), let value = UInt32(name.dropFirst(2), radix: 16),
            let scalar = Unicode.Scalar(value), value >= 0x20
        {
            return (scalar, length)
        }
        if name.hasPrefix("#"), let value = UInt32(name.dropFirst()), let scalar = Unicode.Scalar(value), value >= 0x20
        {
            return (scalar, length)
        }
        return nil
    }

    /// The FTS5 MATCH expression for what a person typed, or nil when it has nothing to look for.
    ///
    /// Words separated by spaces must all occur (AND); a CJK word is the phrase of its characters;
    /// a Latin word ending in `*` is a prefix.
    /// Quotes and FTS5 operators in the input are taken literally.
    package static func matchExpression(for query: String) -> String? {
        var parts: [String] = []
        for word in query.split(whereSeparator: { $0.isWhitespace }) {
            var prefix = false
            var text = Substring(word)
            if text.hasSuffix("*"), text.count > 1 { prefix = true; text = text.dropLast() }
            for piece in pieces(of: String(text)) {
                switch piece {
                case .cjk(let run):
                    parts.append(quote(run.map { String(Character($0)) }.joined(separator: " ")))
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
    package static func needles(for query: String) -> [String] {
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
            if isCJK(scalar.value) {
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

    /// An FTS5 string: quotes doubled, found as scalars (a `Character` may hide one behind a mark).
    private static func quote(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        out.append("\"")
        for scalar in text.unicodeScalars {
            out.append(scalar)
            if scalar == "\"" { out.append(scalar) }
        }
        out.append("\"")
        return String(out)
    }
}
