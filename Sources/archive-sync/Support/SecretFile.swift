import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A new file that only its owner can read (mode 0600), for a token's secret.
///
/// `create` makes the file with O_CREAT|O_EXCL|O_NOFOLLOW, so it never writes into a file or a
/// symbolic link that was already there: with `replacing`, an existing file is removed first and
/// a new one made, so the secret never lands in a file with wider permissions.
final class SecretFile {
    let path: String
    private var descriptor: Int32

    private init(path: String, descriptor: Int32) {
        self.path = path
        self.descriptor = descriptor
    }

    deinit { close() }

    /// Creates the file; throws `CommandError` when it exists (and `replacing` is false) or cannot be made.
    static func create(at path: String, replacing: Bool) throws -> SecretFile {
        if replacing, unlink(path) != 0, errno != ENOENT {
            throw CommandError(.fileSystem, "cannot replace \(path): \(String(cString: strerror(errno)))")
        }
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        if descriptor < 0 {
            if errno == EEXIST {
                throw CommandError(
                    .fileSystem, "\(path) already exists; choose a new file or add --force to replace it")
            }
            throw CommandError(.fileSystem, "cannot create \(path): \(String(cString: strerror(errno)))")
        }
        // The umask can only take permissions away; set the mode anyway so it is exactly 0600.
        _ = fchmod(descriptor, 0o600)
        return SecretFile(path: path, descriptor: descriptor)
    }

    /// Writes `text`, syncs and closes the file.
    func write(_ text: String) throws {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { buffer in
                Foundation.write(descriptor, buffer.baseAddress.map { $0 + offset }, buffer.count - offset)
            }
            if written < 0, errno == EINTR { continue }
            guard written > 0 else {
                throw CommandError(
                    .fileSystem, "cannot write the secret to \(path): \(String(cString: strerror(errno)))")
            }
            offset += written
        }
        guard fsync(descriptor) == 0 else {
            throw CommandError(.fileSystem, "cannot write the secret to \(path): \(String(cString: strerror(errno)))")
        }
        close()
    }

    /// Closes and removes the file (the token could not be made).
    func discard() {
        close()
        unlink(path)
    }

    private func close() {
        if descriptor >= 0 {
            _ = Foundation.close(descriptor)
            descriptor = -1
        }
    }
}
