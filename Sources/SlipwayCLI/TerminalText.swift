/// Output of builds and hooks is untrusted: on an operator's terminal an escape sequence could
/// retitle the window, move the cursor or clear the screen, and a carriage return could print
/// a fake line over a real one. Shown on a terminal, such characters are spelt out instead.
enum TerminalText {
    /// C0 controls other than newline and tab, DEL, C1 controls, and the bidirectional
    /// overrides that can make text read differently from what it is, written as escapes.
    static func escaped(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: needsEscape) else { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            guard needsEscape(scalar) else { out.append(scalar); continue }
            let spelt: String
            switch scalar.value {
            case 0x1B: spelt = "\\e"
            case 0x0D: spelt = "\\r"
            case 0x08: spelt = "\\b"
            case 0..<0x80: spelt = "\\x" + hex(scalar.value, width: 2)
            default: spelt = "\\u{" + hex(scalar.value, width: 0) + "}"
            }
            out.append(contentsOf: spelt.unicodeScalars)
        }
        return String(out)
    }

    static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09, 0x0A: return false
        case 0..<0x20, 0x7F, 0x80...0x9F: return true
        case 0x202A...0x202E, 0x2066...0x2069: return true
        default: return false
        }
    }

    private static func hex(_ value: UInt32, width: Int) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
