/*
 Signed origins (protocol/CANONICAL.md, "Signatures"). A replica signs every event it writes
 with its Ed25519 key; its origin id is the first 16 bytes of SHA-256 of the public key, so the
 id names the key and anyone can check a signature without a key directory. The public key
 travels in the canonical payload of the origin's first event (`key`). The signature covers the
 event's hash behind a fixed prefix, so that it can never be taken for a signature of anything
 else this project signs.
*/
import Crypto
import Dispatch

/// The public half of a replica's signing key: 32 bytes of Ed25519.
public struct OriginKey: Hashable, Sendable, CustomStringConvertible {
    public let bytes: [UInt8]

    /// Reads 32 raw bytes.
    public init?(bytes: [UInt8]) {
        guard bytes.count == 32 else { return nil }
        self.bytes = bytes
    }

    /// Parses 64 lowercase hex digits.
    public init?(hex: String) {
        guard let bytes = Hex.decode(hex, count: 32) else { return nil }
        self.bytes = bytes
    }

    public var hex: String { Hex.encode(bytes) }
    public var description: String { hex }

    /// The origin this key names: the first 16 bytes of SHA-256 of the key, as 32 hex digits.
    public var origin: OriginID {
        OriginID(uncheckedHex: Hex.encode(Array(SHA256Digest.of(bytes).bytes.prefix(16))))
    }

    /// True when `signature` is this key's signature of `message`.
    public func isValid(_ signature: Ed25519Signature, of message: [UInt8]) -> Bool {
        guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: bytes) else { return false }
        return key.isValidSignature(signature.bytes, for: message)
    }

    /// True when `signature` is this key's signature of the event hash `hash`.
    public func isValid(_ signature: Ed25519Signature, ofEvent hash: SHA256Digest) -> Bool {
        isValid(signature, of: Ed25519Signature.eventMessage(hash))
    }
}

/// An Ed25519 signature: 64 bytes.
public struct Ed25519Signature: Hashable, Sendable, CustomStringConvertible {
    public let bytes: [UInt8]

    public init?(bytes: [UInt8]) {
        guard bytes.count == 64 else { return nil }
        self.bytes = bytes
    }

    /// Parses 128 lowercase hex digits.
    public init?(hex: String) {
        guard let bytes = Hex.decode(hex, count: 64) else { return nil }
        self.bytes = bytes
    }

    public var hex: String { Hex.encode(bytes) }
    public var description: String { hex }

    /// What an event's signature signs: `archive-sync event\n` and the 32 bytes of its hash.
    public static func eventMessage(_ hash: SHA256Digest) -> [UInt8] {
        eventPrefix + hash.bytes
    }

    /// The prefix of an event's signed message (19 bytes).
    public static let eventPrefix = Array("archive-sync event\n".utf8)
    /// The prefix of a proof's attestation (protocol/PROOFS.md).
    public static let proofPrefix = Array("archive-sync proof\n".utf8)
    /// The prefix of a server's answer to a client's challenge (protocol/SPEC.md, "Who the server is").
    public static let challengePrefix = Array("archive-sync challenge\n".utf8)
}

/// A replica's private signing key. It never leaves the replica's machine (see `Replica`'s key file).
public struct SigningKey: Sendable {
    private let key: Curve25519.Signing.PrivateKey

    /// A new random key.
    public init() { key = Curve25519.Signing.PrivateKey() }

    /// The key of a 32-byte seed (as stored in a key file; fixed seeds in tests).
    public init?(seed: [UInt8]) {
        guard seed.count == 32, let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: seed) else {
            return nil
        }
        self.key = key
    }

    /// A key drawn from `generator` (seeded in tests and simulations, for repeatable origins).
    public static func random<G: RandomNumberGenerator>(using generator: inout G) -> SigningKey {
        let seed = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        // Any 32 bytes are an Ed25519 seed.
        return SigningKey(seed: seed) ?? SigningKey()
    }

    /// The 32-byte seed, for the key file.
    public var seed: [UInt8] { Array(key.rawRepresentation) }

    public var publicKey: OriginKey {
        // A Curve25519 public key is always 32 bytes.
        OriginKey(bytes: Array(key.publicKey.rawRepresentation)) ?? OriginKey(uncheckedBytes: [])
    }

    /// The origin this key signs for.
    public var origin: OriginID { publicKey.origin }

    /// Signs `message`.
    public func sign(_ message: [UInt8]) -> Ed25519Signature {
        // Ed25519 signing fails only for a malformed key, which this type cannot hold.
        let bytes = (try? key.signature(for: message)).map { Array($0) } ?? []
        return Ed25519Signature(bytes: bytes) ?? Ed25519Signature(uncheckedBytes: bytes)
    }

    /// Signs the event hash `hash`.
    public func sign(event hash: SHA256Digest) -> Ed25519Signature {
        sign(Ed25519Signature.eventMessage(hash))
    }
}

extension OriginKey {
    fileprivate init(uncheckedBytes: [UInt8]) { self.bytes = uncheckedBytes }
}

extension Ed25519Signature {
    fileprivate init(uncheckedBytes: [UInt8]) { self.bytes = uncheckedBytes }
}

/// How people tell replicas apart: a short form of the key an origin names, shown beside each
/// replica's name (two replicas may choose the same name; they never share a key).
public enum Fingerprint {
    /// The first 8 hex digits of the origin (itself a hash of the key) in two groups: `3f9a-c21b`.
    public static func of(_ origin: OriginID) -> String {
        "\(origin.hex.prefix(4))-\(origin.hex.dropFirst(4).prefix(4))"
    }

    /// `name [3f9a-c21b]`, or `name [unsigned 3f9a…]` for an origin without a key.
    public static func label(name: String, origin: OriginID, signed: Bool) -> String {
        "\(name) [\(signed ? "" : "unsigned ")\(of(origin))]"
    }
}

extension Event {
    /// Checks the signatures of `events` against `keys` (origin → key) on every core: true at
    /// index i when event i carries a signature by the key of its origin, which names that origin.
    /// Events of origins not in `keys` get false (their checks are left to the caller).
    ///
    /// What a receiver does before applying a page: the journal then checks again only the
    /// events this did not find valid, so any refusal still comes with its precise reason.
    public static func signaturesValid(_ events: [Event], keys: [OriginID: OriginKey]) -> [Bool] {
        @Sendable func valid(_ event: Event) -> Bool {
            guard let key = keys[event.origin], key.origin == event.origin, let signature = event.signature else {
                return false
            }
            return key.isValid(signature, ofEvent: event.hash)
        }
        guard events.count >= 64 else { return events.map(valid) }
        let chunk = 32
        let chunks = (events.count + chunk - 1) / chunk
        var results = [Bool](repeating: false, count: events.count)
        results.withUnsafeMutableBufferPointer { buffer in
            nonisolated(unsafe) let out = buffer
            DispatchQueue.concurrentPerform(iterations: chunks) { index in
                // Each iteration writes its own range of indices.
                for position in (index * chunk)..<min(events.count, (index + 1) * chunk) {
                    out[position] = valid(events[position])
                }
            }
        }
        return results
    }
}
