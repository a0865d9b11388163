import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import WireProtocol

/// One log line per request: method, path, status, time taken.
struct RequestLogMiddleware<Context: RequestContext>: RouterMiddleware {
    let logger: Logger

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let start = ContinuousClock.now
        do {
            let response = try await next(request, context)
            log(request, status: response.status.code, since: start)
            return response
        } catch {
            let status = (error as? HTTPResponseError)?.status.code ?? 500
            log(request, status: status, since: start)
            throw error
        }
    }

    private func log(_ request: Request, status: Int, since start: ContinuousClock.Instant) {
        let elapsed = start.duration(to: .now)
        let milliseconds = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        let peer = request.headers[.userAgent] ?? "-"
        logger.info(
            "\(request.method) \(request.uri.path) \(status) \(String(format: "%.1f", milliseconds)) ms \(peer)")
    }
}

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
            WireProtocol.Path.pull: "POST",
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
        let id = String(UInt64.random(in: 0...UInt64.max), radix: 16)
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
            case .notFound where ProtocolErrorMiddleware<BasicRequestContext>.allowedMethods[path] != nil:
                self.init(.methodNotAllowed, "\(path) does not answer \(request.method)")
            case .notFound:
                self.init(
                    .notFound,
                    "there is no \(path); protocol version \(WireProtocol.version) answers /v1/health, /v1/info, /v1/push and /v1/pull"
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
