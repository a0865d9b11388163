import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import WireProtocol

/// A request body as it arrived, before decompression.
struct ReceivedBody: Sendable {
    var bytes: [UInt8]
    var gzip: Bool
}

extension SyncRoutes {
    /// Reads the request body as sent, within the limits of SPEC.md: a `Content-Encoding` other
    /// than gzip or identity is `415`, a `Content-Length` past max_request_bytes is `413` before a
    /// byte is read, a body that grows past it is `413`, and a body still arriving after
    /// `bodyTimeout` is `408 request-timeout`.
    func receive(_ request: Request, limit: Int? = nil) async throws -> ReceivedBody {
        let encoding = request.headers[.contentEncoding]?.lowercased().trimmingCharacters(in: .whitespaces)
        guard encoding == nil || encoding == "gzip" || encoding == "identity" else {
            throw WireProtocolError(
                .unsupportedEncoding, "Content-Encoding \(encoding ?? "") is not accepted; send gzip or identity")
        }
        let limit = limit ?? limits.maxRequestBytes
        if let length = request.headers[.contentLength], let bytes = Int(length), bytes > limit {
            throw WireProtocolError(
                .tooLarge, "the request body is \(bytes) bytes; this server accepts at most \(limit) bytes as sent")
        }
        let timeout = bodyTimeout
        let buffer = try await withThrowingTaskGroup(of: ByteBuffer?.self) { group in
            group.addTask { try await request.body.collect(upTo: limit) }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let buffer = first else {
                throw WireProtocolError(
                    .requestTimeout,
                    "the request body did not arrive within \(timeout.components.seconds) seconds; send it again over a faster link"
                )
            }
            return buffer
        }
        return ReceivedBody(bytes: Array(buffer.readableBytesView), gzip: encoding == "gzip")
    }

    /// The body decompressed when it says gzip, at most `limit` bytes (max_decompressed_bytes
    /// unless given; `413` past it).
    func decoded(_ body: ReceivedBody, limit: Int? = nil) throws -> [UInt8] {
        let limit = limit ?? limits.maxDecompressedBytes
        guard body.gzip else {
            if body.bytes.count > limit {
                throw WireProtocolError(.tooLarge, "the request body is larger than \(limit) bytes")
            }
            return body.bytes
        }
        return try Gzip.decompress(body.bytes, limit: limit)
    }
}
