import Foundation
import SlipwayAPI

/// A fragment of HTML. Interpolated strings are escaped unless they are `HTML` themselves, so
/// text from outside (commit messages, authors, stage details, pipeline names) can only ever
/// be text: `"<td>\(run.commit.message)</td>" as HTML` is safe.
struct HTML: ExpressibleByStringInterpolation, Sendable {
    private(set) var markup: String

    init(stringLiteral value: String) { markup = value }
    init(stringInterpolation: Interpolation) { markup = stringInterpolation.markup }
    private init(markup: String) { self.markup = markup }

    struct Interpolation: StringInterpolationProtocol {
        var markup = ""
        init(literalCapacity: Int, interpolationCount: Int) { markup.reserveCapacity(literalCapacity * 2) }
        mutating func appendLiteral(_ literal: String) { markup += literal }
        mutating func appendInterpolation(_ text: String) { markup += HTML.escape(text) }
        mutating func appendInterpolation(_ number: some BinaryInteger) { markup += String(number) }
        mutating func appendInterpolation(_ run: RunID) { markup += String(run.rawValue) }
        mutating func appendInterpolation(_ release: ReleaseID) { markup += HTML.escape(release.rawValue) }
        mutating func appendInterpolation(_ html: HTML) { markup += html.markup }
        mutating func appendInterpolation(_ parts: [HTML]) { parts.forEach { markup += $0.markup } }
    }

    /// Escapes for text and for attribute values in double or single quotes.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for c in text.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    /// A path segment for a link (`/pipelines/<name>`), percent-encoded.
    static func pathSegment(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }
}
