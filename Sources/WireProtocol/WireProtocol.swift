/*
 The sync protocol in code: protocol/SPEC.md is the reference, this module its one implementation
 (shared by the server and the client). Versions, headers, limits, the batch format (newline-
 delimited events in their wire form, then for pulls a trailer line), the JSON messages, gzip, and
 every error as an HTTP status plus {"error", "message"}.
*/
import ArchiveModel

/// Constants of protocol version 2 (version 1, without signatures, is no longer spoken).
public enum WireProtocol {
    /// The version this build speaks, and the versions it accepts.
    public static let version = 2
    public static let supportedVersions = [2]
    /// The header every request but health carries: `Archive-Sync-Protocol: 2`.
    public static let versionHeader = "Archive-Sync-Protocol"
    public static let ndjsonContentType = "application/x-ndjson"
    public static let jsonContentType = "application/json"

    public enum Path {
        public static let health = "/v1/health"
        public static let info = "/v1/info"
        public static let push = "/v1/push"
        public static let pull = "/v1/pull"
    }
}

/// The limits of SPEC.md: what a server accepts and what a client sends.
public struct WireLimits: Sendable, Equatable {
    public var maxRequestBytes = 16 << 20
    public var maxDecompressedBytes = 64 << 20
    public var maxPushEvents = 5_000
    public var maxPullEvents = 5_000
    public var maxPullBytes = 8 << 20
    /// The longest a pull may ask the server to hold its answer while it has nothing new
    /// (`wait_ms`, SPEC.md "Waiting for changes").
    public var maxWaitMilliseconds = 30_000

    public init() {}

    public static let standard = WireLimits()

    public var json: JSONValue {
        .object([
            ("max_request_bytes", .integer(Int64(maxRequestBytes))),
            ("max_decompressed_bytes", .integer(Int64(maxDecompressedBytes))),
            ("max_push_events", .integer(Int64(maxPushEvents))), ("max_pull_events", .integer(Int64(maxPullEvents))),
            ("max_pull_bytes", .integer(Int64(maxPullBytes))), ("max_wait_ms", .integer(Int64(maxWaitMilliseconds))),
        ])
    }

    public init(json: JSONValue) {
        func value(_ key: String, _ fallback: Int) -> Int { json[key]?.integerValue.map { Int($0) } ?? fallback }
        let defaults = WireLimits()
        maxRequestBytes = value("max_request_bytes", defaults.maxRequestBytes)
        maxDecompressedBytes = value("max_decompressed_bytes", defaults.maxDecompressedBytes)
        maxPushEvents = value("max_push_events", defaults.maxPushEvents)
        maxPullEvents = value("max_pull_events", defaults.maxPullEvents)
        maxPullBytes = value("max_pull_bytes", defaults.maxPullBytes)
        // A server that does not name it holds no pull: it would refuse `wait_ms`.
        maxWaitMilliseconds = value("max_wait_ms", 0)
    }
}

extension VectorClock {
    /// The JSON object `{origin: seq}`, origins sorted.
    public var json: JSONValue {
        .object(sortedEntries.map { ($0.origin.hex, .integer(Int64($0.seq))) })
    }

    /// Reads `{origin: seq}`; throws `malformed-request` for anything else.
    public init(json: JSONValue) throws {
        guard case .object(let pairs) = json else {
            throw WireProtocolError(
                .malformedRequest, "a knowledge vector must be a JSON object of origin ids to counts")
        }
        self.init()
        for (key, value) in pairs {
            guard let origin = OriginID(hex: key), let seq = value.integerValue, seq >= 0, seq <= Int64(Int32.max)
            else {
                throw WireProtocolError(
                    .malformedRequest, "a knowledge vector maps 32-hex-digit origin ids to counts; \"\(key)\" does not")
            }
            self[origin] = Int(seq)
        }
    }
}
