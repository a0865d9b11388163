import ArchiveModel
import TestSupport
import Testing

@testable import ArticleProjector

/// The row form of register heads and tag adds, past the counts two bytes can hold.
struct RegisterCodecTests {
    static func heads(_ count: Int) -> [RegisterHead] {
        let hash = SHA256Digest.of(Array("value".utf8))
        return (1...count).map { seq in
            RegisterHead(
                dot: Dot(origin: EventFactory.origin(seq % 7 + 1), seq: seq),
                hlc: HybridTimestamp(milliseconds: Int64(seq), counter: 0), valueHash: hash)
        }
    }

    @Test(arguments: [0x10000])
    func headCountsPastTwoBytesRoundTrip(count: Int) throws {
        let registers: [Field: Register] = [
            .title: Register(heads: Self.heads(count), value: .text("t")),
            .note: Register(heads: Self.heads(3), value: .text("n")),
        ]
        let decoded = try RegisterCodec.decodeHeads(RegisterCodec.encodeHeads(registers))
        #expect(decoded[.title]?.count == count)
        #expect(decoded[.title] == registers[.title]?.heads)
        #expect(decoded[.note] == registers[.note]?.heads)
    }

    @Test func tagAddCountsPastTwoBytesRoundTrip() throws {
        let dots = Set(Self.heads(0xFFFF).map(\.dot))
        let tagAdds: [ArchiveModel.Tag: Set<Dot>] = [
            ArchiveModel.Tag("korea"): dots, ArchiveModel.Tag("asia"): [Dot(origin: EventFactory.origin(1), seq: 1)],
        ]
        let decoded = try RegisterCodec.decodeTagAdds(RegisterCodec.encodeTagAdds(tagAdds))
        #expect(decoded == tagAdds)
    }

    /// A row written before the escape existed (counts in two bytes) reads the same.
    @Test func aRowWrittenWithTwoByteCountsStillReads() throws {
        let origin = EventFactory.origin(1)
        var row: [UInt8] = [UInt8(Field.allCases.firstIndex(of: .title) ?? 0), 0x00, 0x02]
        for seq in 1...2 {
            row += Hex.decode(origin.hex, count: 16) ?? []
            row += [0, 0, 0, UInt8(seq)]
            row += withUnsafeBytes(
                of: HybridTimestamp(milliseconds: Int64(seq), counter: 0).packed.bigEndian, Array.init)
            row += SHA256Digest.of([UInt8(seq)]).bytes
        }
        let heads = try RegisterCodec.decodeHeads(row)
        #expect(heads[.title]?.map(\.dot.seq) == [1, 2])
        #expect(RegisterCodec.encodeHeads([.title: Register(heads: heads[.title] ?? [], value: .text(""))]) == row)
    }

    @Test func aCountLargerThanItsRowIsRefused() {
        let row: [UInt8] = [0, 0xFF, 0xFF, 0x7F, 0xFF, 0xFF, 0xFF]
        #expect(throws: ArticleProjectorError.self) { try RegisterCodec.decodeHeads(row) }
    }
}
