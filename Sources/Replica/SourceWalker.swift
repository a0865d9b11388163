import Foundation

/// The files an import reads, one at a time, in a stable order: each folder's entries sorted by
/// their UTF-8 bytes, depth first; hidden files and folders skipped; regular files only (not
/// symbolic links), with an extension in `Replica.importExtensions`. A file given by name is
/// taken whatever its name.
///
/// Holds one folder listing per level of depth, not the whole tree, so memory does not grow with
/// the archive (except for a single folder of very many files).
struct SourceWalker: IteratorProtocol {
    private var roots: [(path: String, isFolder: Bool)]
    /// Folders being walked: the archive root, the folder's path inside it, its sorted entries.
    private var stack: [(root: String, folder: String, entries: [String], index: Int)] = []

    init(_ roots: [(path: String, isFolder: Bool)]) {
        self.roots = roots.reversed()
    }

    mutating func next() -> ImportSource? {
        while true {
            if var top = stack.popLast() {
                guard top.index < top.entries.count else { continue }
                let name = top.entries[top.index]
                top.index += 1
                stack.append(top)
                let relative = top.folder.isEmpty ? name : top.folder + "/" + name
                let full = top.root + "/" + relative
                guard let type = (try? FileManager.default.attributesOfItem(atPath: full))?[.type] as? FileAttributeType
                else { continue }
                if type == .typeDirectory {
                    stack.append((top.root, relative, Self.listing(full), 0))
                } else if type == .typeRegular,
                    Replica.importExtensions.contains((name as NSString).pathExtension.lowercased())
                {
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

    private static func listing(_ path: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [])
            .filter { !$0.hasPrefix(".") }
            .sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }
}
