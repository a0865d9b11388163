import Hummingbird
import NIOCore

/// The request context of the server's routes: what Hummingbird needs, and the address of the
/// client (for the access log).
package struct SyncRequestContext: RequestContext, RemoteAddressRequestContext {
    package var coreContext: CoreRequestContextStorage
    /// The client's address; nil when the request did not come over a socket (tests in process).
    package let remoteAddress: SocketAddress?

    package init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }

    /// The client as the log shows it: `IP:PORT` (`[IPv6]:PORT`), a socket path, or `-`.
    var client: String {
        guard let remoteAddress else { return "-" }
        if let ip = remoteAddress.ipAddress {
            let port = remoteAddress.port.map(String.init) ?? "-"
            return ip.contains(":") ? "[\(ip)]:\(port)" : "\(ip):\(port)"
        }
        return remoteAddress.pathname ?? "-"
    }
}
