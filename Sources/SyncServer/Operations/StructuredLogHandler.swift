import ArchiveModel
import Foundation
import Logging
import NIOConcurrencyHelpers

/// A swift-log handler that writes every message as one line in a `LogFormat`: `time`, `level`,
/// `msg`, then the metadata (the request fields in a fixed order, any other key after them in
/// alphabetical order).
///
/// Lines go to `sink` whole, one call per line, so that lines of concurrent requests never mix;
/// the default sink writes them to standard error.
package struct StructuredLogHandler: LogHandler {
    /// Where finished lines go (without their line feed).
    package typealias Sink = @Sendable (String) -> Void

    /// The keys of a request line, in the order they are written.
    static let keyOrder = [
        "request_id", "client", "token", "method", "route", "status", "bytes_in", "bytes_out", "events",
        "duration_ms", "body", "agent",
    ]

    package var metadata: Logger.Metadata = [:]
    package var logLevel: Logger.Level = .info
    package var metadataProvider: Logger.MetadataProvider?
    let format: LogFormat
    let sink: Sink

    package init(format: LogFormat, sink: @escaping Sink = StructuredLogHandler.standardError) {
        self.format = format
        self.sink = sink
    }

    package subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    package func log(event: LogEvent) {
        var all = metadata
        if let provided = metadataProvider?.get() { all.merge(provided) { $1 } }
        if let given = event.metadata { all.merge(given) { $1 } }
        var fields: [(key: String, value: LogValue)] = [
            ("time", .text(ISODate.format(Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))))),
            ("level", .text(event.level.rawValue)), ("msg", .text(event.message.description)),
        ]
        for key in Self.keyOrder {
            if let value = all.removeValue(forKey: key) { fields.append((key, Self.value(value))) }
        }
        for key in all.keys.sorted() {
            if let value = all[key] { fields.append((Self.safeKey(key), Self.value(value))) }
        }
        sink(format.line(fields))
    }

    /// Numbers stay numbers; anything else is text.
    static func value(_ value: Logger.Metadata.Value) -> LogValue {
        switch value {
        case .string(let text): return .text(text)
        case .stringConvertible(let number as Int): return .integer(number)
        case .stringConvertible(let number as Double): return .number(number)
        case .stringConvertible(let flag as Bool): return .bool(flag)
        default: return .text(value.description)
        }
    }

    /// A metadata key as a logfmt key: letters, digits, `_`, `.` and `-`; anything else becomes `_`.
    static func safeKey(_ key: String) -> String {
        let safe = String(
            String.UnicodeScalarView(
                key.unicodeScalars.map { scalar in
                    scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar))
                        || scalar == "_" || scalar == "." || scalar == "-" ? scalar : "_"
                }))
        return safe.isEmpty ? "_" : safe
    }

    private static let lock = NIOLock()

    /// Writes `line` and a line feed to standard error in one `write(2)`.
    package static let standardError: Sink = { line in
        let bytes = Array((line + "\n").utf8)
        StructuredLogHandler.lock.withLock {
            bytes.withUnsafeBytes { buffer in
                guard let base = buffer.baseAddress else { return }
                var offset = 0
                while offset < buffer.count {
                    let written = write(2, base + offset, buffer.count - offset)
                    if written < 0, errno == EINTR { continue }
                    if written <= 0 { break }
                    offset += written
                }
            }
        }
    }
}
