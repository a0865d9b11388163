import ArchiveModel
import CoreMetrics
import Foundation

extension ServerMetrics {
    /// The content type of Prometheus' text format.
    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// Every metric in Prometheus' text format, with what is read at scrape time set first: the
    /// journal's size (`knowledge` is what the replica holds now, `fileBytes` its file's size) and,
    /// for each token seen since the server started, the seconds since its last sync and its lag.
    ///
    /// A client's lag is the events the server holds beyond what it knew after its last pull page
    /// (for each origin, the server's count past the client's, added up); a client that has only
    /// pushed has no lag metric. A `# HELP` line precedes each metric's `# TYPE`.
    func exposition(knowledge: VectorClock, fileBytes: Int, now: ContinuousClock.Instant) -> String {
        CoreMetrics.Gauge(label: Name.journalEvents, factory: factory).record(knowledge.total)
        CoreMetrics.Gauge(label: Name.journalFileBytes, factory: factory).record(fileBytes)
        for (token, peer) in peerActivity {
            let since = peer.lastSync.duration(to: now)
            CoreMetrics.Gauge(label: Name.peerSecondsSinceSync, dimensions: [("token", token)], factory: factory)
                .record(Double(Self.nanoseconds(since) / 1_000_000) / 1000)
            if let known = peer.knowledge {
                let lag = knowledge.entries.reduce(0) { $0 + max(0, $1.value - known[$1.key]) }
                CoreMetrics.Gauge(label: Name.peerLagEvents, dimensions: [("token", token)], factory: factory).record(
                    lag)
            }
        }
        return Self.withHelp(registry.emitToString())
    }

    /// `text` with `# HELP name …` before each `# TYPE name …` of a metric named in `Name.help`.
    ///
    /// The registry writes help only for metrics made with it, and the metrics made through
    /// swift-metrics' factory carry none, so the help is added here from one table.
    static func withHelp(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count + 2048)
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("# TYPE ") {
                let name = line.dropFirst("# TYPE ".count).prefix { $0 != " " }
                if let help = Name.help[String(name)] { out += "# HELP \(name) \(help)\n" }
            }
            out += line
            out += "\n"
        }
        // The split kept the text's final line feed as an empty last line.
        if out.hasSuffix("\n\n") { out.removeLast() }
        return out
    }

    /// The bytes of the replica file at `path` and of its write-ahead log; 0 for one that is gone.
    static func fileBytes(ofReplicaAt path: String) -> Int {
        [path, path + "-wal"].reduce(0) { total, file in
            let size = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? nil
            return total + (size ?? 0)
        }
    }
}
