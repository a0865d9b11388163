/// One HTTP exchange of a sync session.
package struct HTTPRequest: Sendable {
    package enum Method: String, Sendable { case get = "GET", post = "POST" }

    package var method: Method
    /// The path after the base URL, e.g. `/v1/pull`.
    package var path: String
    package var headers: [(name: String, value: String)]
    package var body: [UInt8]?
    /// Whether the transport's interruption may stop it (a pull the server holds until it has
    /// something new): it then throws `.interrupted`.
    package var interruptible: Bool

    package init(
        method: Method, path: String, headers: [(name: String, value: String)] = [], body: [UInt8]? = nil,
        interruptible: Bool = false
    ) {
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body
        self.interruptible = interruptible
    }
}

/// The answer: status, the body as decoded (gzip undone), and the bytes that crossed the wire.
package struct HTTPResponse: Sendable {
    package var status: Int
    package var body: [UInt8]
    /// Request line, headers and body as sent.
    package var bytesSent: Int
    /// Status line, headers and body as received (compressed).
    package var bytesReceived: Int
    /// False when the body ended early (the connection was cut after the headers).
    package var complete: Bool
    /// The server's clock when it answered, in Unix milliseconds, from its `Date` header (which
    /// counts whole seconds); nil when it sent none. Only ever reported (protocol/CLOCKS.md).
    package var serverDate: Int64?

    package init(
        status: Int, body: [UInt8], bytesSent: Int = 0, bytesReceived: Int = 0, complete: Bool = true,
        serverDate: Int64? = nil
    ) {
        self.status = status
        self.body = body
        self.bytesSent = bytesSent
        self.bytesReceived = bytesReceived
        self.complete = complete
        self.serverDate = serverDate
    }
}

/// How a sync session talks to a server: `CurlTransport` in real use.
///
/// `send` blocks until the exchange ends. It throws `SyncClientError` with `.transport` when no
/// answer came (retryable when a retry may help); an answer with any status is returned, marked
/// incomplete when it was cut off. A body growing past `maxResponseBytes` (after decompression)
/// is a broken or hostile server: the transfer stops there, before more is held in memory, and
/// `send` throws `.tooLarge` (not retryable).
package protocol SyncTransport: AnyObject {
    func send(_ request: HTTPRequest, maxResponseBytes: Int) throws -> HTTPResponse
}
