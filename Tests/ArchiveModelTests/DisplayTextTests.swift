import ArchiveModel
import Testing

/// What reaches a terminal: controls and bidi marks made visible, everything else as it is.
struct DisplayTextTests {
    @Test(arguments: [
        ("plain", "plain"),
        ("朝鲜 café e\u{301} 😀", "朝鲜 café e\u{301} 😀"),
        ("\u{1B}[2J", "\\x1b[2J"),
        ("a\u{0}b", "a\\x00b"),
        ("bell\u{7}", "bell\\x07"),
        ("del\u{7F}", "del\\x7f"),
        ("csi\u{9B}31m", "csi\\x9b31m"),
        ("next\u{85}line", "next\\x85line"),
        ("a\nb\tc\rd", "a\\x0ab\\x09c\\x0dd"),
        ("\u{202E}txt.exe", "\\u{202e}txt.exe"),
        ("\u{2066}\u{2067}\u{2068}\u{2069}", "\\u{2066}\\u{2067}\\u{2068}\\u{2069}"),
        ("\u{200E}\u{200F}\u{061C}", "\\u{200e}\\u{200f}\\u{61c}"),
        ("\u{202A}\u{202B}\u{202C}\u{202D}", "\\u{202a}\\u{202b}\\u{202c}\\u{202d}"),
        ("line\u{2028}para\u{2029}", "line\\u{2028}para\\u{2029}"),
        ("a\\x1b", "a\\x1b"),
    ])
    func escapesControlsAndBidiMarksVisibly(input: String, expected: String) {
        #expect(DisplayText.escaped(input) == expected)
    }

    @Test func keepsLineBreaksAndTabsOnlyWhenAsked() {
        #expect(DisplayText.escaped("a\nb\tc\r\u{1B}", keepingLineBreaks: true) == "a\nb\tc\\x0d\\x1b")
    }

    @Test func noScalarThatATerminalActsOnIsLeft() {
        let every = String(String.UnicodeScalarView((0..<0x3000).compactMap(Unicode.Scalar.init)))
        let shown = DisplayText.escaped(every)
        #expect(!shown.unicodeScalars.contains { DisplayText.needsEscape($0) })
        #expect(DisplayText.escaped(shown) == shown)
    }
}
