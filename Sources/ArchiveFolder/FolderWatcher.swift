import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Tells which article files of an archive folder were written or moved in, as they settle.
///
/// On Linux it listens to inotify on the folder and every folder inside it (hidden ones and
/// symbolic links skipped, as import skips them). A file is reported once it was closed after
/// writing or renamed into place, never while a writer still has it open for writing, so a
/// half-written file is not imported; a file written to again after it was closed (a writer
/// that creates a file, closes it, then opens it to write) is reported as unsettled until it is
/// closed again. A folder that appears is watched and its files reported.
/// When the kernel's queue overflowed, or no watch could be placed (the per-user limit), `poll`
/// asks for a full rescan and, in the second case, the watcher falls back to comparing each
/// file's size and modification time between scans (`ScanWatcher`), reporting a file once it
/// has stayed the same for one scan.
package final class FolderWatcher: @unchecked Sendable {  // used by one thread at a time
    /// What changed since the last poll.
    package struct Changes: Equatable, Sendable {
        /// Paths inside the folder of article files that settled (sorted).
        package var paths: [String] = []
        /// Paths reported before that a writer has opened and written to again since: not
        /// settled after all (sorted).
        package var unsettled: [String] = []
        /// Whether the whole folder must be looked at again (events were lost).
        package var rescan = false
        /// Whether the watched folder itself was removed or moved away.
        package var rootGone = false
        package var isEmpty: Bool { paths.isEmpty && unsettled.isEmpty && !rescan && !rootGone }
    }

    package let root: String
    private var descriptor: Int32 = -1
    /// Each watch's folder, relative to the root ("" for the root itself).
    private var folders: [Int32: String] = [:]
    /// The fallback when inotify is not available (nil while inotify works).
    private var scanner: ScanWatcher?
    /// Why inotify is not used (for the caller to say once).
    package private(set) var fallbackReason: String?

    /// Starts watching `root` (which must be a folder).
    package init(root: String) {
        self.root = root.count > 1 && root.hasSuffix("/") ? String(root.dropLast()) : root
        #if canImport(Glibc)
        descriptor = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        if descriptor < 0 {
            useScanner(because: "inotify is not available (\(String(cString: strerror(errno))))")
            return
        }
        if let failure = watchTree("") { useScanner(because: failure) }
        #else
        useScanner(because: "this system has no inotify")
        #endif
    }

    deinit {
        if descriptor >= 0 { close(descriptor) }
    }

    /// Whether changes are found by scanning rather than told by the kernel.
    package var isScanning: Bool { scanner != nil }

    /// Waits at most `timeout` seconds for changes, and returns those that came (possibly none).
    package func poll(timeout: Double) -> Changes {
        if let scanner {
            // Scans cost one lstat per file: once a second at most.
            Thread.sleep(forTimeInterval: max(timeout, 1))
            return scanner.scan()
        }
        #if canImport(Glibc)
        var waiting = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        let ready = Glibc.poll(&waiting, 1, Int32(max(0, timeout * 1000)))
        guard ready > 0 else { return Changes() }
        return readEvents()
        #else
        return Changes()
        #endif
    }

    private func useScanner(because reason: String) {
        fallbackReason = reason
        if descriptor >= 0 {
            close(descriptor)
            descriptor = -1
        }
        folders = [:]
        scanner = ScanWatcher(root: root)
    }

    #if canImport(Glibc)
    private static let fileMask = UInt32(
        IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_MODIFY | IN_DELETE_SELF | IN_MOVE_SELF)
    private static let addMask = fileMask | UInt32(IN_ONLYDIR | IN_DONT_FOLLOW)

    /// Watches `relative` and the folders inside it; nil, or why watching failed as a whole.
    private func watchTree(_ relative: String) -> String? {
        var pending = [relative]
        while let folder = pending.popLast() {
            let full = folder.isEmpty ? root : root + "/" + folder
            let watch = inotify_add_watch(descriptor, full, Self.addMask)
            if watch < 0 {
                let code = errno
                if code == ENOSPC || code == ENOMEM {
                    return "the system's limit of inotify watches is reached (fs.inotify.max_user_watches)"
                }
                continue  // the folder went away or cannot be read: nothing to watch there
            }
            folders[watch] = folder
            for name in Self.subfolders(of: full) {
                pending.append(folder.isEmpty ? name : folder + "/" + name)
            }
        }
        return nil
    }

    private func readEvents() -> Changes {
        var changes = Changes()
        var settled = Set<String>()
        var writing = Set<String>()
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            guard count > 0 else { break }
            var offset = 0
            while offset + MemoryLayout<inotify_event>.size <= count {
                let (watch, mask, nameLength) = buffer.withUnsafeBytes { raw in
                    let event = raw.loadUnaligned(fromByteOffset: offset, as: inotify_event.self)
                    return (event.wd, event.mask, Int(event.len))
                }
                let nameStart = offset + MemoryLayout<inotify_event>.size
                let nameEnd = min(count, nameStart + nameLength)
                let nameBytes = buffer[nameStart..<nameEnd].prefix { $0 != 0 }
                offset = nameEnd
                if mask & UInt32(IN_Q_OVERFLOW) != 0 {
                    // Events were lost, folders made meanwhile among them: watch them all again
                    // (a folder watched already keeps its watch) and look at every file.
                    changes.rescan = true
                    if let failure = watchTree("") {
                        useScanner(because: failure)
                        return Changes(paths: [], rescan: true)
                    }
                    continue
                }
                if folders[watch] == "", mask & UInt32(IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED) != 0 {
                    changes.rootGone = true
                    return changes
                }
                if mask & UInt32(IN_MOVE_SELF) != 0 {
                    // A folder moved inside: its new name was watched at IN_MOVED_TO (the same
                    // watch, renamed). Moved out, its events name files that are not there.
                    continue
                }
                if mask & UInt32(IN_IGNORED) != 0 {
                    folders[watch] = nil
                    continue
                }
                guard let folder = folders[watch], !nameBytes.isEmpty, nameBytes.first != UInt8(ascii: ".") else {
                    continue
                }
                let name = String(decoding: nameBytes, as: UTF8.self)
                let relative = folder.isEmpty ? name : folder + "/" + name
                if mask & UInt32(IN_ISDIR) != 0 {
                    guard mask & UInt32(IN_CREATE | IN_MOVED_TO) != 0 else { continue }
                    // A new folder: watch it, and report what it already holds (written before
                    // the watch was placed).
                    if let failure = watchTree(relative) {
                        useScanner(because: failure)
                        return Changes(paths: [], rescan: true)
                    }
                    var walker = SourceWalker([(root + "/" + relative, true)])
                    while let source = walker.next() {
                        if source.refusal == nil { settled.insert(relative + "/" + source.relativePath) }
                    }
                } else if SourceWalker.hasImportExtension(name) {
                    // Events of one file come in order: the last one says whether it settled.
                    if mask & UInt32(IN_CLOSE_WRITE | IN_MOVED_TO) != 0 {
                        settled.insert(relative)
                        writing.remove(relative)
                    } else if mask & UInt32(IN_MODIFY) != 0 {
                        writing.insert(relative)
                        settled.remove(relative)
                    }
                }
            }
        }
        changes.paths = settled.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        changes.unsettled = writing.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        return changes
    }
    #endif

    /// Whether some process has the file at `path` open for writing, so it may not be whole yet:
    /// asked of the kernel by trying a read lease, which cannot be had while the file is open for
    /// writing. Where leases are not to be had (another user's file, a file system without
    /// them), false: the file is taken as closed.
    /// fcntl's F_SETLEASE (Linux's F_LINUX_SPECIFIC_BASE + 0), which Glibc's module leaves out.
    static let setLease: Int32 = 1024

    package static func isOpenForWriting(_ path: String) -> Bool {
        #if canImport(Glibc)
        let descriptor = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        if fcntl(descriptor, Self.setLease, Int32(F_RDLCK)) == 0 {
            _ = fcntl(descriptor, Self.setLease, Int32(F_UNLCK))
            return false
        }
        return errno == EAGAIN
        #else
        return false
        #endif
    }

    /// The folders directly inside `path` that a walk would enter (not hidden, not links).
    static func subfolders(of path: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).filter { name in
            guard !name.utf8.starts(with: [UInt8(ascii: ".")]) else { return false }
            var info = stat()
            return lstat(path + "/" + name, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR
        }
    }
}

/// Finds changed article files by comparing each file's size and modification time from one scan
/// to the next; a file is reported once it has stayed the same for a whole scan (so one still
/// being written is not). Costs one `lstat` per file per scan, nothing is read.
package final class ScanWatcher {
    private let root: String
    /// Each file's size and modification time at the last scan.
    private var seen: [String: Stamp]
    /// Files that changed at the last scan and are reported if this scan finds them the same.
    private var settling: [String: Stamp] = [:]

    private struct Stamp: Equatable {
        var size: Int64
        var modified: Int64
    }

    package init(root: String) {
        self.root = root
        seen = [:]
        seen = stamps()
    }

    /// The files that settled since the last scan.
    package func scan() -> FolderWatcher.Changes {
        let now = stamps()
        var settled: [String] = []
        var next: [String: Stamp] = [:]
        for (path, stamp) in now where seen[path] != stamp {
            next[path] = stamp
        }
        for (path, stamp) in settling where now[path] == stamp && next[path] == nil {
            settled.append(path)
        }
        settling = next
        seen = now
        return FolderWatcher.Changes(paths: settled.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
    }

    private func stamps() -> [String: Stamp] {
        var result: [String: Stamp] = [:]
        var walker = SourceWalker([(root, true)])
        while let source = walker.next() {
            guard source.refusal == nil else { continue }
            var info = stat()
            guard lstat(source.absolutePath, &info) == 0 else { continue }
            result[source.relativePath] = Stamp(
                size: Int64(info.st_size),
                modified: Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec))
        }
        return result
    }
}
