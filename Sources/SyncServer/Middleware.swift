import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import WireProtocol

/// Turns every failure into the documented `{"error", "message"}` body with its status (the one
/// place where errors meet HTTP), and the router's own 404 into `not-found` (or
/// `method-not-allowed` with `Allow` on a known path).
///
/// An `internal` failure goes to the peer as a generic sentence with a request id; its detail
/// (which may hold SQL or file paths) goes only to the server's log under that id.
struct ProtocolErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    let logger: Logger

    /// The methods each path answers, for `Allow` on a 405.
    static var allowedMethods: [String: String] {
        [
            WireProtocol.Path.health: "GET, HEAD", WireProtocol.Path.info: "GET", WireProtocol.Path.push: "POST",
            WireProtocol.Path.pull: "POST", SyncRoutes.metricsPath: "GET",
        ]
    }

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            return response(for: WireProtocolError(error, request: request), request)
        }
    }

    private func response(for error: WireProtocolError, _ request: Request) -> Response {
        guard error.code == .internal || error.status >= 500 && error.code != .busy else {
            var response = Self.response(error)
            if error.code == .methodNotAllowed, let allow = Self.allowedMethods[request.uri.path] {
                response.headers[.allow] = allow
            }
            if error.code == .unauthorized {
                response.headers[.wwwAuthenticate] = #"Bearer realm="archive-sync""#
            }
            return response
        }
        let id = RequestRecord.current?.id ?? RequestID.make()
        logger.error("request \(id) (\(request.method) \(request.uri.path)) failed: \(error.message)")
        return Self.response(
            WireProtocolError(
                .internal, "the server failed on request \(id); try again later, or ask its operator to read its log"))
    }

    static func response(_ error: WireProtocolError) -> Response {
        var bytes: [UInt8] = []
        error.json.write(to: &bytes, sortKeys: false)
        bytes.append(0x0A)
        return Response(
            status: HTTPResponse.Status(code: error.status),
            headers: [.contentType: WireProtocol.jsonContentType],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}

extension WireProtocolError {
    /// The protocol error for anything a route or the router threw.
    init(_ error: any Error, request: Request) {
        switch error {
        case let error as WireProtocolError:
            self = error
        case is NIOTooManyBytesError:
            self.init(.tooLarge, "the request body is larger than the server accepts")
        case let error as HTTPError:
            let path = request.uri.path
            switch error.status {
            case .notFound where ProtocolErrorMiddleware<SyncRequestContext>.allowedMethods[path] != nil:
                self.init(.methodNotAllowed, "\(path) does not answer \(request.method)")
            case .notFound:
                self.init(
                    .notFound,
                    "there is no \(path); this server answers /v1/health, /v1/info, /v1/push and /v1/pull (protocol version \(WireProtocol.version)) and /metrics"
                )
            case .contentTooLarge:
                self.init(.tooLarge, "the request body is larger than the server accepts")
            case let status where status.code >= 500:
                self.init(.internal, "the router failed: \(error)")
            default:
                self.init(.malformedRequest, error.body ?? "the request was refused", status: error.status.code)
            }
        default:
            self.init(caught: error)
        }
    }
}
