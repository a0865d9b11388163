import ArchiveModel
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Replica
import SyncBookkeeping
import WireProtocol

extension SyncRoutes {
    /// Refuses a request without the protocol header or with a version this server does not speak.
    func checkVersion(_ request: Request) throws {
        let supported = WireProtocol.supportedVersions.map(String.init).joined(separator: ", ")
        guard let value = request.headers[Self.versionHeader] else {
            throw WireProtocolError(
                .unsupportedVersion,
                "the request has no \(WireProtocol.versionHeader) header; this server speaks protocol version \(supported)"
            )
        }
        guard let version = Int(value.trimmingCharacters(in: .whitespaces)),
            WireProtocol.supportedVersions.contains(version)
        else {
            throw WireProtocolError(
                .unsupportedVersion,
                "protocol version \(value) is not spoken here; this server speaks version \(supported)")
        }
    }

    /// Checks the bearer token (the scheme is case-insensitive, RFC 7235) and its scope.
    func authorize(_ request: Request, for scope: TokenScope) async throws {
        guard let header = request.headers[.authorization] else {
            if allowAnonymous { return }
            throw WireProtocolError(.unauthorized, "this server needs a bearer token (Authorization: Bearer …)")
        }
        guard let secret = Self.bearerToken(header) else {
            throw WireProtocolError(.unauthorized, "the Authorization header must be \"Bearer <token>\"")
        }
        guard let token = try await replica.authenticate(secret) else {
            throw WireProtocolError(.unauthorized, "the token is unknown or revoked")
        }
        RequestRecord.current?.note(token: token.name)
        if token.scope < scope {
            throw WireProtocolError(
                .forbidden, "the token \(token.name) may only read; pushing needs a token with the write scope")
        }
    }

    /// The token of `Bearer <token>`, the scheme in any case; nil for another scheme or no token.
    static func bearerToken(_ header: String) -> String? {
        let bytes = Array(header.utf8)
        let scheme = Array("bearer".utf8)
        guard bytes.count > scheme.count, bytes[scheme.count] == 0x20,
            zip(bytes, scheme).allSatisfy({ $0 | 0x20 == $1 })
        else { return nil }
        let rest = bytes[(scheme.count + 1)...].drop { $0 == 0x20 || $0 == 0x09 }
        let token = rest.reversed().drop { $0 == 0x20 || $0 == 0x09 }.reversed()
        guard !token.isEmpty else { return nil }
        return String(decoding: token, as: UTF8.self)
    }

    /// A JSON response, gzip-compressed when the client accepts it.
    func json(_ value: JSONValue, for request: Request) throws -> Response {
        var bytes: [UInt8] = []
        value.write(to: &bytes, sortKeys: false)
        bytes.append(0x0A)
        var headers: HTTPFields = [.contentType: WireProtocol.jsonContentType, .vary: "Accept-Encoding"]
        if AcceptEncoding(request.headers[.acceptEncoding]).acceptsGzip {
            bytes = try Gzip.compress(bytes)
            headers[.contentEncoding] = "gzip"
        }
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
