/// The `Accept-Encoding` header of a request (RFC 9110, 12.5.3), read for the one coding the
/// server offers: gzip.
///
/// `gzip;q=0` means gzip is not acceptable; without a `gzip` entry, `*` with a non-zero q
/// stands for it. Read on bytes: tokens and q-values are ASCII.
struct AcceptEncoding: Sendable {
    let acceptsGzip: Bool

    init(_ header: String?) {
        var gzip: Bool?
        var wildcard: Bool?
        for element in (header ?? "").utf8.split(separator: UInt8(ascii: ",")) {
            let parts = element.split(separator: UInt8(ascii: ";"))
            guard let name = parts.first.map(Self.trimmed) else { continue }
            var acceptable = true
            for parameter in parts.dropFirst() {
                let pair = parameter.split(separator: UInt8(ascii: "="), maxSplits: 1).map(Self.trimmed)
                guard pair.count == 2, pair[0].lowercased() == "q" else { continue }
                acceptable = (Double(pair[1]) ?? 1) > 0
            }
            switch name.lowercased() {
            case "gzip", "x-gzip": gzip = acceptable
            case "*": wildcard = acceptable
            default: break
            }
        }
        acceptsGzip = gzip ?? wildcard ?? false
    }

    private static func trimmed(_ bytes: Substring.UTF8View.SubSequence) -> String {
        let isSpace = { (byte: UInt8) in byte == 0x20 || byte == 0x09 }
        let trimmed = bytes.drop(while: isSpace).reversed().drop(while: isSpace).reversed()
        return String(decoding: trimmed, as: UTF8.self)
    }
}
