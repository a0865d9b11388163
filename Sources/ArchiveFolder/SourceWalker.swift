import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The files an import reads, one at a time, in a stable order: each folder's entries sorted by
/// their UTF-8 bytes, depth first; hidden files and folders skipped. A file given by name is
/// taken whatever its name.
///
/// Inside a folder, symbolic links are never followed, so a link cannot lead the walk in a loop
/// or out of the folder: a link to a folder is reported (with `refusal` set) and not entered; a
/// link, named pipe, socket or device with an article file's extension is handed on like a file,
/// and reading it refuses it with the reason without blocking. Entries of other names are left
/// alone, as other files are.
///
/// Holds one folder listing per level of depth, not the whole tree, so memory does not grow with
/// the archive (except for a single folder of very many files).
package struct SourceWalker: IteratorProtocol {
    private var roots: [(path: String, isFolder: Bool)]
    /// Folders being walked: the archive root, the folder's path inside it, its sorted entries.
    private var stack: [(root: String, folder: String, entries: [String], index: Int)] = []

    package init(_ roots: [(path: String, isFolder: Bool)]) {
        self.roots = roots.reversed()
    }

    package mutating func next() -> ImportSource? {
        while true {
            if var top = stack.popLast() {
                guard top.index < top.entries.count else { continue }
                let name = top.entries[top.index]
                top.index += 1
                stack.append(top)
                let relative = top.folder.isEmpty ? name : top.folder + "/" + name
                let full = top.root + "/" + relative
                var info = stat()
                guard lstat(full, &info) == 0 else { continue }
                let type = info.st_mode & S_IFMT
                if type == S_IFDIR {
                    stack.append((top.root, relative, Self.listing(full), 0))
                } else if type == S_IFLNK, stat(full, &info) == 0, info.st_mode & S_IFMT == S_IFDIR {
                    return ImportSource(
                        root: top.root, relativePath: relative,
                        refusal: "it is a symbolic link to a folder, which import does not follow;"
                            + " import the folder by its own path")
                } else if Self.hasImportExtension(name) {
                    return ImportSource(root: top.root, relativePath: relative)
                }
                continue
            }
            guard let root = roots.popLast() else { return nil }
            if root.isFolder {
                stack.append((root.path, "", Self.listing(root.path), 0))
            } else {
                let parent = (root.path as NSString).deletingLastPathComponent
                return ImportSource(
                    root: parent.isEmpty ? "." : parent, relativePath: (root.path as NSString).lastPathComponent,
                    single: true)
            }
        }
    }

    /// True when `name` ends in "." and one of `FolderRules.importExtensions`, in any case of ASCII.
    package static func hasImportExtension(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard let dot = bytes.lastIndex(of: UInt8(ascii: ".")), dot > 0 else { return false }
        let ending = bytes[(dot + 1)...].map { $0 >= 0x41 && $0 <= 0x5A ? $0 + 0x20 : $0 }
        return FolderRules.importExtensions.contains(String(decoding: ending, as: UTF8.self))
    }

    private static func listing(_ path: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [])
            .filter { !$0.utf8.starts(with: [UInt8(ascii: ".")]) }
            .sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }
}

/// One file to import: where it is and its path inside the archive folder it came from.
package struct ImportSource: Sendable {
    package var root: String
    package var relativePath: String
    /// A file given by name rather than found in a folder: its archive folder is unknown.
    package var single = false
    /// Why the walk refuses the entry without reading it (a symbolic link to a folder).
    package var refusal: String?
    /// The real path of `root`: the key of the file baselines of its files.
    package var folder = ""
    package var absolutePath: String { root.isEmpty ? relativePath : root + "/" + relativePath }

    package init(root: String, relativePath: String, single: Bool = false, refusal: String? = nil) {
        self.root = root
        self.relativePath = relativePath
        self.single = single
        self.refusal = refusal
    }
}
