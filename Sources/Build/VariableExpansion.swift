import Foundation

/// `$NAME` and `${NAME}` expansion for texts Slipway needs before the build starts (the
/// cache key); everything read after the build is expanded by the build's own shell.
enum VariableExpansion {
    static func expand(_ text: String, _ environment: [String: String]) -> String {
        var out = ""
        var i = text.startIndex
        func isNameChar(_ c: Character) -> Bool { c == "_" || (c.isASCII && (c.isLetter || c.isNumber)) }
        while i < text.endIndex {
            let c = text[i]
            guard c == "$", text.index(after: i) < text.endIndex else {
                out.append(c)
                i = text.index(after: i)
                continue
            }
            var j = text.index(after: i)
            if text[j] == "{", let close = text[j...].firstIndex(of: "}") {
                out += environment[String(text[text.index(after: j)..<close])] ?? ""
                i = text.index(after: close)
                continue
            }
            let start = j
            while j < text.endIndex, isNameChar(text[j]) { j = text.index(after: j) }
            if j == start { out.append(c); i = j; continue }
            out += environment[String(text[start..<j])] ?? ""
            i = j
        }
        return out
    }
}
