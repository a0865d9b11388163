import Foundation
import Hummingbird
import NIOCore
import ServiceLifecycle

#if canImport(Glibc)
import Glibc
#endif

/// One of the server's applications (the protocol's, or the metrics' on `--metrics-bind`) as a
/// service that says in a sentence why it could not listen, instead of NIO's `IOError`.
struct ListeningService<App: ApplicationProtocol>: Service {
    let app: App
    let address: ListenAddress
    /// The option that chose the port, named in the hint.
    let option: String

    func run() async throws {
        do {
            try await app.run()
        } catch {
            throw SyncServerError(listening: error, on: address, option: option) ?? error
        }
    }
}

extension SyncServerError {
    /// The sentence for a failure to listen on `address`, or nil for an error of another kind.
    init?(listening error: any Error, on address: ListenAddress, option: String) {
        let reason: String
        switch error {
        case let error as IOError:
            switch error.errnoCode {
            case EADDRINUSE:
                reason = "the port is already in use (another archive-sync serve?); choose another with \(option)"
            case EACCES:
                reason =
                    "this process may not use that port (ports below 1024 need privileges); choose another with \(option)"
            case EADDRNOTAVAIL:
                reason = "the address is not one of this machine's"
            default:
                reason = String(cString: strerror(error.errnoCode)).lowercased()
            }
        case is SocketAddressError:
            reason = "the host name does not resolve to an address"
        default:
            return nil
        }
        self.init(
            .cannotListen, "cannot listen on \(address): \(reason)", context: address.description, underlying: error)
    }
}
