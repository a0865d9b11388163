/// The identity of an article, or of one capture of it: 16 lowercase hex digits.
///
/// An article is named by its url: `ArticleID(url:)`, the first 16 hex digits of SHA-256 of the
/// url. Each capture of it (one file of the archive) is a record of the journal named by its url
/// and its path: `ArticleID(captureOf:at:)`. So two replicas that capture the same url offline,
/// at the same path or at different ones, name every capture alike (see `protocol/CAPTURES.md`).
/// A record's id never changes, even when its url or path is corrected later. Records made
/// before captures existed are named `ArticleID(url:)`.
public struct ArticleID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let hex: String

    /// The id an article created with `url` gets.
    public init(url: String) {
        let digest = SHA256Digest.of(Array(url.utf8))
        self.hex = Hex.encode(digest.bytes.prefix(8))
    }

    /// The most attempts a capture's name may take (`Event.validate` tries each).
    public static let maxCaptureAttempts = 64

    /// The id of the capture of `url` found at `path`: SHA-256 of the url, a line feed and the
    /// path (a url holds no line feed). `attempt` counts up from 1 when that id is already taken
    /// by a capture that moved elsewhere; attempts after the first hash a line feed and the
    /// attempt number too.
    public init(captureOf url: String, at path: String, attempt: Int = 1) {
        var input = Array(url.utf8) + [0x0A] + Array(path.utf8)
        if attempt > 1 { input += [0x0A] + Array(String(attempt).utf8) }
        self.hex = Hex.encode(SHA256Digest.of(input).bytes.prefix(8))
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
