import ArchiveModel
import Foundation
import Replica
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `kill -9` at a moment the test chooses, never by a timer: the replica that was written to
/// passes `verify`, and running the interrupted command again converges on the digest of a run
/// that was not interrupted.
struct CrashConsistencyTests {
    @Test func aServerKilledMidPushKeepsAVerifiedFileAndTheNextSyncConverges() throws {
        let server = try SyncNode("server")
        let reference = try SyncNode("reference")
        let laptop = try SyncNode("laptop", serve: false)
        try laptop.cli.ok(["generate", laptop.cli.directory.file("articles"), "--count", "300", "--seed", "31"])
        try laptop.cli.ok(["import", laptop.cli.directory.file("articles")])
        // The run that is not interrupted, which also measures the bytes of the whole push.
        let whole = try laptop.cli.ok([
            "sync", reference.url, "--token-file", reference.tokenFile, "--batch-size", "20", "--json",
        ]).json()
        let pushBytes = Int(whole["bytes_sent"]?.integerValue ?? 0)
        #expect(pushBytes > 10_000, "the uninterrupted push did not report its bytes")

        // Halfway through the push the proxy holds a request half sent: the server has read part
        // of its body when it is killed.
        let proxy = try DroppingProxy(target: server.server?.port ?? 0)
        proxy.hold(afterUpstreamBytes: pushBytes / 2)
        let client = try laptop.startSync(with: server, url: "http://127.0.0.1:\(proxy.port)", batchSize: 20)
        let heldMidPush = proxy.waitForHold(timeout: 120)
        #expect(heldMidPush, "the push ended before the proxy held a request")
        server.server?.kill()
        #expect(server.server?.process.terminationReason == .uncaughtSignal)
        kill(client.processIdentifier, SIGKILL)
        client.waitUntilExit()
        proxy.release()

        let held = try server.replica().knowledge().total
        #expect(held > 0 && held < 300, "the kill did not land mid-push: the server holds \(held) of 300 events")
        let verify = try server.cli.ok(["verify", "--json"]).json()
        #expect(verify["ok"]?.boolValue == true, "the killed server's file fails verify: \(verify)")

        server.stop()
        try server.start()
        let resumed = try laptop.cli.ok(["sync", server.url, "--token-file", server.tokenFile, "--json"]).json()
        #expect(resumed["pushed"]?.integerValue == Int64(300 - held))
        #expect(try server.journal() == reference.journal())
        #expect(try server.replica().digest() == reference.replica().digest())
        #expect(try server.replica().verify().ok)
    }

    @Test func anImportKilledMidBatchKeepsItsCommittedChunksAndARerunConverges() throws {
        let cli = try CLI("import-killed")
        let reference = try CLI("import-reference")
        let folder = cli.directory.file("articles")
        // Three chunks of 500 files (the importer commits 500 at a time).
        try cli.ok(["generate", folder, "--count", "1500", "--seed", "32"])
        try cli.ok(["init", "--name", "laptop"])
        try reference.ok(["init", "--name", "reference"])
        try reference.ok(["import", folder])

        // `import` draws its progress line on a terminal only, and only after a chunk has been
        // committed: give it a pseudo-terminal and kill it as soon as the first line arrives.
        let terminal = try PseudoTerminal()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLI.executable)
        process.arguments = ["import", folder, "--db", cli.database]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = terminal.child
        try process.run()
        terminal.closeChild()
        let progress = terminal.read(until: "importing: ", timeout: 120)
        #expect(progress.contains("importing: "), "import showed no progress: \(progress)")
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal, "the import ended before it could be killed")

        let held = try Replica.open(at: cli.database).knowledge().total
        #expect(held >= 500 && held < 1500, "the kill did not land mid-import: \(held) of 1500 events")
        let verify = try cli.ok(["verify", "--json"]).json()
        #expect(verify["ok"]?.boolValue == true, "the killed import's file fails verify: \(verify)")

        let rerun = try cli.ok(["import", folder, "--json"]).json()
        #expect(rerun["created"]?.integerValue == Int64(1500 - held))
        #expect(rerun["unchanged"]?.integerValue == Int64(held))
        #expect(try Replica.open(at: cli.database).digest() == Replica.open(at: reference.database).digest())
        #expect(try cli.ok(["verify", "--json"]).json()["ok"]?.boolValue == true)
    }
}

/// A pseudo-terminal pair: the child end goes to a process as its terminal, the test reads what
/// the process draws from the parent end.
final class PseudoTerminal {
    private let parent: Int32
    let child: FileHandle

    init() throws {
        // posix_openpt and its companions are not in the Glibc module (they need _XOPEN_SOURCE):
        // look them up in the C library at run time.
        typealias OpenPT = @convention(c) (Int32) -> Int32
        typealias Grant = @convention(c) (Int32) -> Int32
        typealias Name = @convention(c) (Int32, UnsafeMutablePointer<CChar>?, Int) -> Int32
        let library = dlopen(nil, RTLD_NOW)
        guard let openSymbol = dlsym(library, "posix_openpt"), let grantSymbol = dlsym(library, "grantpt"),
            let unlockSymbol = dlsym(library, "unlockpt"), let nameSymbol = dlsym(library, "ptsname_r")
        else { throw TestSetupError("the C library has no pseudo-terminal functions") }
        parent = unsafeBitCast(openSymbol, to: OpenPT.self)(O_RDWR | O_NOCTTY)
        var name = [CChar](repeating: 0, count: 128)
        guard parent >= 0, unsafeBitCast(grantSymbol, to: Grant.self)(parent) == 0,
            unsafeBitCast(unlockSymbol, to: Grant.self)(parent) == 0,
            unsafeBitCast(nameSymbol, to: Name.self)(parent, &name, name.count) == 0
        else { throw TestSetupError("no pseudo-terminal available") }
        let path = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let descriptor = open(path, O_RDWR | O_NOCTTY)
        guard descriptor >= 0 else { throw TestSetupError("cannot open the pseudo-terminal \(path)") }
        child = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
    }

    /// Closes this process's copy of the child end (the process keeps its own).
    func closeChild() { try? child.close() }

    /// Reads what the process draws until `marker` appears, the terminal closes or the timeout.
    func read(until marker: String, timeout: TimeInterval) -> String {
        var text = ""
        let deadline = Date().addingTimeInterval(timeout)
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !text.contains(marker) {
            let remaining = deadline.timeIntervalSinceNow
            if remaining <= 0 { break }
            var request = pollfd(fd: parent, events: Int16(POLLIN), revents: 0)
            let ready = poll(&request, 1, Int32(min(remaining, 60) * 1000) + 1)
            if ready < 0, errno == EINTR { continue }
            if ready <= 0 { break }
            let count = buffer.withUnsafeMutableBytes { Glibc.read(parent, $0.baseAddress, $0.count) }
            if count <= 0 { break }
            text += String(decoding: buffer[0..<count], as: UTF8.self)
        }
        return text
    }

    deinit { close(parent) }
}
