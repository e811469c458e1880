import Foundation
import Hummingbird

/// What an error answer may show and in which form.
enum ErrorText {
    /// `text` with every absolute path of two or more components cut to `…/` and its last
    /// component (`state database …/state.sqlite: …`), so no answer shows how the server's
    /// disk is laid out; the service's log keeps the whole text. A path starts with `/` at the
    /// start of the text or after a space, quote, bracket or `=`, and runs to the next space,
    /// quote, colon, comma, semicolon or closing bracket (a URL's `//host/x` is left alone).
    static func redactingPaths(_ text: String) -> String {
        let scalars = Array(text.unicodeScalars)
        var out = String.UnicodeScalarView()
        var i = 0
        while i < scalars.count {
            let startsPath = scalars[i] == "/" && (i == 0 || opensPath.contains(scalars[i - 1]))
                && i + 1 < scalars.count && scalars[i + 1] != "/" && !endsPath(scalars[i + 1])
            guard startsPath else {
                out.append(scalars[i])
                i += 1
                continue
            }
            var end = i
            while end < scalars.count && !endsPath(scalars[end]) { end += 1 }
            var path = String(String.UnicodeScalarView(scalars[i..<end]))
            var trailing = ""
            while let last = path.last, last == "." && path.count > 1 { path.removeLast(); trailing += "." }
            let components = path.split(separator: "/")
            if components.count >= 2, let last = components.last {
                out.append(contentsOf: ("…/" + last + trailing).unicodeScalars)
            } else {
                out.append(contentsOf: (path + trailing).unicodeScalars)
            }
            i = end
        }
        return String(out)
    }

    private static let opensPath: Set<Unicode.Scalar> = [" ", "\t", "\n", "'", "\"", "`", "(", "[", "{", "=", "<"]

    private static func endsPath(_ c: Unicode.Scalar) -> Bool {
        c.properties.isWhitespace || "'\"`:,;)]}>".unicodeScalars.contains(c)
    }

    /// A browser asks for HTML (`Accept: text/html,…`); API clients, `curl` and EventSource
    /// do not, and get JSON.
    static func prefersHTML(_ request: Request) -> Bool {
        request.headers[.accept]?.lowercased().contains("text/html") == true
    }
}
