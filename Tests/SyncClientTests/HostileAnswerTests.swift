import ArchiveModel
import Foundation
import Replica
import SyncClient
import TestSupport
import Testing
import WireProtocol

/// Answers no honest server sends: the client stops reading them at a bound and says why.
struct HostileAnswerTests {
    /// A session of a new replica in `work` with the server at `url`, pauses not slept.
    func session(_ work: TemporaryDirectory, url: String) throws -> SyncSession {
        let replica = try Replica.create(at: work.file("laptop.db"), name: "laptop")
        return SyncSession(
            replica: replica, transport: try CurlTransport(baseURL: url, token: nil), sleep: { _ in },
            challenges: { Self.challenge })
    }

    /// The challenge every pull of these sessions carries, so that a canned page can answer it.
    static let challenge = [UInt8](repeating: 0x42, count: ServerProof.challengeBytes)

    /// `hub`'s trailer line for a page of `events` events whose bytes before it are `page`, with
    /// its proof of `challenge` and of the page.
    func trailer(of hub: Replica, events: Int, page: [UInt8]) throws -> [UInt8] {
        ServerProof.trailerLine(
            PullTrailer(
                events: events, more: false, knowledge: try hub.knowledge(), node: try hub.identity().origin,
                name: "hub", digest: try hub.digest().hex),
            page: page, challenge: Self.challenge, key: try hub.signingKey())
    }

    @Test func aGzipBombOfEmptyLinesIsStoppedAtThePageLimitAndNotAskedAgain() throws {
        let work = try TemporaryDirectory("gzip-bomb")
        // 48 MiB of newlines, 48 KiB on the wire: past the limit of any page the client asks for.
        let bomb = try Gzip.compress([UInt8](repeating: 0x0A, count: 48 << 20))
        let server = try CannedHTTPServer(
            head: "HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\nContent-Encoding: gzip", body: bomb)
        defer { server.close() }
        let session = try session(work, url: server.url)
        #expect {
            try session.run()
        } throws: { error in
            let error = error as? SyncClientError
            return error?.code == .tooLarge && error?.isRetryable == false
                && error?.message.contains("/v1/pull grew past") == true
        }
        #expect(server.requests == 1)
    }

    @Test func aPageOfMoreLinesThanTheEventsAskedForIsRefusedBeforeItIsParsed() throws {
        let work = try TemporaryDirectory("many-lines")
        let lines = [UInt8]((0..<3_000).flatMap { _ in Array("x\n".utf8) })
        let server = try CannedHTTPServer(head: "HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson", body: lines)
        defer { server.close() }
        let session = try session(work, url: server.url)
        #expect {
            try session.run()
        } throws: { error in
            let error = error as? SyncClientError
            return error?.code == .tooLarge && error?.message.contains("3000 lines") == true
        }
        #expect(server.requests == 1)
    }

    @Test func emptyLinesAroundAPagesLinesAreLeftOut() throws {
        let work = try TemporaryDirectory("empty-lines")
        let hub = try Replica.create(at: work.file("hub.db"), name: "hub")
        let event = try hub.capture(url: "https://news.example.org/1", title: "one", body: "<p>1</p>\n", capturedAt: 1)
        var page: [UInt8] = Array("\n\n".utf8) + EventBatch.encode([event]) + Array("\n\n\n".utf8)
        page += try trailer(of: hub, events: 1, page: page)
        page += Array("\n\n".utf8)
        let server = try CannedHTTPServer(head: "HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson", body: page)
        defer { server.close() }
        let report = try session(work, url: server.url).run()
        #expect(report.pulledEvents == 1 && report.serverName == "hub")
    }

    /// A server answering every request with one valid page of one event, under `headers`.
    func onePageServer(_ work: TemporaryDirectory, headers: String) throws -> CannedHTTPServer {
        let hub = try Replica.create(at: work.file("hub.db"), name: "hub")
        let event = try hub.capture(url: "https://news.example.org/1", title: "one", body: "<p>1</p>\n", capturedAt: 1)
        var page = EventBatch.encode([event])
        page += try trailer(of: hub, events: 1, page: page)
        page.append(0x0A)
        return try CannedHTTPServer(head: "HTTP/1.1 200 OK\r\n" + headers, body: page)
    }

    @Test(arguments: [
        "Date: Fri, 31 Dec 99999999 23:59:59 GMT", "Date: yesterday-ish", "Date: Thu, 01 Jan 1970 00:00:00 GMT",
    ])
    func aDateHeaderThatIsNoTimeIsIgnored(header: String) throws {
        let work = try TemporaryDirectory("bad-date")
        let server = try onePageServer(work, headers: header)
        defer { server.close() }
        let report = try session(work, url: server.url).run()
        #expect(report.pulledEvents == 1 && report.clockSkew == nil)
    }

    @Test func theServersDateHeaderGivesTheSkew() throws {
        let work = try TemporaryDirectory("date")
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        let ahead = formatter.string(from: Date().addingTimeInterval(2 * 3_600))
        let server = try onePageServer(work, headers: "Date: \(ahead)")
        defer { server.close() }
        let report = try session(work, url: server.url).run()
        let skew = try #require(report.clockSkew)
        #expect(abs(skew - 2 * 3_600_000) < 2_000)
    }
}
