import ArchiveModel
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Standard output and error, and whether a person is watching them.
///
/// Stored and peer-supplied text is hostile, so `line` and `error` pass every text through
/// `DisplayText.escaped(_:keepingLineBreaks:)`; only `writeVerbatim` writes bytes as they are.
enum Terminal {
    static var stderrIsTerminal: Bool { isatty(STDERR_FILENO) != 0 }
    static var stdoutIsTerminal: Bool { isatty(STDOUT_FILENO) != 0 }

    /// Writes one line to standard output, escaped (line breaks and tabs kept).
    static func line(_ text: String) {
        var text = DisplayText.escaped(text, keepingLineBreaks: true)
        text.append("\n")
        write(text, to: STDOUT_FILENO)
    }

    /// Writes one line to standard error, escaped (line breaks and tabs kept).
    static func error(_ text: String) {
        write(DisplayText.escaped(text, keepingLineBreaks: true) + "\n", to: STDERR_FILENO)
    }

    /// Writes text to standard output, escaped (line breaks and tabs kept), without adding a line end.
    static func text(_ text: String) {
        write(DisplayText.escaped(text, keepingLineBreaks: true), to: STDOUT_FILENO)
    }

    /// Writes bytes to standard output exactly as they are (`show --raw` into a pipe or a file).
    static func writeVerbatim(_ text: String) {
        write(text, to: STDOUT_FILENO)
    }

    /// Writes `text` as it is; callers escape what they did not write themselves.
    static func write(_ text: String, to descriptor: Int32) {
        var text = text
        text.withUTF8 { buffer in
            guard let base = buffer.baseAddress else { return }
            var offset = 0
            while offset < buffer.count {
                let written = Foundation.write(descriptor, base + offset, buffer.count - offset)
                if written <= 0 {
                    if written < 0, errno == EINTR { continue }
                    // The reader went away (a closed pipe): stop quietly, as `head` expects.
                    if errno == EPIPE { exit(0) }
                    return
                }
                offset += written
            }
        }
    }
}

/// A progress line on standard error, redrawn at most ten times a second, and silent unless
/// standard error is a terminal (so piped and scripted runs stay quiet).
final class ProgressLine: @unchecked Sendable {
    private let enabled: Bool
    private var lastDraw: TimeInterval = 0
    private var drawn = false
    private let lock = NSLock()

    init(enabled: Bool = Terminal.stderrIsTerminal) { self.enabled = enabled }

    func update(_ text: @autoclosure () -> String, force: Bool = false) {
        guard enabled else { return }
        lock.lock()
        defer { lock.unlock() }
        let now = Date().timeIntervalSince1970
        guard force || now - lastDraw >= 0.1 else { return }
        lastDraw = now
        drawn = true
        Terminal.write("\r\u{1B}[K" + DisplayText.escaped(text()), to: STDERR_FILENO)
    }

    /// Clears the line so that what follows starts clean.
    func finish() {
        guard enabled else { return }
        lock.lock()
        defer { lock.unlock() }
        if drawn { Terminal.write("\r\u{1B}[K", to: STDERR_FILENO) }
        drawn = false
    }
}
