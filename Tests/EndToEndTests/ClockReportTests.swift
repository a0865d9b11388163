import ArchiveModel
import Foundation
import TestSupport
import Testing

/// `sync` and `status` report the clock of the server against this machine's (protocol/CLOCKS.md),
/// measured from the `Date` header of a real server.
struct ClockReportTests {
    /// The `faketime` command (Debian package `faketime`), which runs a command seeing another time.
    static let faketime = "/usr/bin/faketime"

    /// `archive-sync ARGUMENTS` on `cli`'s replica, its clock `offset` off (e.g. "-3h").
    func run(_ cli: CLI, clock offset: String, _ arguments: [String]) throws -> CLI.Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.faketime)
        process.arguments = ["-f", offset, CLI.executable] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["ARCHIVE_SYNC_DB"] = cli.database
        process.environment = environment
        let (out, err) = (Pipe(), Pipe())
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Small outputs: the pipes hold them until the process ends.
        process.waitUntilExit()
        return CLI.Result(
            status: process.terminationStatus,
            stdout: String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self),
            stderr: String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
    }

    @Test func syncAndStatusReportAServerClockInStep() throws {
        let hub = try SyncNode("clock-hub")
        let laptop = try SyncNode("clock-laptop", serve: false)
        let sync = try laptop.cli.ok(["sync", hub.url, "--token-file", hub.tokenFile, "--json"]).json()
        let skew = try #require(sync["clock_skew_ms"]?.integerValue)
        #expect(abs(skew) < 2_000)
        #expect(sync["events_ahead_ms"]?.integerValue == 0)
        let status = try laptop.cli.ok(["status", "--json"]).json()
        #expect(status["peers"]?.arrayValue?.first?["clock_skew_ms"]?.integerValue == skew)
    }

    @Test(
        .enabled(
            if: FileManager.default.fileExists(atPath: faketime) || TestPaths.runningInCI,
            "needs the faketime package (scripts/test installs it; CI must run it)"))
    func aClientWhoseClockIsHoursSlowSyncsAndIsToldSo() throws {
        let hub = try SyncNode("clock-hub")
        try hub.cli.ok(["capture", "--url", "https://news.example.org/clock", "--title", "clock", "--body", "<p>x</p>"])
        let laptop = try SyncNode("clock-laptop", serve: false)
        let sync = try run(laptop.cli, clock: "-3h", ["sync", hub.url, "--token-file", hub.tokenFile])
        #expect(sync.status == 0, "\(sync.stderr)")
        #expect(sync.stdout.contains("1 event pulled"))
        #expect(sync.stderr.contains("this machine's clock is 3 h behind the clock of \(hub.url)"))
        #expect(sync.stderr.contains("events received from \(hub.url) are dated up to 3 h ahead"))
        let status = try run(laptop.cli, clock: "-3h", ["status"])
        #expect(status.stdout.contains("its clock 3 h ahead"))
        #expect(status.stdout.contains("warning:   this machine's clock is 3 h behind"))
        #expect(status.stdout.contains("warning:   the latest event held is dated 3 h ahead of this machine's clock"))
    }
}
