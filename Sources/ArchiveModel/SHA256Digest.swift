import Crypto

/// A SHA-256 value: an event hash, an article state hash or an archive digest.
///
/// Compared and ordered by bytes. `zero` is the `prev` of every origin's first event.
public struct SHA256Digest: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let bytes: [UInt8]

    public static let zero = SHA256Digest(uncheckedBytes: [UInt8](repeating: 0, count: 32))

    package init(uncheckedBytes: [UInt8]) { self.bytes = uncheckedBytes }

    /// Parses 64 lowercase hex digits.
    public init?(hex: String) {
        guard let bytes = Hex.decode(hex, count: 32) else { return nil }
        self.bytes = bytes
    }

    /// Reads 32 raw bytes, as stored in SQLite blobs.
    public init?(bytes: [UInt8]) {
        guard bytes.count == 32 else { return nil }
        self.bytes = bytes
    }

    /// SHA-256 of `data`.
    public static func of<Data: Sequence>(_ data: Data) -> SHA256Digest where Data.Element == UInt8 {
        var hasher = SHA256()
        let array = Array(data)
        hasher.update(data: array)
        return SHA256Digest(uncheckedBytes: Array(hasher.finalize()))
    }

    /// SHA-256 of contiguous bytes without copying them.
    public static func of(_ data: [UInt8]) -> SHA256Digest {
        SHA256Digest(uncheckedBytes: Array(SHA256.hash(data: data)))
    }

    public var hex: String { Hex.encode(bytes) }
    public var description: String { hex }

    /// Byte-wise exclusive or: how per-article hashes combine into an archive digest, so that
    /// replacing one article's hash costs two XORs whatever the archive's size.
    public static func ^ (lhs: SHA256Digest, rhs: SHA256Digest) -> SHA256Digest {
        SHA256Digest(uncheckedBytes: zip(lhs.bytes, rhs.bytes).map { $0 ^ $1 })
    }

    public static func < (lhs: SHA256Digest, rhs: SHA256Digest) -> Bool {
        lhs.bytes.lexicographicallyPrecedes(rhs.bytes)
    }
}

/// SHA-256 of bytes that arrive in pieces (a streamed pull page).
public struct SHA256Stream: Sendable {
    private var hasher = SHA256()
    public init() {}
    public mutating func update<Bytes: Sequence>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        hasher.update(data: Array(bytes))
    }
    public func finalize() -> SHA256Digest { SHA256Digest(uncheckedBytes: Array(hasher.finalize())) }
}
