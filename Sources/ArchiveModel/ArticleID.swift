/// An article's identity: the first 16 hex digits of SHA-256 of the url it was created with.
///
/// Two replicas that capture the same url offline therefore create the same article. The id never
/// changes, even when the url is corrected later.
public struct ArticleID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let hex: String

    /// The id an article created with `url` gets.
    public init(url: String) {
        let digest = SHA256Digest.of(Array(url.utf8))
        self.hex = Hex.encode(digest.bytes.prefix(8))
    }

    /// Parses exactly 16 lowercase hex digits.
    public init?(hex: String) {
        guard Hex.isLowercaseHex(hex, length: 16) else { return nil }
        self.hex = hex
    }

    public var description: String { hex }
    public static func < (lhs: ArticleID, rhs: ArticleID) -> Bool { lhs.hex < rhs.hex }
}

/// A replica's identity as the origin of events: 32 lowercase hex digits, random at `init`.
public struct OriginID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let hex: String

    public init?(hex: String) {
        guard Hex.isLowercaseHex(hex, length: 32) else { return nil }
        self.hex = hex
    }

    /// A new random origin id.
    public static func random() -> OriginID {
        var generator = SystemRandomNumberGenerator()
        return random(using: &generator)
    }

    /// A new origin id drawn from `generator` (seeded in tests).
    public static func random<G: RandomNumberGenerator>(using generator: inout G) -> OriginID {
        let bytes = (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return OriginID(uncheckedHex: Hex.encode(bytes))
    }

    package init(uncheckedHex: String) { self.hex = uncheckedHex }

    /// The first 8 digits, enough to tell replicas apart in human output.
    public var short: String { String(hex.prefix(8)) }
    public var description: String { hex }
    public static func < (lhs: OriginID, rhs: OriginID) -> Bool { lhs.hex < rhs.hex }
}
