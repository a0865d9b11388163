/*
 The binary form of an article's register heads and tag adds, stored in its row
 (article.heads, article.tag_adds) so that applying an event reads and writes one row.

   heads     repeated: field (1 byte, index in Field.allCases), head count (a count, below), then
             per head: origin (16 bytes), seq (4 bytes, big-endian), hlc (8 bytes, packed,
             big-endian), value hash (32 bytes)
   tag_adds  repeated: tag length (2 bytes, big-endian; a tag holds at most 100 bytes), tag
             (UTF-8), add count (a count, below), then per add: origin (16 bytes), seq (4 bytes)
   count     below 0xFFFF: 2 bytes, big-endian. From 0xFFFF on: the escape 0xFFFF, then the count
             in 4 bytes, big-endian. Rows written before the escape existed stored every count in
             2 bytes, which wrapped past 65,535 (corrupting the row); they read the same as long as
             no count was exactly 65,535, and `archive-sync rebuild` rewrites any row from the
             journal. Counts above UInt32.max cannot occur: seqs are at most Int32.max per origin.

 Fields and tags are written in sorted order and heads and adds sorted by dot, so equal states
 give equal bytes.
*/
import ArchiveModel

/// Encodes and decodes the heads and tag adds of an `ArticleState` for its row.
enum RegisterCodec {
    static func encodeHeads(_ registers: [Field: Register]) -> [UInt8] {
        var out: [UInt8] = []
        for (index, field) in Field.allCases.enumerated() {
            guard let heads = registers[field]?.heads, !heads.isEmpty else { continue }
            out.append(UInt8(index))
            appendCount(heads.count, to: &out)
            for head in heads.sorted(by: { $0.dot < $1.dot }) {
                appendOrigin(head.dot.origin, to: &out)
                appendInteger(UInt64(head.dot.seq), bytes: 4, to: &out)
                appendInteger(UInt64(bitPattern: head.hlc.packed), bytes: 8, to: &out)
                out.append(contentsOf: head.valueHash.bytes)
            }
        }
        return out
    }

    static func decodeHeads(_ bytes: [UInt8]) throws -> [Field: [RegisterHead]] {
        var reader = Reader(bytes: bytes)
        var heads: [Field: [RegisterHead]] = [:]
        while !reader.isAtEnd {
            let fieldIndex = Int(try reader.byte())
            guard fieldIndex < Field.allCases.count else { throw corrupt("an unknown field in register heads") }
            let field = Field.allCases[fieldIndex]
            let count = try reader.count()
            for _ in 0..<count {
                let origin = try reader.origin()
                let seq = Int(try reader.integer(4))
                let hlc = HybridTimestamp(packed: Int64(bitPattern: try reader.integer(8)))
                guard let hash = SHA256Digest(bytes: try reader.take(32)) else { throw corrupt("a short value hash") }
                heads[field, default: []].append(
                    RegisterHead(dot: Dot(origin: origin, seq: seq), hlc: hlc, valueHash: hash))
            }
        }
        return heads
    }

    static func encodeTagAdds(_ tagAdds: [Tag: Set<Dot>]) -> [UInt8] {
        var out: [UInt8] = []
        for tag in tagAdds.keys.sorted() {
            let text = Array(tag.text.utf8)
            let dots = (tagAdds[tag] ?? []).sorted()
            appendInteger(UInt64(text.count), bytes: 2, to: &out)
            out.append(contentsOf: text)
            appendCount(dots.count, to: &out)
            for dot in dots {
                appendOrigin(dot.origin, to: &out)
                appendInteger(UInt64(dot.seq), bytes: 4, to: &out)
            }
        }
        return out
    }

    static func decodeTagAdds(_ bytes: [UInt8]) throws -> [Tag: Set<Dot>] {
        var reader = Reader(bytes: bytes)
        var tagAdds: [Tag: Set<Dot>] = [:]
        while !reader.isAtEnd {
            let length = Int(try reader.integer(2))
            guard let text = String(validating: try reader.take(length), as: UTF8.self) else {
                throw corrupt("a tag that is not UTF-8")
            }
            let count = try reader.count()
            var dots = Set<Dot>()
            for _ in 0..<count { dots.insert(Dot(origin: try reader.origin(), seq: Int(try reader.integer(4)))) }
            tagAdds[Tag(text)] = dots
        }
        return tagAdds
    }

    private static func appendOrigin(_ origin: OriginID, to out: inout [UInt8]) {
        out.append(contentsOf: Hex.decode(origin.hex, count: 16) ?? [UInt8](repeating: 0, count: 16))
    }

    /// The escape that announces a 4-byte count.
    static let countEscape: UInt64 = 0xFFFF

    private static func appendCount(_ count: Int, to out: inout [UInt8]) {
        if UInt64(count) < countEscape {
            appendInteger(UInt64(count), bytes: 2, to: &out)
        } else {
            appendInteger(countEscape, bytes: 2, to: &out)
            appendInteger(UInt64(count), bytes: 4, to: &out)
        }
    }

    private static func appendInteger(_ value: UInt64, bytes: Int, to out: inout [UInt8]) {
        for shift in stride(from: (bytes - 1) * 8, through: 0, by: -8) {
            out.append(UInt8(truncatingIfNeeded: value >> UInt64(shift)))
        }
    }

    private static func corrupt(_ what: String) -> ArticleProjectorError {
        ArticleProjectorError(.corruptRow, "an article row holds \(what)")
    }

    private struct Reader {
        let bytes: [UInt8]
        var index = 0
        var isAtEnd: Bool { index >= bytes.count }

        mutating func take(_ count: Int) throws -> [UInt8] {
            guard index + count <= bytes.count else { throw RegisterCodec.corrupt("truncated register data") }
            defer { index += count }
            return Array(bytes[index..<(index + count)])
        }

        mutating func byte() throws -> UInt8 { try take(1)[0] }

        mutating func integer(_ count: Int) throws -> UInt64 {
            try take(count).reduce(0) { $0 << 8 | UInt64($1) }
        }

        mutating func count() throws -> Int {
            let short = try integer(2)
            let count = short == RegisterCodec.countEscape ? try integer(4) : short
            // Each counted item takes at least 20 bytes: a count the row cannot hold is corrupt.
            guard count <= UInt64(bytes.count - index) / 20 else { throw RegisterCodec.corrupt("a count past its end") }
            return Int(count)
        }

        mutating func origin() throws -> OriginID {
            OriginID(uncheckedHex: Hex.encode(try take(16)))
        }
    }
}
