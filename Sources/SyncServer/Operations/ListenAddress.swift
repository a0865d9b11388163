/// A host and port to listen on, as `--metrics-bind` takes it: `HOST:PORT`, or `[IPv6]:PORT`.
package struct ListenAddress: Sendable, Equatable, CustomStringConvertible {
    package var host: String
    package var port: Int

    package init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `HOST:PORT`; throws `SyncServerError(.invalidAddress)` with a sentence for anything
    /// else (no port, a port past 65535, a host with spaces or controls).
    package init(parsing text: String) throws {
        let invalid = SyncServerError(
            .invalidAddress, "\"\(text)\" is not HOST:PORT (for example 127.0.0.1:9090 or [::1]:9090)")
        guard text.utf8.count <= 300, let colon = text.lastIndex(of: ":") else { throw invalid }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard let port = Int(text[text.index(after: colon)...]), (0...65_535).contains(port), !host.isEmpty,
            host.unicodeScalars.allSatisfy({ $0.isASCII && $0.value > 0x20 && $0.value < 0x7F && $0 != "/" })
        else { throw invalid }
        self.init(host: host, port: port)
    }

    package var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
