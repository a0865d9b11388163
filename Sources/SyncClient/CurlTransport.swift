import ArchiveModel
import CCurl
import CurlShim
import Foundation
import Synchronization

/// The libcurl transport: one easy handle per session, so its connection is reused (keep-alive)
/// from request to request.
///
/// Sets connect, stall and total timeouts; verifies TLS certificates and host names for https
/// URLs; lets libcurl undo gzip on answers and counts the decoded bytes, stopping the transfer
/// (and throwing `.tooLarge`) as soon as an answer passes the caller's limit, so a gzip bomb
/// cannot fill memory. Reads the server's `Date` header, for the clock skew a sync reports.
/// Not thread-safe: one session uses it from one thread. `send` blocks.
package final class CurlTransport: SyncTransport {
    package struct Options: Sendable {
        package var connectTimeout: Double = 10
        /// Abort a transfer that moves less than one byte a second for this long.
        package var stallTimeout: Double = 60
        /// Abort any one request after this long.
        package var requestTimeout: Double = 600
        /// A CA bundle to verify TLS certificates with, instead of the system's.
        package var caFile: String?
        package init() {}
    }

    private let handle: UnsafeMutableRawPointer
    /// Stops this transport's interruptible requests from another thread.
    package let interrupter: TransferInterrupter
    private var interrupt: OpaquePointer { interrupter.pointer }
    private let baseURL: String
    private let token: String?
    private let options: Options
    private static let userAgent = "archive-sync/0.1"
    private static let globalInit: Bool = curl_global_init(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK

    /// A transport for the server at `baseURL` (`http://host:port` or `https://…`, no trailing path).
    package init(baseURL: String, token: String?, options: Options = Options()) throws {
        guard Self.globalInit, let handle = curl_easy_init() else {
            throw SyncClientError(.configuration, "libcurl could not be initialised")
        }
        guard let interrupter = TransferInterrupter() else {
            curl_easy_cleanup(handle)
            throw SyncClientError(.configuration, "libcurl could not be initialised")
        }
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        guard base.hasPrefix("http://") || base.hasPrefix("https://") else {
            curl_easy_cleanup(handle)
            throw SyncClientError(.configuration, "\(baseURL) is not an http:// or https:// URL")
        }
        self.handle = handle
        self.interrupter = interrupter
        self.baseURL = base
        self.token = token
        self.options = options
    }

    // The handle's connection is closed through the interrupter's close callback: the
    // interrupter outlives it (this object holds it until after the cleanup).
    deinit { curl_easy_cleanup(handle) }

    /// What the write callback fills: the decoded answer, up to a limit.
    private final class Sink {
        var body: [UInt8] = []
        let limit: Int
        var exceeded = false
        init(limit: Int) { self.limit = limit }
    }

    private static let write: archive_sync_write_callback = { data, size, count, context in
        guard let data, let context else { return 0 }
        let sink = Unmanaged<Sink>.fromOpaque(context).takeUnretainedValue()
        let length = size * count
        if sink.body.count + length > sink.limit {
            sink.exceeded = true
            return 0
        }
        data.withMemoryRebound(to: UInt8.self, capacity: length) {
            sink.body.append(contentsOf: UnsafeBufferPointer(start: $0, count: length))
        }
        return length
    }

    package func send(_ request: HTTPRequest, maxResponseBytes: Int) throws -> HTTPResponse {
        curl_easy_reset(handle)  // keeps the open connection, clears the options
        let sink = Sink(limit: maxResponseBytes)
        let sinkPointer = Unmanaged.passRetained(sink)
        defer { sinkPointer.release() }
        var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)

        var headers: UnsafeMutablePointer<curl_slist>?
        var headerLines = request.headers.map { "\($0.name): \($0.value)" }
        if let token { headerLines.append("Authorization: Bearer \(token)") }
        headerLines.append("Expect:")  // no 100-continue round trip before a POST body
        headerLines.append("Accept:")  // nothing to negotiate: fewer bytes per request
        for line in headerLines { headers = curl_slist_append(headers, line) }
        defer { curl_slist_free_all(headers) }

        let url = baseURL + request.path
        let code: CURLcode = errorBuffer.withUnsafeMutableBufferPointer { errorPointer in
            setLong(CURLOPT_NOSIGNAL, 1)
            setLong(CURLOPT_TCP_KEEPALIVE, 1)
            setLong(CURLOPT_FOLLOWLOCATION, 0)
            setLong(CURLOPT_SSL_VERIFYPEER, 1)
            setLong(CURLOPT_SSL_VERIFYHOST, 2)
            setLong(CURLOPT_CONNECTTIMEOUT_MS, Int(options.connectTimeout * 1000))
            setLong(CURLOPT_TIMEOUT_MS, Int(options.requestTimeout * 1000))
            setLong(CURLOPT_LOW_SPEED_LIMIT, 1)
            setLong(CURLOPT_LOW_SPEED_TIME, max(1, Int(options.stallTimeout)))
            _ = archive_sync_setopt_string(handle, CURLOPT_URL, url)
            _ = archive_sync_setopt_string(handle, CURLOPT_USERAGENT, Self.userAgent)
            _ = archive_sync_setopt_string(handle, CURLOPT_ACCEPT_ENCODING, "gzip")
            if let caFile = options.caFile { _ = archive_sync_setopt_string(handle, CURLOPT_CAINFO, caFile) }
            archive_sync_interrupt_attach(handle, interrupt)
            archive_sync_interrupt_arm(interrupt, request.interruptible ? 1 : 0)
            _ = archive_sync_setopt_slist(handle, CURLOPT_HTTPHEADER, headers)
            _ = archive_sync_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorPointer.baseAddress)
            _ = archive_sync_setopt_write_callback(handle, Self.write)
            _ = archive_sync_setopt_pointer(handle, CURLOPT_WRITEDATA, sinkPointer.toOpaque())
            switch request.method {
            case .get:
                setLong(CURLOPT_HTTPGET, 1)
                return curl_easy_perform(handle)
            case .post:
                let body = request.body ?? []
                setLong(CURLOPT_POST, 1)
                _ = archive_sync_setopt_offset(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count))
                return body.withUnsafeBytes { bytes in
                    // libcurl reads the body from this pointer during perform: it stays valid until then.
                    _ = archive_sync_setopt_pointer(
                        handle, CURLOPT_POSTFIELDS, UnsafeMutableRawPointer(mutating: bytes.baseAddress))
                    return curl_easy_perform(handle)
                }
            }
        }
        var status = 0
        var uploaded: curl_off_t = 0
        var downloaded: curl_off_t = 0
        var headerSize = 0
        var requestSize = 0
        status = getLong(CURLINFO_RESPONSE_CODE)
        _ = archive_sync_getinfo_offset(handle, CURLINFO_SIZE_UPLOAD_T, &uploaded)
        _ = archive_sync_getinfo_offset(handle, CURLINFO_SIZE_DOWNLOAD_T, &downloaded)
        headerSize = getLong(CURLINFO_HEADER_SIZE)
        requestSize = getLong(CURLINFO_REQUEST_SIZE)
        let sent = requestSize + Int(uploaded)
        let received = headerSize + Int(downloaded)

        archive_sync_interrupt_arm(interrupt, 0)
        let date = serverDate()
        if code != CURLE_OK, archive_sync_interrupt_fired(interrupt) != 0,
            request.interruptible || interrupter.isStopped
        {
            throw SyncClientError(.interrupted, "the request was stopped from this side")
        }
        if code == CURLE_OK {
            return HTTPResponse(
                status: status, body: sink.body, bytesSent: sent, bytesReceived: received, serverDate: date)
        }
        let detail = errorBuffer.withUnsafeBufferPointer { buffer in
            buffer.baseAddress.map { String(cString: $0) } ?? ""
        }
        let reason = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
        if sink.exceeded {
            throw SyncClientError(
                .tooLarge,
                "the answer of \(baseURL) to \(request.path) grew past \(maxResponseBytes) bytes once decompressed, "
                    + "more than the request allows; the server is broken or hostile, so the sync stopped")
        }
        // The answer started but was cut: give the caller what arrived (a pull keeps whole lines).
        if status > 0,
            [CURLE_PARTIAL_FILE, CURLE_RECV_ERROR, CURLE_OPERATION_TIMEDOUT, CURLE_BAD_CONTENT_ENCODING].contains(code)
        {
            return HTTPResponse(
                status: status, body: sink.body, bytesSent: sent, bytesReceived: received, complete: false,
                serverDate: date)
        }
        let retryable: Set<CURLcode> = [
            CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_OPERATION_TIMEDOUT, CURLE_SEND_ERROR,
            CURLE_RECV_ERROR, CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE,
        ]
        let tls: Set<CURLcode> = [CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CONNECT_ERROR, CURLE_SSL_CACERT_BADFILE]
        if tls.contains(code) {
            throw SyncClientError(.configuration, "the TLS connection to \(baseURL) failed: \(reason)")
        }
        throw SyncClientError(
            .transport, "\(request.method.rawValue) \(url) failed: \(reason)", isRetryable: retryable.contains(code))
    }

    /// The time of the last answer's `Date` header, in Unix milliseconds (whole seconds).
    private func serverDate() -> Int64? {
        var header: UnsafeMutablePointer<curl_header>?
        guard curl_easy_header(handle, "Date", 0, UInt32(CURLH_HEADER), -1, &header) == CURLHE_OK,
            let value = header?.pointee.value
        else { return nil }
        // A hostile date must not overflow: anything past what an hlc can hold is no date.
        let seconds = Int64(curl_getdate(value, nil))
        guard seconds > 0, seconds < HybridTimestamp.maxMilliseconds / 1000 else { return nil }
        return seconds * 1000
    }

    private func setLong(_ option: CURLoption, _ value: Int) {
        _ = archive_sync_setopt_long(handle, option, value)
    }

    private func getLong(_ info: CURLINFO) -> Int {
        var value = 0
        _ = archive_sync_getinfo_long(handle, info, &value)
        return value
    }
}

/// Stops a `CurlTransport`'s interruptible request (a pull the server holds until it has
/// something new) from any thread: at once if one is in progress, else the next one that starts,
/// until `clear`. Requests that are not interruptible are never stopped.
package final class TransferInterrupter: @unchecked Sendable {
    // The C object locks its own state; this class only owns it.
    let pointer: OpaquePointer

    init?() {
        guard let pointer = archive_sync_interrupt_new() else { return nil }
        self.pointer = pointer
    }

    deinit { archive_sync_interrupt_free(pointer) }

    package func interrupt() { archive_sync_interrupt_fire(pointer) }

    /// Stops the request in progress whatever it is, and every later one: the program is stopping.
    package func stop() {
        stopped.withLock { $0 = true }
        archive_sync_interrupt_force(pointer)
    }

    package var isStopped: Bool { stopped.withLock { $0 } }
    private let stopped = Mutex(false)

    /// Forgets an earlier `interrupt`; returns whether there was one.
    @discardableResult
    package func clear() -> Bool { archive_sync_interrupt_reset(pointer) != 0 }
}
