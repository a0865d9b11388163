import HTTPTypes
import Hummingbird
import NIOCore

/// The request body as it arrives, each buffer counted into the request's record.
struct CountedRequestBody: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let base: RequestBody
    let record: RequestRecord

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: RequestBody.AsyncIterator
        let record: RequestRecord

        mutating func next() async throws -> ByteBuffer? {
            let buffer = try await base.next()
            if let buffer { record.count(bytesIn: buffer.readableBytes) }
            return buffer
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: base.makeAsyncIterator(), record: record)
    }
}

/// A response body writer that counts the bytes it passes on into the request's record.
struct CountingBodyWriter: ResponseBodyWriter {
    var parent: any ResponseBodyWriter
    let record: RequestRecord

    mutating func write(_ buffer: ByteBuffer) async throws {
        try await parent.write(buffer)
        record.count(bytesOut: buffer.readableBytes)
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {
        try await parent.finish(trailingHeaders)
    }
}
