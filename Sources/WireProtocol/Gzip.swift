import CompressNIO
import NIOCore

/// gzip (RFC 1952) for request and response bodies, through the system zlib (compress-nio).
public enum Gzip {
    /// True when `bytes` start with the gzip magic number.
    public static func isGzip(_ bytes: [UInt8]) -> Bool { bytes.count >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B }

    /// zlib's fastest level: four times faster than its default for about 14% more bytes on
    /// news text, which keeps bulk syncs bound by the network and the database, not by gzip.
    static let fast = CompressionAlgorithm.gzip(configuration: ZlibConfiguration(compressionLevel: .fastestCompression))

    /// The gzip form of `bytes`.
    public static func compress(_ bytes: [UInt8]) throws -> [UInt8] {
        var input = ByteBuffer(bytes: bytes)
        let output = try input.compress(with: fast)
        return Array(output.readableBytesView)
    }

    /// Decompresses a whole gzip body, refusing to produce more than `limit` bytes.
    ///
    /// Throws `bad-gzip` for a truncated or corrupt body (zlib checks the trailer's CRC-32, and
    /// the length it gives must match what was inflated) and `too-large` as soon as the output passes the limit, so a gzip
    /// bomb is refused without ever holding more than `limit` bytes.
    public static func decompress(_ bytes: [UInt8], limit: Int) throws -> [UInt8] {
        guard isGzip(bytes), bytes.count >= 18 else {
            throw WireProtocolError(.badGzip, "the body says gzip but is not a gzip stream")
        }
        var input = ByteBuffer(bytes: bytes)
        var output: [UInt8] = []
        let decompressor = CompressionAlgorithm.gzip().decompressor
        decompressor.window = ByteBufferAllocator().buffer(capacity: 64 << 10)
        do {
            try decompressor.startStream()
            try input.decompressStream(with: decompressor) { window in
                guard output.count + window.readableBytes <= limit else {
                    throw WireProtocolError(.tooLarge, "the body decompresses to more than \(limit) bytes")
                }
                output.append(contentsOf: window.readableBytesView)
            }
            try decompressor.finishStream()
        } catch let error as WireProtocolError {
            throw error
        } catch {
            throw WireProtocolError(.badGzip, "the gzip body is truncated or corrupt (\(error))")
        }
        // zlib checks the trailer's CRC-32 when the stream ends; a stream cut short never ends,
        // so check the length (mod 2^32) the trailer gives, which the cut-off tail cannot match.
        let trailer = Array(bytes.suffix(4))
        let size = trailer.reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        guard size == UInt32(truncatingIfNeeded: output.count) else {
            throw WireProtocolError(.badGzip, "the gzip body is truncated or corrupt (its length does not match)")
        }
        return output
    }

    /// A gzip stream written piece by piece (the server's pull pages): each `write` returns the
    /// compressed bytes ready to send, flushed so the reader can decode them at once.
    public final class Stream {
        private let compressor: NIOCompressor

        public init() throws {
            compressor = Gzip.fast.compressor
            try compressor.startStream()
        }

        public func write(_ bytes: [UInt8]) throws -> ByteBuffer {
            var input = ByteBuffer(bytes: bytes)
            return try input.compressStream(with: compressor, flush: .sync)
        }

        /// The end of the stream (the gzip trailer).
        public func finish() throws -> ByteBuffer {
            var input = ByteBuffer()
            let tail = try input.compressStream(with: compressor, flush: .finish)
            try compressor.finishStream()
            return tail
        }
    }
}
