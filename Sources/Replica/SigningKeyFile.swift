/*
 Where a replica's private key lives: in its own file beside the replica file, `PATH.key`, mode
 0600 (read and written by its owner only), never inside the replica file.

 Why beside and not inside: the replica file is what people copy, back up and send (a backup, a
 copy for a second replica, a file attached to a bug report); a key inside it would travel with
 every copy, and every copy could sign in the replica's name. Beside it, a copy of the replica
 file carries no key and cannot sign at all; and a copy that does carry its key file (`cp -a`,
 a restored backup of both) still signs nothing, because a replica refuses to write anywhere but
 where it was made (`home`, checked before every write) until `reidentify` gives it a new key
 pair of its own. So one key never has two writers.

 The file is three lines of text:

   archive-sync signing key 1
   origin <32 hex: the origin the key signs for>
   seed <64 hex: the Ed25519 private key's 32-byte seed>
*/
import ArchiveModel
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

package enum SigningKeyFile {
    /// The key file of the replica file at `replicaPath`.
    package static func path(forReplicaAt replicaPath: String) -> String { replicaPath + ".key" }

    static let header = "archive-sync signing key 1"

    /// The file's text for `key`.
    static func text(of key: SigningKey) -> String {
        "\(header)\norigin \(key.origin.hex)\nseed \(Hex.encode(key.seed))\n"
    }

    /// Writes `key` to a new file at `path`, mode 0600, synced, and complete before it appears
    /// there: it is written aside first, then linked in place (never over an existing file; that
    /// is `alreadyExists`), or with `replacing`, renamed over what is there.
    package static func write(_ key: SigningKey, to path: String, replacing: Bool) throws {
        let temporary = path + ".new-\(UUID().uuidString.prefix(8))"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw failure("cannot create the signing key file \(temporary)") }
        defer { unlink(temporary) }
        var closed = false
        defer { if !closed { _ = close(descriptor) } }
        // The umask can only take permissions away; set the mode anyway so it is exactly 0600.
        _ = fchmod(descriptor, 0o600)
        let bytes = Array(text(of: key).utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { buffer in
                Foundation.write(descriptor, buffer.baseAddress.map { $0 + offset }, buffer.count - offset)
            }
            if written < 0, errno == EINTR { continue }
            guard written > 0 else { throw failure("cannot write the signing key file \(temporary)") }
            offset += written
        }
        guard fsync(descriptor) == 0 else { throw failure("cannot write the signing key file \(temporary)") }
        _ = close(descriptor)
        closed = true
        if replacing {
            guard rename(temporary, path) == 0 else {
                throw failure("cannot put the new signing key file in place at \(path)")
            }
        } else if link(temporary, path) != 0 {
            if errno == EEXIST {
                throw ReplicaError(
                    .alreadyExists, "\(path) already exists: a replica's signing key is never overwritten")
            }
            throw failure("cannot put the signing key file in place at \(path)")
        }
        syncDirectory(of: path)
    }

    /// Puts `path.next` (a key written by `reidentify`) in place of `path`, if it is there.
    package static func finishReplacing(_ path: String) throws {
        let next = path + ".next"
        guard FileManager.default.fileExists(atPath: next) else { return }
        guard rename(next, path) == 0 else { throw failure("cannot put the new signing key file in place at \(path)") }
        syncDirectory(of: path)
    }

    /// Reads the key at `path`, refusing a file that others may read or write, a link, a file
    /// not owned by this user, anything but a small regular file, and malformed text.
    ///
    /// Throws `ReplicaError.Code.noSigningKey` when there is no file, `.badSigningKey` otherwise.
    package static func read(at path: String) throws -> SigningKey {
        let descriptor = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)
        guard descriptor >= 0 else {
            if errno == ENOENT {
                throw ReplicaError(.noSigningKey, "there is no signing key at \(path)")
            }
            if errno == ELOOP { throw bad(path, "it is a symbolic link; the key must be a regular file") }
            throw bad(path, String(cString: strerror(errno)))
        }
        defer { _ = close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw bad(path, String(cString: strerror(errno))) }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw bad(path, "it is not a regular file") }
        guard info.st_uid == getuid() else { throw bad(path, "it belongs to another user (uid \(info.st_uid))") }
        let permissions = info.st_mode & 0o777
        guard permissions & 0o077 == 0 else {
            throw bad(
                path,
                "others may read or change it (mode \(String(permissions, radix: 8))); a private key must be "
                    + "readable by its owner only: run `chmod 600 \(path)`")
        }
        guard info.st_size <= 4096 else {
            throw bad(path, "it holds \(info.st_size) bytes; a key file holds about 140")
        }
        var bytes = [UInt8](repeating: 0, count: 4097)
        var count = 0
        while count < bytes.count {
            let got = bytes.withUnsafeMutableBytes { buffer in
                Foundation.read(descriptor, buffer.baseAddress.map { $0 + count }, buffer.count - count)
            }
            if got < 0, errno == EINTR { continue }
            guard got >= 0 else { throw bad(path, String(cString: strerror(errno))) }
            if got == 0 { break }
            count += got
        }
        guard count <= 4096, let text = String(validating: bytes[..<count], as: UTF8.self) else {
            throw bad(path, "it is not a key file")
        }
        return try parse(text, path: path)
    }

    static func parse(_ text: String, path: String) throws -> SigningKey {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.count == 4, lines[0] == header, lines[3].isEmpty, lines[1].hasPrefix("origin "),
            lines[2].hasPrefix("seed "), let origin = OriginID(hex: String(lines[1].dropFirst(7))),
            let seed = Hex.decode(String(lines[2].dropFirst(5)), count: 32), let key = SigningKey(seed: seed)
        else {
            throw bad(path, "it is not an archive-sync key file (\"\(header)\", then origin and seed lines)")
        }
        guard key.origin == origin else {
            throw bad(
                path, "its seed is the key of origin \(key.origin.hex), not of the origin it names (\(origin.hex))")
        }
        return key
    }

    private static func bad(_ path: String, _ reason: String) -> ReplicaError {
        ReplicaError(.badSigningKey, "the signing key file \(path) is refused: \(reason)")
    }

    private static func failure(_ what: String) -> ReplicaError {
        ReplicaError(.fileSystem, "\(what): \(String(cString: strerror(errno)))")
    }

    private static func syncDirectory(of path: String) {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        let descriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if descriptor >= 0 {
            _ = fsync(descriptor)
            _ = close(descriptor)
        }
    }
}
