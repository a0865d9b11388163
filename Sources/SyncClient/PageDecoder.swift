import ArchiveModel
import WireProtocol

/// Where a pull page's bytes become events: the one function every page goes through, so that
/// each bound on what a page may hold or rebuild is applied in one place.
///
/// The bounds are checked before anything is parsed: the decoded size (`responseLimit`, which
/// the transport enforces while the bytes arrive) and the number of lines (at most the events
/// asked for and the trailer; empty lines are dropped first, so a page of newlines costs no more
/// than its bytes). Delta-coded values are rebuilt from this replica's journal by `bases`, and the
/// page they rebuild is held to the same limit as its bytes.
enum PageDecoder {
    /// The most decoded bytes accepted in answer to `request`: its `max_bytes` of event lines, plus
    /// the one event a page may hold past it (a page holds at least one, and an event's escaped
    /// values may take six times their bytes), plus room for the lines' hashes and the trailer.
    static func responseLimit(for request: PullRequest) -> Int {
        let (limit, overflow) = request.maxBytes.addingReportingOverflow(6 * Event.maxValueBytes + (2 << 20))
        return overflow ? .max : limit
    }

    /// Decodes a page answered to `request`. Throws `SyncClientError(.tooLarge)` for a page of more
    /// lines than the request allows, and `WireProtocolError` for a line that is not an event, for a
    /// delta whose base is not of the event's article, or (`too-large`) for a page whose rebuilt
    /// values pass the response limit.
    static func page(
        _ body: [UInt8], request: PullRequest, bases: ValueDelta.BaseSource?
    ) throws -> PullPage {
        let lines = withoutEmptyLines(body)
        let allowed = request.maxEvents + 1
        if lines.count > allowed {
            throw SyncClientError(
                .tooLarge,
                "the server sent a pull page of \(lines.count) lines, more than the \(request.maxEvents) events "
                    + "asked for and a trailer; the server is broken or hostile, so the sync stopped")
        }
        return try PullPage(lines.bytes, maxExpandedBytes: responseLimit(for: request), bases: bases)
    }

    /// `body` with its empty lines left out, and how many lines are left (a last line without its
    /// newline counts: it was cut off).
    static func withoutEmptyLines(_ body: [UInt8]) -> (bytes: [UInt8], count: Int) {
        var out: [UInt8] = []
        out.reserveCapacity(body.count)
        var count = 0
        var lineStart = true
        for byte in body {
            if byte == 0x0A {
                if lineStart { continue }
                lineStart = true
            } else if lineStart {
                lineStart = false
                count += 1
            }
            out.append(byte)
        }
        return (out, count)
    }
}
