import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads files that import and export meet, with a bound: the size is checked with `fstat` on
/// the opened descriptor before a byte is read, at most `limit + 1` bytes are read (the file may
/// grow meanwhile), and anything but a regular file is refused before it is opened for reading
/// (a named pipe would block, a device may do anything).
package enum RegularFile {
    package enum Contents: Equatable {
        case bytes([UInt8])
        /// Larger than the limit: the size `fstat` gave, or `limit + 1` if it grew while read.
        case tooLarge(Int)
        /// Not a regular file, or it cannot be opened: the reason, as the end of a sentence.
        case refused(String)
    }

    /// Reads the file at `path`. With `followingLinks` false a symbolic link is refused, not read.
    package static func read(_ path: String, followingLinks: Bool, limit: Int) -> Contents {
        var info = stat()
        let found = followingLinks ? stat(path, &info) : lstat(path, &info)
        guard found == 0 else { return .refused(reason(errno)) }
        if let kind = nonRegularKind(info.st_mode) { return .refused(refusal(kind)) }
        let flags = O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC | (followingLinks ? 0 : O_NOFOLLOW)
        let descriptor = open(path, flags)
        guard descriptor >= 0 else { return .refused(reason(errno)) }
        defer { close(descriptor) }
        return read(descriptor: descriptor, limit: limit)
    }

    /// Reads the entry `name` (a C string) of the folder open as `folder`, never following a link.
    package static func read(_ name: [CChar], in folder: Int32, limit: Int) -> Contents {
        let descriptor = openat(folder, name, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC | O_NOFOLLOW)
        guard descriptor >= 0 else { return .refused(reason(errno)) }
        defer { close(descriptor) }
        return read(descriptor: descriptor, limit: limit)
    }

    private static func read(descriptor: Int32, limit: Int) -> Contents {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { return .refused(reason(errno)) }
        if let kind = nonRegularKind(info.st_mode) { return .refused(refusal(kind)) }
        if Int(info.st_size) > limit { return .tooLarge(Int(info.st_size)) }
        // Sized by the file (it may still grow: the buffer grows up to one byte past the limit).
        var bytes = [UInt8](repeating: 0, count: min(Int(info.st_size), limit) + 1)
        var count = 0
        while true {
            if count == bytes.count {
                guard count <= limit else { break }
                bytes.append(contentsOf: repeatElement(0, count: min(max(count, 4096), limit + 1 - count)))
            }
            let got = bytes.withUnsafeMutableBytes { buffer in
                systemRead(descriptor, buffer.baseAddress.map { $0 + count }, buffer.count - count)
            }
            if got < 0, errno == EINTR { continue }
            if got < 0 { return .refused(reason(errno)) }
            if got == 0 { break }
            count += got
        }
        if count > limit { return .tooLarge(count) }
        bytes.removeSubrange(count...)
        return .bytes(bytes)
    }

    /// What an entry of mode `mode` is, when it is not a regular file.
    package static func nonRegularKind(_ mode: mode_t) -> String? {
        switch mode & S_IFMT {
        case S_IFREG: nil
        case S_IFDIR: "a folder"
        case S_IFLNK: "a symbolic link"
        case S_IFIFO: "a named pipe"
        case S_IFSOCK: "a socket"
        case S_IFCHR, S_IFBLK: "a device"
        default: "not a regular file"
        }
    }

    private static func refusal(_ kind: String) -> String {
        kind == "a symbolic link"
            ? "it is a symbolic link, which is not followed inside a folder; import what it points to by its own path"
            : "it is \(kind), not a regular file"
    }

    /// The reason an `errno` gives, as the end of a sentence.
    package static func reason(_ code: Int32) -> String {
        switch code {
        case ELOOP: refusal("a symbolic link")
        case EACCES, EPERM: "permission denied"
        case ENOENT: "it no longer exists"
        default: String(cString: strerror(code))
        }
    }
}

/// `read(2)`, under a name the methods of `RegularFile` do not hide.
private func systemRead(_ descriptor: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    read(descriptor, buffer, count)
}
