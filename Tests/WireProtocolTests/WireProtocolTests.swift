import ArchiveModel
import Foundation
import TestSupport
import Testing
import WireProtocol

struct GzipTests {
    @Test func roundTrips() throws {
        let text = Array(String(repeating: "朝鲜 events\n", count: 5_000).utf8)
        let compressed = try Gzip.compress(text)
        #expect(Gzip.isGzip(compressed))
        #expect(compressed.count < text.count / 10)
        #expect(try Gzip.decompress(compressed, limit: 1 << 20) == text)
    }

    @Test func refusesABombWithoutHoldingIt() throws {
        let bomb = try Gzip.compress([UInt8](repeating: 0, count: 8 << 20))
        #expect(bomb.count < (8 << 20) / 100)  // more than a hundredfold
        #expect { try Gzip.decompress(bomb, limit: 1 << 20) } throws: { ($0 as? WireProtocolError)?.code == .tooLarge }
    }

    @Test(arguments: [0.25, 0.5, 0.9, 0.99])
    func refusesATruncatedBody(fraction: Double) throws {
        let compressed = try Gzip.compress(Array(String(repeating: "line of text\n", count: 2_000).utf8))
        let cut = Array(compressed.prefix(Int(Double(compressed.count) * fraction)))
        #expect { try Gzip.decompress(cut, limit: 1 << 20) } throws: { ($0 as? WireProtocolError)?.code == .badGzip }
    }

    @Test func refusesACorruptBody() throws {
        var compressed = try Gzip.compress(Array(String(repeating: "abc", count: 1_000).utf8))
        compressed[compressed.count - 6] ^= 0xFF
        #expect { try Gzip.decompress(compressed, limit: 1 << 20) } throws: {
            ($0 as? WireProtocolError)?.code == .badGzip
        }
        #expect { try Gzip.decompress(Array("not gzip at all, long enough".utf8), limit: 1 << 20) } throws: {
            ($0 as? WireProtocolError)?.code == .badGzip
        }
    }

    @Test func aStreamOfFlushedPiecesDecodesAsOneBody() throws {
        let stream = try Gzip.Stream()
        var body: [UInt8] = []
        for piece in ["first\n", "second\n", "third\n"] {
            body += Array(try stream.write(Array(piece.utf8)).readableBytesView)
        }
        body += Array(try stream.finish().readableBytesView)
        #expect(try Gzip.decompress(body, limit: 1 << 10) == Array("first\nsecond\nthird\n".utf8))
    }
}

struct EventBatchTests {
    func chain(_ count: Int) throws -> [Event] {
        var events: [Event] = []
        var prev = SHA256Digest.zero
        for seq in 1...count {
            var clock = VectorClock()
            clock[EventFactory.origin(1)] = seq - 1
            let event = try Event.seal(
                Event.Draft(
                    origin: EventFactory.origin(1), seq: seq,
                    hlc: HybridTimestamp(milliseconds: Int64(seq), counter: 0),
                    clock: clock, article: EventFactory.article, kind: .update,
                    changes: [.set(.note, .text("n\(seq)"))],
                    prev: prev))
            prev = event.hash
            events.append(event)
        }
        return events
    }

    @Test func encodesAndDecodesLines() throws {
        let events = try chain(5)
        let bytes = EventBatch.encode(events)
        #expect(bytes.filter { $0 == 0x0A }.count == 5)
        #expect(try EventBatch.decode(bytes).map(\.hash) == events.map(\.hash))
        #expect(try EventBatch.decode(bytes + Array("\n\n".utf8)).count == 5)
    }

    @Test func namesTheBadLine() throws {
        let events = try chain(2)
        let bytes = EventBatch.encode([events[0]]) + Array("{\"hash\":1}\n".utf8) + EventBatch.encode([events[1]])
        #expect { try EventBatch.decode(bytes) } throws: {
            guard let error = $0 as? WireProtocolError else { return false }
            return error.line == 2 && error.code == .malformedEvent && error.status == 400
        }
        #expect { try EventBatch.decode(EventBatch.encode(events), maxEvents: 1) } throws: {
            ($0 as? WireProtocolError)?.code == .tooLarge
        }
    }

    @Test func aPageWithoutItsTrailerWasCutOff() throws {
        let events = try chain(3)
        var trailer: [UInt8] = []
        var knowledge = VectorClock()
        knowledge[EventFactory.origin(1)] = 3
        PullTrailer(events: 3, more: false, knowledge: knowledge).json.write(to: &trailer, sortKeys: false)
        let whole = EventBatch.encode(events) + trailer + [0x0A]
        let page = try PullPage(whole)
        #expect(page.events.count == 3 && page.trailer?.more == false && page.trailer?.knowledge == knowledge)
        // Cut inside the third line: two whole events, no trailer.
        let lineTwoEnd = EventBatch.encode(Array(events.prefix(2))).count
        let cut = try PullPage(Array(whole.prefix(lineTwoEnd + 40)))
        #expect(cut.events.count == 2 && cut.trailer == nil)
        // A trailer that miscounts is refused.
        var wrong: [UInt8] = []
        PullTrailer(events: 5, more: false, knowledge: knowledge).json.write(to: &wrong, sortKeys: false)
        #expect(throws: WireProtocolError.self) { try PullPage(EventBatch.encode(events) + wrong + [0x0A]) }
    }

    @Test func errorsRoundTripThroughTheirJSON() throws {
        let error = WireProtocolError(.fork, "a fork", event: "\(EventFactory.origin(1).hex):2", line: 3)
        var body: [UInt8] = []
        error.json.write(to: &body, sortKeys: false)
        #expect(WireProtocolError(status: 409, body: body) == error)
        let unknown = WireProtocolError(status: 502, body: Array("<html>bad gateway</html>".utf8))
        #expect(unknown.isRetryable && unknown.message.contains("502"))
    }

    @Test func aPeersErrorMessageIsOneEscapedLineOfBoundedLength() throws {
        let forged = "refused\nSynced with \"hub\": 0 events pulled\u{1B}[2K" + String(repeating: "x", count: 5_000)
        var body: [UInt8] = []
        WireProtocolError(.busy, forged).json.write(to: &body, sortKeys: false)
        let error = WireProtocolError(status: 503, body: body)
        #expect(!error.message.unicodeScalars.contains { $0.value < 0x20 })
        #expect(error.message.hasPrefix("refused\\x0aSynced with"))
        #expect(error.message.unicodeScalars.count < 1_100)
        let raw = WireProtocolError(status: 502, body: Array("bad\ngateway\u{1B}]0;x".utf8))
        #expect(!raw.message.unicodeScalars.contains { $0.value < 0x20 })
    }

    @Test func pullRequestsAreCheckedAndCapped() throws {
        let limits = WireLimits.standard
        let request = try PullRequest(
            body: Array(#"{"knowledge":{},"max_events":999999,"max_bytes":5}"#.utf8), limits: limits)
        #expect(request.maxEvents == limits.maxPullEvents && request.maxBytes == 5)
        for body in [
            #"{}"#, #"{"knowledge":[]}"#, #"{"knowledge":{"xyz":1}}"#, #"{"knowledge":{},"max_events":0}"#,
            #"{"knowledge":{},"extra":1}"#,
        ] {
            #expect { try PullRequest(body: Array(body.utf8), limits: limits) } throws: {
                ($0 as? WireProtocolError)?.code == .malformedRequest
            }
        }
    }
}

struct ValueDeltaTests {
    func event(seq: Int, prev: SHA256Digest, body: String, kind: EventKind = .update) throws -> Event {
        var clock = VectorClock()
        clock[EventFactory.origin(1)] = seq - 1
        return try Event.seal(
            Event.Draft(
                origin: EventFactory.origin(1), seq: seq, hlc: HybridTimestamp(milliseconds: Int64(seq), counter: 0),
                clock: clock,
                article: EventFactory.article, kind: kind, changes: [.set(.body, .text(body)), .tagAdd("x\(seq)")],
                prev: prev))
    }

    static let oldBody = String(repeating: "<p>朝鲜半岛的局势。</p>", count: 40)
    static let newBody =
        String(repeating: "<p>朝鲜半岛的局势。</p>", count: 20) + "<p>新增一段：会谈恢复。</p>"
        + String(repeating: "<p>朝鲜半岛的局势。</p>", count: 20)

    @Test func aLongValueTravelsAsADeltaAndRebuildsTheSameEvent() throws {
        let base = try event(seq: 1, prev: .zero, body: Self.oldBody)
        let edited = try event(seq: 2, prev: base.hash, body: Self.newBody)
        let line = try ValueDelta.wireLine(of: edited) { _, _ in (base.dot, base.hash, Self.oldBody) }
        #expect(line.count < edited.wireLine.count / 2)
        #expect(String(decoding: line, as: UTF8.self).contains("\"delta\""))
        let decoded = try EventBatch.decode(line) { dot, field in
            dot == base.dot && field == Field.body
                ? ValueDelta.Base(article: base.article, hash: base.hash, value: Self.oldBody) : nil
        }
        #expect(decoded.first?.hash == edited.hash)
        #expect(decoded.first?.value(of: .body) == .text(Self.newBody))
    }

    @Test func aDeltaWhoseBaseIsNotHeldOrIsAnotherEventIsRefused() throws {
        let base = try event(seq: 1, prev: .zero, body: Self.oldBody)
        let edited = try event(seq: 2, prev: base.hash, body: Self.newBody)
        let line = try ValueDelta.wireLine(of: edited) { _, _ in (base.dot, base.hash, Self.oldBody) }
        #expect { try EventBatch.decode(line, bases: { _, _ in nil }) } throws: {
            ($0 as? WireProtocolError)?.code == .malformedEvent
        }
        // Another event under the base's origin and seq: the histories differ, a fork.
        let other = Self.oldBody.replacingOccurrences(of: "局势", with: "形势")
        #expect {
            try EventBatch.decode(line) { _, _ in
                ValueDelta.Base(article: base.article, hash: SHA256Digest.of([9]), value: other)
            }
        } throws: {
            guard let error = $0 as? WireProtocolError else { return false }
            return error.code == .fork && error.event == "\(base.origin.hex):1"
        }
        // Absurd offsets are refused, not trusted.
        let text = String(decoding: line, as: UTF8.self)
        let hostile = text.replacingOccurrences(
            of: #""prefix":\d+"#, with: "\"prefix\":9223372036854775807", options: .regularExpression)
        #expect {
            try EventBatch.decode(Array(hostile.utf8)) { _, _ in
                ValueDelta.Base(article: base.article, hash: base.hash, value: Self.oldBody)
            }
        } throws: {
            ($0 as? WireProtocolError)?.code == .malformedEvent
        }
    }

    @Test func shortValuesAndCreatesGoWhole() throws {
        let base = try event(seq: 1, prev: .zero, body: Self.oldBody)
        let short = try event(seq: 2, prev: base.hash, body: "<p>short</p>")
        #expect(try ValueDelta.wireLine(of: short) { _, _ in (base.dot, base.hash, Self.oldBody) } == short.wireLine)
        // A create whose long body a base would shorten still goes whole: its base is never looked for.
        var clock = VectorClock()
        clock[EventFactory.origin(1)] = 1
        let create = try Event.seal(
            Event.Draft(
                origin: EventFactory.origin(1), seq: 2, hlc: HybridTimestamp(milliseconds: 2, counter: 0),
                clock: clock, article: EventFactory.article, kind: .create,
                changes: [
                    .set(.url, .text(EventFactory.url)), .set(.title, .text("created")),
                    .set(.body, .text(Self.newBody)), .set(.capturedAt, .integer(1)),
                ],
                prev: base.hash))
        var looked = 0
        let line = try ValueDelta.wireLine(of: create) { _, _ in
            looked += 1
            return (base.dot, base.hash, Self.oldBody)
        }
        #expect(line == create.wireLine && looked == 0)
        #expect(!String(decoding: line, as: UTF8.self).contains("\"delta\""))
    }

    @Test(arguments: [("abc", "abXc"), ("朝鲜", "朝鲜人"), ("朝鲜", "韩国"), ("", "new"), ("same", "same"), ("éa", "éb")])
    func differencesCutAtCharacterBoundaries(base: String, new: String) {
        let (prefix, suffix, insert) = ValueDelta.difference(from: Array(base.utf8), to: Array(new.utf8))
        let rebuilt = Array(base.utf8)[0..<prefix] + insert + Array(base.utf8)[(base.utf8.count - suffix)...]
        #expect(String(validating: Array(rebuilt), as: UTF8.self) == new)
        #expect(String(validating: insert, as: UTF8.self) != nil)
    }
}
