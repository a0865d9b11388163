import CompressNIO
import NIOCore

/// gzip (RFC 1952) for request and response bodies, through the system zlib (compress-nio).
public enum Gzip {
    /// True when `bytes` start with the gzip magic number.
    public static func isGzip(_ bytes: [UInt8]) -> Bool { bytes.count >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B }

    /// The gzip form of `bytes`.
    public static func compress(_ bytes: [UInt8]) throws -> [UInt8] {
        var input = ByteBuffer(bytes: bytes)
        let output = try input.compress(with: .gzip())
        return Array(output.readableBytesView)
    }

    /// Decompresses a whole gzip body, refusing to produce more than `limit` bytes.
    ///
    /// Throws `bad-gzip` for a truncated or corrupt body and `too-large` past the limit (a gzip
    /// bomb is refused without ever holding more than `limit` bytes).
    public static func decompress(_ bytes: [UInt8], limit: Int) throws -> [UInt8] {
        var input = ByteBuffer(bytes: bytes)
        do {
            let output = try input.decompress(with: .gzip(), maxSize: limit)
            return Array(output.readableBytesView)
        } catch let error as CompressNIOError where error == .bufferOverflow {
            throw WireProtocolError(.tooLarge, "the body decompresses to more than \(limit) bytes")
        } catch {
            throw WireProtocolError(.badGzip, "the gzip body is truncated or corrupt (\(error))")
        }
    }

    /// A gzip stream written piece by piece (the server's pull pages): each `write` returns the
    /// compressed bytes ready to send, flushed so the reader can decode them at once.
    public final class Stream {
        private let compressor: NIOCompressor

        public init() throws {
            compressor = CompressionAlgorithm.gzip().compressor
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
