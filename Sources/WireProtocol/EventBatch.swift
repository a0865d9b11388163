/*
 The batch format (protocol/SPEC.md): newline-delimited JSON, one event per line in its wire form
 ({"hash":…, …}), in causal order. A pull response ends with one trailer line
 {"end":true,"events":N,"more":BOOL,"knowledge":{…}}; a page without it was cut off.
*/
import ArchiveModel

/// Encoding and decoding of event batches.
public enum EventBatch {
    /// The NDJSON bytes of `events`, one line each, each line ending with a newline.
    public static func encode(_ events: [Event]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(events.reduce(0) { $0 + $1.payload.count + 80 })
        for event in events {
            out.append(contentsOf: event.wireLine)
            out.append(0x0A)
        }
        return out
    }

    /// Decodes a push batch: every non-empty line an event. Throws `WireProtocolError` naming the
    /// line (`malformed-json`, `malformed-event`, `hash-mismatch`) or `too-large` past `maxEvents`.
    public static func decode(_ bytes: [UInt8], maxEvents: Int = .max) throws -> [Event] {
        var events: [Event] = []
        var lineNumber = 0
        try forEachLine(bytes) { line in
            lineNumber += 1
            guard !line.isEmpty else { return }
            if events.count >= maxEvents {
                throw WireProtocolError(.tooLarge, "a push may hold at most \(maxEvents) events; split the batch")
            }
            do {
                events.append(try Event(wireLine: line))
            } catch {
                throw WireProtocolError(mapping: error, line: lineNumber)
            }
        }
        return events
    }

    /// Calls `body` with each line of `bytes` (without its newline), the last one even without a
    /// final newline.
    public static func forEachLine(_ bytes: [UInt8], _ body: (ArraySlice<UInt8>) throws -> Void) rethrows {
        var start = 0
        while start < bytes.count {
            let end = bytes[start...].firstIndex(of: 0x0A) ?? bytes.count
            try body(bytes[start..<end])
            start = end + 1
        }
    }
}

/// The last line of a pull page.
public struct PullTrailer: Sendable, Equatable {
    public var events: Int
    public var more: Bool
    /// The server's knowledge vector when it wrote the page.
    public var knowledge: VectorClock

    public init(events: Int, more: Bool, knowledge: VectorClock) {
        self.events = events
        self.more = more
        self.knowledge = knowledge
    }

    public var json: JSONValue {
        .object([
            ("end", .bool(true)), ("events", .integer(Int64(events))), ("more", .bool(more)),
            ("knowledge", knowledge.json),
        ])
    }

    /// Reads a trailer line; nil when the line is not one (an event line).
    public init?(line: ArraySlice<UInt8>) throws {
        guard line.starts(with: Array("{\"end\"".utf8)) else { return nil }
        let json = try JSONParser.parse(line)
        guard json["end"]?.boolValue == true, let events = json["events"]?.integerValue,
            let more = json["more"]?.boolValue, let knowledge = json["knowledge"]
        else { throw WireProtocolError(.malformedJSON, "the pull page ends with a malformed trailer") }
        self.init(events: Int(events), more: more, knowledge: try VectorClock(json: knowledge))
    }
}

/// A pull page as the client reads it: the events, and the trailer if the page was complete.
public struct PullPage: Sendable {
    public var events: [Event]
    public var trailer: PullTrailer?

    /// Decodes a page; a page cut off inside a line keeps the complete lines before it.
    public init(_ bytes: [UInt8]) throws {
        events = []
        trailer = nil
        var lines: [ArraySlice<UInt8>] = []
        EventBatch.forEachLine(bytes) { lines.append($0) }
        // A last line without its newline was cut off mid-line: drop it.
        if bytes.last != 0x0A, !lines.isEmpty { lines.removeLast() }
        for (index, line) in lines.enumerated() where !line.isEmpty {
            if let trailer = try PullTrailer(line: line) {
                guard index == lines.count - 1 else {
                    throw WireProtocolError(.malformedJSON, "the pull page has lines after its trailer")
                }
                guard trailer.events == events.count else {
                    throw WireProtocolError(
                        .malformedJSON,
                        "the pull page's trailer counts \(trailer.events) events but the page holds \(events.count)")
                }
                self.trailer = trailer
            } else {
                do {
                    events.append(try Event(wireLine: line))
                } catch {
                    throw WireProtocolError(mapping: error, line: index + 1)
                }
            }
        }
    }
}
