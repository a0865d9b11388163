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

/// Turns every failure into the documented `{"error", "message"}` body with its status, and the
/// router's own 404 into `not-found` (or `method-not-allowed` on a known path).
struct ProtocolErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    static var knownPaths: Set<String> {
        [WireProtocol.Path.health, WireProtocol.Path.info, WireProtocol.Path.push, WireProtocol.Path.pull]
    }

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as WireProtocolError {
            return Self.response(error)
        } catch is NIOTooManyBytesError {
            return Self.response(WireProtocolError(.tooLarge, "the request body is larger than the server accepts"))
        } catch let error as HTTPError {
            switch error.status {
            case .notFound where Self.knownPaths.contains(request.uri.path):
                return Self.response(
                    WireProtocolError(.methodNotAllowed, "\(request.uri.path) does not answer \(request.method)"))
            case .notFound:
                return Self.response(
                    WireProtocolError(
                        .notFound,
                        "there is no \(request.uri.path); protocol version 1 answers /v1/health, /v1/info, /v1/push and /v1/pull"
                    ))
            case .contentTooLarge:
                return Self.response(WireProtocolError(.tooLarge, "the request body is larger than the server accepts"))
            default:
                return Self.response(
                    WireProtocolError(
                        .malformedRequest, error.body ?? "the request was refused", status: error.status.code))
            }
        } catch {
            return Self.response(WireProtocolError(mapping: error))
        }
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
