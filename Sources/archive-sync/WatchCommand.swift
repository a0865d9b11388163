import ArchiveFolder
import ArchiveModel
import ArgumentParser
import Foundation
import Replica
import SyncClient

struct WatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Keep this replica, its archive folders and its peers in step, both ways, until stopped.",
        discussion: """
            Files written or moved into a --folder are imported within about a second, by the \
            rules of `import`; a file still open for writing is imported once its writer closes \
            it. Events that arrive from peers are written into every folder by the rules of \
            `export`: never outside the folder, never over a file holding changes not imported \
            yet (that file is reported, then imported, and nothing is lost). Each folder holds \
            the whole archive.

            Peers are synced whenever there is something to send, and each peer's server holds \
            a pull open until it has something new (--wait), so a change made elsewhere arrives \
            within moments. A peer that does not answer is tried again after 1 s, then 2, 4, ... \
            up to a minute, and said so once; it comes back by itself. Without --peer, every \
            peer of `archive-sync peer list` is watched.

            One line per change goes to standard output (imported, wrote, pulled, pushed); \
            peers going away and coming back, and refused files, go to standard error. Nothing \
            is printed while nothing happens. Ctrl-C or SIGTERM stops it between two steps, and \
            it exits 0.

            Examples:
              archive-sync watch --folder ~/articles --peer hub
              archive-sync watch --folder ~/articles --peer http://hub.example:8080 --token-file laptop.token
              archive-sync watch --config ~/.config/archive-sync/watch.toml
            """)

    @OptionGroup var replica: ReplicaOptions
    @Option(name: .customLong("folder"), help: "An archive folder to keep in step (repeat for several).")
    var folders: [String] = []
    @Option(name: .customLong("peer"), help: "A peer name or URL to keep in step with (repeat; default: every peer).")
    var peers: [String] = []
    @Option(
        name: .customLong("token-file"),
        help: "A file holding the bearer token for peers given as URLs (a named peer uses its own token file).")
    var tokenFile: String?
    @Option(
        name: .customLong("ca-file"), help: "CA certificates to verify https servers with, instead of the system's.")
    var caFile: String?
    @Option(help: "Seconds a peer's server may hold a pull open while it has nothing new (1-30; default 25).")
    var wait: Int?
    @Option(
        name: .customLong("max-backoff"),
        help: "The longest pause, in seconds, between tries of a peer that does not answer (1-3600; default 60).")
    var maxBackoff: Int?
    @Option(
        name: .customLong("scan-interval"),
        help: ArgumentHelp(
            "Seconds between looks at every file's size and time, for changes the kernel did not report (0: never; default 0).",
            discussion:
                "inotify misses nothing on a local disk; on a network file system it may. A look costs one lstat per file."
        ))
    var scanInterval: Int?
    @Flag(
        name: .customLong("accept-unsigned"),
        help: "Take events of origins made before events were signed, from servers you trust with that history.")
    var acceptUnsigned = false
    @Flag(name: .customLong("no-peers"), help: "Only keep the folders and the replica in step; sync with no peer.")
    var noPeers = false
    @Option(
        name: .customLong("config"),
        help: ArgumentHelp(
            "A TOML configuration file ([watch] section; flags override it).",
            discussion: "Defaults to $ARCHIVE_SYNC_CONFIG when set. See README, \"Configuration file\".",
            valueName: "file"))
    var config: String?

    /// The settings in force: flags, else the configuration file, else the defaults.
    struct Settings {
        var folders: [String]
        var peers: [String]
        var tokenFile: String?
        var caFile: String?
        var wait: Int
        var maxBackoff: Int
        var scanInterval: Int
        var acceptUnsigned: Bool
        var noPeers: Bool
    }

    func validate() throws {
        if let wait, !(1...30).contains(wait) {
            throw ValidationError("--wait must be between 1 and 30 seconds; it is \(wait)")
        }
        if noPeers, !peers.isEmpty { throw ValidationError("--no-peers and --peer cannot be given together") }
        if let maxBackoff, !(1...3600).contains(maxBackoff) {
            throw ValidationError("--max-backoff must be between 1 and 3600 seconds; it is \(maxBackoff)")
        }
        if let scanInterval, !(0...86_400).contains(scanInterval) {
            throw ValidationError("--scan-interval must be between 0 and 86400 seconds; it is \(scanInterval)")
        }
    }

    func settings(_ file: ConfigFile?) throws -> Settings {
        let section = "watch"
        let settings = Settings(
            folders: folders.isEmpty ? file?.strings(section, "folders") ?? [] : folders,
            peers: peers.isEmpty ? file?.strings(section, "peers") ?? [] : peers,
            tokenFile: tokenFile ?? file?.string(section, "token_file"),
            caFile: caFile ?? file?.string(section, "ca_file"),
            wait: wait ?? file?.integer(section, "wait") ?? 25,
            maxBackoff: maxBackoff ?? file?.integer(section, "max_backoff") ?? 60,
            scanInterval: scanInterval ?? file?.integer(section, "scan_interval") ?? 0,
            acceptUnsigned: acceptUnsigned || file?.bool(section, "accept_unsigned") == true,
            noPeers: noPeers || (peers.isEmpty && file?.bool(section, "no_peers") == true))
        if let file {
            if settings.noPeers, !settings.peers.isEmpty {
                throw CommandError(
                    .invalidInput, "in \(file.path), [watch] has both peers and no_peers = true; keep one of them")
            }
            if !(1...30).contains(settings.wait) {
                throw CommandError(.invalidInput, "in \(file.path), [watch] wait must be from 1 to 30 seconds")
            }
            if !(1...3600).contains(settings.maxBackoff) {
                throw CommandError(.invalidInput, "in \(file.path), [watch] max_backoff must be from 1 to 3600 seconds")
            }
            if !(0...86_400).contains(settings.scanInterval) {
                throw CommandError(
                    .invalidInput, "in \(file.path), [watch] scan_interval must be from 0 to 86400 seconds")
            }
        }
        return settings
    }

    func run() throws {
        let file = try ConfigFile.load(config)
        let settings = try settings(file)
        let local = try (file?.replicaPath(replica) ?? replica).open()
        let folders = settings.folders
        for folder in folders {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
                throw CommandError(.fileSystem, "there is no folder \(folder) to watch; create it or fix --folder")
            }
        }
        let targets =
            settings.noPeers
            ? []
            : try PeerTargets.resolve(
                settings.peers, in: local, tokenFile: settings.tokenFile, caFile: settings.caFile, allWhenEmpty: true)
        if folders.isEmpty, targets.isEmpty {
            throw CommandError(
                .invalidInput,
                "there is nothing to watch: give --folder DIR, or --peer NAME|URL (or add a peer with `archive-sync peer add`)"
            )
        }
        let stop = StopSignal()
        let watch = Watch(replica: local, folders: folders)
        for target in targets {
            watch.links.append(
                try PeerLink(
                    replica: local, target: target, wait: settings.wait * 1000,
                    unsigned: settings.acceptUnsigned ? .accept : .refuse, maxBackoff: Double(settings.maxBackoff),
                    notify: { [watch] notice in watch.handle(notice, from: target.name) }))
        }
        let group = DispatchGroup()
        // Watches are in place before the folders are first imported: no file falls between.
        for folder in folders {
            let watcher = FolderWatcher(root: folder)
            if let reason = watcher.fallbackReason {
                Terminal.error("note: \(folder) is scanned every second, because \(reason)")
            }
            let scanEvery = watcher.isScanning ? 0 : settings.scanInterval
            start(group) { watch.keep(folder: folder, watcher: watcher, scanEvery: scanEvery) }
        }
        Terminal.error(
            "Watching "
                + folders.joined(separator: ", ")
                + (folders.isEmpty || targets.isEmpty ? "" : " and ")
                + (targets.isEmpty ? "" : "peers " + targets.map(\.name).joined(separator: ", "))
                + "; Ctrl-C stops.")
        for link in watch.links { start(group) { link.run() } }
        stop.wait()
        watch.stop()
        group.wait()
        Terminal.error("Stopped.")
    }

    private func start(_ group: DispatchGroup, _ body: @escaping @Sendable () -> Void) {
        group.enter()
        let thread = Thread {
            body()
            group.leave()
        }
        thread.stackSize = 4 << 20
        thread.start()
    }
}

/// The running watch: folders imported as they change, peer links, and exports of what peers send.
final class Watch: @unchecked Sendable {
    let replica: Replica
    /// Indexes for search what the peers send, behind it.
    let searchIndexer: SearchIndexer
    let folders: [String]
    /// Set before the threads start; read only afterwards.
    var links: [PeerLink] = []
    /// One import or export at a time, so that an export never writes a file an import is reading.
    private let folderLock = NSLock()
    private let state = NSCondition()
    private var stopping = false
    /// Folders removed or moved away while watched: nothing is written there any more.
    private var gone = Set<String>()

    private func markGone(_ folder: String) {
        state.lock()
        gone.insert(folder)
        state.unlock()
    }

    private var goneFolders: Set<String> {
        state.lock()
        defer { state.unlock() }
        return gone
    }

    init(replica: Replica, folders: [String]) {
        self.replica = replica
        self.folders = folders
        searchIndexer = SearchIndexer(replica: replica) { error in
            Terminal.error(
                "error: search indexing failed (the captures stay queued): \(ErrorReporting.message(for: error))")
        }
        // Whatever an earlier command left queued.
        searchIndexer.nudge()
    }

    func stop() {
        state.lock()
        stopping = true
        state.unlock()
        for link in links { link.stop() }
    }

    private var isStopping: Bool {
        state.lock()
        defer { state.unlock() }
        return stopping
    }

    // MARK: Folders

    /// Imports the folder whole, then each file as it settles, until stopped.
    /// With `scanEvery` > 0, every file's size and time are also looked at that often, for
    /// changes the kernel did not report (a network file system).
    func keep(folder: String, watcher: FolderWatcher, scanEvery: Int = 0) {
        let scanner = scanEvery > 0 ? ScanWatcher(root: folder) : nil
        var lastScan = Date()
        // A stop is heard between two chunks of a large first import; a file some writer holds
        // open is left for its close (or a look each second), as later ones are.
        var held = Set<String>()
        var heldLook = Date()
        let all = Self.allPaths(in: folder)
        for start in stride(from: 0, to: all.count, by: 500) where !isStopping {
            let chunk = all[start..<min(all.count, start + 500)]
            let writing = chunk.filter { FolderWatcher.isOpenForWriting(folder + "/" + $0) }
            held.formUnion(writing)
            importPaths(chunk.filter { !writing.contains($0) }, of: folder)
        }
        var pending = Set<String>()
        var quietSince = Date()
        var pendingSince = Date()
        while !isStopping {
            let changes = watcher.poll(timeout: pending.isEmpty ? 0.25 : 0.05)
            if changes.rescan {
                pending.formUnion(Self.allPaths(in: folder))
            }
            if let scanner, Date().timeIntervalSince(lastScan) >= Double(scanEvery) {
                lastScan = Date()
                let missed = scanner.scan().paths
                if !missed.isEmpty {
                    pending.formUnion(missed)
                    quietSince = Date()
                }
            }
            if changes.rootGone {
                Terminal.error(
                    "error: the folder \(folder) was removed or moved away; it is no longer watched, and nothing more is written there"
                )
                markGone(folder)
                return
            }
            if !changes.paths.isEmpty || !changes.unsettled.isEmpty {
                if pending.isEmpty { pendingSince = Date() }
                // A file written to again after it was closed waits for its next close.
                pending.subtract(changes.unsettled)
                pending.formUnion(changes.paths)
                quietSince = Date()
            }
            // A burst of files (a capture pipeline writing many) is imported as one batch once
            // it pauses, or every half second while it goes on.
            if !pending.isEmpty,
                Date().timeIntervalSince(quietSince) >= 0.1 || Date().timeIntervalSince(pendingSince) >= 0.5
                    || pending.count >= 500
            {
                // A file some writer holds open again (it created it, closed it, and writes on)
                // waits for its next close, or a look each second.
                let writing = pending.filter { FolderWatcher.isOpenForWriting(folder + "/" + $0) }
                held.formUnion(writing)
                pending.subtract(writing)
                importPaths(pending.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }, of: folder)
                pending.removeAll()
            }
            if !held.isEmpty, Date().timeIntervalSince(heldLook) >= 1 {
                heldLook = Date()
                pending.formUnion(held)
                held.removeAll()
            }
        }
    }

    static func allPaths(in folder: String) -> [String] {
        var walker = SourceWalker([(folder, true)])
        var paths: [String] = []
        while let source = walker.next() {
            if source.refusal == nil { paths.append(source.relativePath) }
        }
        return paths
    }

    private func importPaths(_ paths: [String], of folder: String) {
        guard !paths.isEmpty else { return }
        folderLock.lock()
        defer { folderLock.unlock() }
        let before = (try? replica.journalPosition()) ?? 0
        let report: ImportReport
        do {
            report = try replica.importFiles(inFolder: folder, relativePaths: paths)
        } catch {
            Terminal.error("error: importing from \(folder) failed: \(ErrorReporting.message(for: error))")
            return
        }
        for file in report.changed {
            let what: String
            switch file.kind {
            case .created: what = "new article"
            case .recaptured: what = "new capture"
            case .updated: what = "updated"
            case .moved: what = "moved"
            }
            Terminal.line("imported \(what) \(file.article.hex.prefix(12)) \(file.path) \"\(file.title)\"")
        }
        for (file, reason) in report.refused { Terminal.error("refused \(file): \(reason)") }
        guard !report.changed.isEmpty else { return }
        // Every folder holds the whole archive, this one included: what the import merged with
        // (a peer's change to the same article, pulled while the file was being written) is
        // written back; a file that says what the replica says is left alone. The peers hear of
        // it at once.
        exportLocked(since: before, from: nil)
        for link in links { link.poke() }
    }

    // MARK: Peers

    func handle(_ notice: PeerLink.Notice, from peer: String) {
        let sentence = notice.sentence(peer: peer)
        switch notice {
        case .pulled(_, let since):
            Terminal.line(sentence)
            folderLock.lock()
            exportLocked(since: since, from: peer)
            folderLock.unlock()
            // What one peer sent, the others may lack.
            for link in links where link.target.name != peer { link.poke() }
            searchIndexer.nudge()
        case .pushed:
            Terminal.line(sentence)
        case .refused:
            Terminal.error("error: " + sentence)
        case .noWaiting:
            Terminal.error("note: " + sentence)
        case .unreachable, .reachable, .pinned:
            Terminal.error(sentence)
        }
    }

    /// Writes what events after `since` changed into each folder still watched; the caller holds
    /// `folderLock`.
    private func exportLocked(since: Int64, from peer: String?) {
        let gone = goneFolders
        guard folders.contains(where: { !gone.contains($0) }) else { return }
        let changed: Set<ArticleID>?
        do { changed = try replica.articlesWritten(after: since) } catch {
            Terminal.error("error: reading what changed failed: \(ErrorReporting.message(for: error))")
            return
        }
        if let changed, changed.isEmpty { return }
        for folder in folders where !gone.contains(folder) {
            do {
                let report = try replica.export(to: folder, only: changed)
                for file in report.writtenFiles {
                    Terminal.line(
                        "wrote \(folder)/\(file.path) (\(file.article.hex.prefix(12))"
                            + (peer.map { ", from \($0)" } ?? "") + ")")
                }
                for problem in report.skipped { Terminal.error("not written: \(problem.message)") }
            } catch {
                Terminal.error("error: writing into \(folder) failed: \(ErrorReporting.message(for: error))")
            }
        }
    }
}
