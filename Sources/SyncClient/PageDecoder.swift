import ArchiveModel
import WireProtocol

/// Where a pull page's bytes become events: the one function every page goes through, so that
/// each bound on what a page may hold or rebuild is applied in one place.
///
/// The bounds are checked before anything is parsed: the decoded size (`responseLimit`, which
/// the transport enforces while the bytes arrive) and the number of lines (at most the events
/// asked for and the trailer; empty lines are dropped first, so a page of newlines costs no more
/// than its bytes). Delta-coded values are rebuilt from this replica's journal by `resolve`.
enum PageDecoder {
    /// The most decoded bytes accepted in answer to `request`: twice its `max_bytes` (lines add
    /// hashes and escapes to the payload), or one event past it (a page holds at least one, and
    /// an event's escaped line may be six times its values), plus room for the trailer.
    static func responseLimit(for request: PullRequest) -> Int {
        max(request.maxBytes.multipliedReportingOverflow(by: 2).partialValue, 6 * Event.maxValueBytes) + (1 << 20)
    }

    /// Decodes a page answered to `request`. Throws `SyncClientError(.tooLarge)` for a page of more
    /// lines than the request allows, and `WireProtocolError` for a line that is not an event.
    static func page(
        _ body: [UInt8], request: PullRequest, resolve: ValueDelta.BaseResolver?
    ) throws -> PullPage {
        let lines = withoutEmptyLines(body)
        let allowed = request.maxEvents + 1
        if lines.count > allowed {
            throw SyncClientError(
                .tooLarge,
                "the server sent a pull page of \(lines.count) lines, more than the \(request.maxEvents) events "
                    + "asked for and a trailer; the server is broken or hostile, so the sync stopped")
        }
        return try PullPage(lines.bytes, resolve: resolve)
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
