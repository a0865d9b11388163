/// Text made safe to show to a person on a terminal.
///
/// Stored and peer-supplied text is hostile: an ESC can clear the screen or retitle the window, a
/// C1 control can start the same sequences, and a bidi override can make one id or path look like
/// another. Every human-readable print of such text goes through `escaped(_:keepingLineBreaks:)`
/// (the command line's `Terminal.line` and `Terminal.error` call it on everything they print).
public enum DisplayText {
    /// Returns `text` with every C0 control, DEL and C1 control written as `\xHH`, and every bidi
    /// control (`FieldRules.isBidiControl`), U+2028 and U+2029 as `\u{HHHH}`.
    ///
    /// With `keepingLineBreaks`, `\n` and `\t` are kept (for a body or a list shown on several
    /// lines on purpose). A backslash already in the text is left as it is: the result is for
    /// reading, not for decoding. Escaping twice gives the same text as escaping once.
    public static func escaped(_ text: String, keepingLineBreaks: Bool = false) -> String {
        guard text.unicodeScalars.contains(where: { needsEscape($0, keepingLineBreaks) }) else { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            guard needsEscape(scalar, keepingLineBreaks) else {
                out.append(scalar)
                continue
            }
            let hex = String(scalar.value, radix: 16)
            let visible = scalar.value < 0x100 ? "\\x" + (hex.count < 2 ? "0" : "") + hex : "\\u{" + hex + "}"
            out.append(contentsOf: visible.unicodeScalars)
        }
        return String(out)
    }

    /// True for a scalar that `escaped` rewrites.
    public static func needsEscape(_ scalar: Unicode.Scalar, _ keepingLineBreaks: Bool = false) -> Bool {
        if keepingLineBreaks, scalar == "\n" || scalar == "\t" { return false }
        return FieldRules.isControl(scalar) || FieldRules.isBidiControl(scalar) || scalar.value == 0x2028
            || scalar.value == 0x2029
    }
}
