import ArchiveModel
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The folder `export` writes into, walked by file descriptors so that nothing is ever written
/// outside it.
///
/// A path is split on its "/" bytes and each part checked (not empty, not "." or "..", no NUL
/// byte, at most 255 bytes). Folders are opened one part at a time with `openat(O_NOFOLLOW)`, so
/// a symbolic link inside the folder is never gone through, and a file is written to a temporary
/// name in the real folder and renamed over the last part: a link there is replaced, never
/// written through. The folder given itself may be a link: the person named it.
package final class ExportFolder {
    /// What is already at a file's place, for the caller to decide whether to replace it.
    package enum Existing {
        /// A regular file with other bytes (nil when larger than an article can be).
        case file([UInt8]?)
        case symbolicLink
    }

    package enum Outcome: Equatable {
        case written, unchanged
        case skipped(ExportProblemKind, String)
    }

    /// A failure of the whole folder (it cannot be created or opened, the disk is full or
    /// read-only): the export stops there.
    package struct Failure: Error {
        package var message: String
    }

    /// The most bytes of a name part on the file systems export writes to (NAME_MAX).
    package static let maxNameBytes = 255

    package let path: String
    private let root: Int32
    private var temporaryCount = 0

    /// Creates the folder `path` if needed (with its parents) and opens it.
    package init(creating path: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw Failure(message: "cannot create the folder \(path): \((error as NSError).localizedDescription)")
        }
        root = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard root >= 0 else {
            throw Failure(message: "cannot open the folder \(path): \(RegularFile.reason(errno))")
        }
        self.path = path
    }

    deinit { close(root) }

    /// The parts of `path`, each a C string, or why it cannot be a path inside the folder.
    package static func parts(of path: String) -> Result<[[CChar]], ExportPathProblem> {
        let split = Array(path.utf8).split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
        var parts: [[CChar]] = []
        for part in split {
            if part.isEmpty || part.elementsEqual([0x2E]) || part.elementsEqual([0x2E, 0x2E]) || part.contains(0) {
                return .failure(.invalid)
            }
            if part.count > maxNameBytes { return .failure(.nameTooLong) }
            parts.append(part.map { CChar(bitPattern: $0) } + [0])
        }
        return parts.isEmpty ? .failure(.invalid) : .success(parts)
    }

    /// Writes `bytes` at `parts` (from `parts(of:)`), creating folders as needed.
    ///
    /// A file already holding `bytes` is left alone. Another regular file, or a symbolic link,
    /// is replaced only when `mayReplace` says so. Throws when the whole folder fails (disk full,
    /// read-only); a problem of this one file is returned as `.skipped`.
    package func write(
        _ bytes: [UInt8], at parts: [[CChar]], mayReplace: (Existing) throws -> Bool
    ) throws -> Outcome {
        var folder = root
        defer { if folder != root { close(folder) } }
        for (index, part) in parts.dropLast().enumerated() {
            var next = openat(folder, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            if next < 0, errno == ENOENT {
                if mkdirat(folder, part, 0o755) != 0, errno != EEXIST { return try failure(errno, parts, index) }
                next = openat(folder, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            }
            guard next >= 0 else {
                let code = errno
                let prefix = name(parts[...index])
                switch kind(of: part, in: folder) {
                case S_IFLNK:
                    return .skipped(.symbolicLink, "\(prefix) is a symbolic link, which export does not follow")
                case S_IFDIR: return try failure(code, parts, index)
                case nil: return try failure(code, parts, index)
                default: return .skipped(.fileInTheWay, "\(prefix) is a file where a folder is needed")
                }
            }
            if folder != root { close(folder) }
            folder = next
        }
        let last = parts[parts.count - 1]
        let full = name(parts[...])
        switch kind(of: last, in: folder) {
        case nil:
            break
        case S_IFREG:
            switch RegularFile.read(last, in: folder, limit: FolderRules.maxArticleFileBytes) {
            case .bytes(let existing) where existing == bytes: return .unchanged
            case .bytes(let existing): if try !mayReplace(.file(existing)) { return Self.localChanges(full) }
            case .tooLarge: if try !mayReplace(.file(nil)) { return Self.localChanges(full) }
            case .refused(let reason): return .skipped(.cannotWrite, "cannot read \(full): \(reason)")
            }
        case S_IFLNK:
            if try !mayReplace(.symbolicLink) {
                return .skipped(
                    .symbolicLink,
                    "\(full) is a symbolic link, which export does not write through; remove it, or export with --force to replace the link itself"
                )
            }
        case S_IFDIR:
            return .skipped(.folderInTheWay, "\(full) is a folder where a file is needed")
        case let type?:
            let what = RegularFile.nonRegularKind(type) ?? "not a regular file"
            return .skipped(.notRegular, "\(full) is \(what), not a regular file")
        }
        return try replace(last, in: folder, with: bytes, parts: parts)
    }

    /// Writes `bytes` to a new temporary file in `folder` and renames it to `last`.
    private func replace(_ last: [CChar], in folder: Int32, with bytes: [UInt8], parts: [[CChar]]) throws -> Outcome {
        var temporary: [CChar]
        var descriptor: Int32
        repeat {
            temporaryCount += 1
            temporary = Array(".archive-sync-export-\(getpid())-\(temporaryCount).tmp".utf8CString)
            descriptor = openat(
                folder, temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode_t(0o644))
        } while descriptor < 0 && errno == EEXIST
        guard descriptor >= 0 else { return try failure(errno, parts, parts.count - 1) }
        var written = 0
        var code: Int32 = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes {
                systemWrite(descriptor, $0.baseAddress.map { $0 + written }, $0.count - written)
            }
            if count < 0, errno == EINTR { continue }
            if count < 0 {
                code = errno
                break
            }
            written += count
        }
        if close(descriptor) != 0, code == 0 { code = errno }
        if code == 0, renameat(folder, temporary, folder, last) != 0 { code = errno }
        if code != 0 {
            unlinkat(folder, temporary, 0)
            return try failure(code, parts, parts.count - 1)
        }
        return .written
    }

    private static func localChanges(_ full: String) -> Outcome {
        .skipped(
            .localChanges,
            "\(full) holds changes this replica has not imported; import it first, or export with --force to overwrite it"
        )
    }

    /// The type (`S_IFMT` bits) of the entry `name` of `folder`, without following a link.
    private func kind(of name: [CChar], in folder: Int32) -> mode_t? {
        var info = stat()
        guard fstatat(folder, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else { return nil }
        return info.st_mode & S_IFMT
    }

    /// A skip for a problem of one file, or a throw for one of the whole folder.
    private func failure(_ code: Int32, _ parts: [[CChar]], _ index: Int) throws -> Outcome {
        let location = name(parts[...index])
        if [ENOSPC, EDQUOT, EROFS, EIO].contains(code) {
            throw Failure(message: "cannot write \(location): \(RegularFile.reason(code)); the export stopped there")
        }
        return .skipped(.cannotWrite, "cannot write \(location): \(RegularFile.reason(code))")
    }

    /// The folder's path followed by `parts`, for messages.
    private func name(_ parts: ArraySlice<[CChar]>) -> String {
        parts.reduce(path) { $0 + "/" + String(decoding: $1.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self) }
    }
}

/// Why a path cannot be written inside the export folder.
package enum ExportPathProblem: Error {
    /// Empty, ".", ".." or NUL-holding parts: the path would not stay inside the folder.
    case invalid
    case nameTooLong
}

/// `write(2)`, under a name the methods of `ExportFolder` do not hide.
private func systemWrite(_ descriptor: Int32, _ buffer: UnsafeRawPointer?, _ count: Int) -> Int {
    write(descriptor, buffer, count)
}
