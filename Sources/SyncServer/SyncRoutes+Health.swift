import ArchiveModel
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import WireProtocol

extension SyncRoutes {
    /// `GET /v1/health`: whether the replica file answers a real query (the journal's heads and the
    /// articles' digest, a few rows), with the version of archive-sync and the protocol versions.
    ///
    /// `200 {"status": "ok", …}` when it answers; `503 {"status": "unavailable", "error":
    /// "unavailable", "message": …, …}` when it does not. The message names the request id; why
    /// the file did not answer (which may hold paths) goes only to the server's log.
    func health(_ request: Request) async -> Response {
        var fields: [(String, JSONValue)] = [
            ("protocol", .array(WireProtocol.supportedVersions.map { .integer(Int64($0)) })),
            ("version", .string(version)),
        ]
        do {
            _ = try await replica.knowledgeAndDigest()
            fields.insert(("status", .string("ok")), at: 0)
            return (try? json(.object(fields), for: request)) ?? Self.plainJSON(.object(fields), status: .ok)
        } catch {
            let id = RequestRecord.current?.id ?? RequestID.make()
            logger.error("request \(id): the replica file does not answer: \(error)")
            fields.insert(contentsOf: [("status", .string("unavailable")), ("error", .string("unavailable"))], at: 0)
            fields.append(
                (
                    "message",
                    .string(
                        "the replica file does not answer (request \(id)); the server's log says why"
                    )
                ))
            return Self.plainJSON(.object(fields), status: .serviceUnavailable)
        }
    }

    /// A JSON answer, not compressed.
    static func plainJSON(_ value: JSONValue, status: HTTPResponse.Status) -> Response {
        var bytes: [UInt8] = []
        value.write(to: &bytes, sortKeys: false)
        bytes.append(0x0A)
        return Response(
            status: status, headers: [.contentType: WireProtocol.jsonContentType, .vary: "Accept-Encoding"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
