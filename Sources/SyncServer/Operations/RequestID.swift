/// The id that ties a request's log line to the client that sent it (`X-Request-Id`).
///
/// A client's id is taken only when it is 1 to `maxLength` bytes of letters, digits and
/// `-_.:`; any other (too long, spaces, quotes, control characters, non-ASCII) is dropped for a
/// new one, never cut or cleaned, so that what the log says is either the client's id or ours.
enum RequestID {
    static let maxLength = 128

    /// The client's id when it is acceptable, else a new random one.
    static func accepting(_ header: String?) -> String {
        if let header, isAcceptable(header) { return header }
        return make()
    }

    static func isAcceptable(_ id: String) -> Bool {
        let bytes = id.utf8
        guard (1...maxLength).contains(bytes.count) else { return false }
        return bytes.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
                UInt8(ascii: ":"):
                true
            default: false
            }
        }
    }

    /// 16 random hex digits.
    static func make() -> String {
        let hex = String(UInt64.random(in: 0...UInt64.max), radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
