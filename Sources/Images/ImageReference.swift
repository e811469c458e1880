import SlipwayCore

/// A user's name for an image: `name` or `name:tag` (tag `latest` when omitted), as Docker
/// spells them: lowercase path components separated by `/`, a tag of up to 128 characters.
/// The first of several components may be a registry host (`127.0.0.1:5000/team/node:20`,
/// `ghcr.io/org/tool`), which is how pulled images are named.
public struct ImageReference: Hashable, Sendable, CustomStringConvertible {
    public var name: String
    public var tag: String

    public static let defaultTag = "latest"

    /// Parses `name[:tag]`; throws a bad-input error that shows the rule that was broken.
    public init(parsing text: String) throws {
        let (name, tag) = Self.split(text)
        guard Self.isValidName(name) else {
            throw SlipwayError.badInput("'\(text)' is not a valid image name: use lowercase letters, digits, '.', '_', '-' and '/' (for example busybox or tools/debian:bookworm)")
        }
        guard Self.isValidTag(tag) else {
            throw SlipwayError.badInput("'\(text)' has an invalid tag '\(tag)': use up to 128 letters, digits, '.', '_' or '-', not starting with '.' or '-'")
        }
        self.name = name
        self.tag = tag
    }

    /// Whether `text` parses, without an error.
    public static func isValid(_ text: String) -> Bool {
        let (name, tag) = split(text)
        return isValidName(name) && isValidTag(tag)
    }

    public var description: String { "\(name):\(tag)" }

    /// The tag file's relative path: `/` in names becomes `+`, which names cannot contain.
    var tagFile: String { name.replacingOccurrences(of: "/", with: "+") + "/" + tag }

    private static func split(_ text: String) -> (String, String) {
        // A ':' after the last '/' separates the tag (a registry port would come before a '/').
        if let colon = text.lastIndex(of: ":"), !text[colon...].contains("/") {
            return (String(text[..<colon]), String(text[text.index(after: colon)...]))
        }
        return (text, defaultTag)
    }

    private static func isValidName(_ name: String) -> Bool {
        guard !name.isEmpty, name.utf8.count <= 255 else { return false }
        var parts = name.split(separator: "/", omittingEmptySubsequences: false)
        if parts.count > 1, isRegistryHost(parts[0]) { parts.removeFirst() }
        return parts.allSatisfy { part in
            guard let first = part.first, let last = part.last, isLowerAlnum(first), isLowerAlnum(last) else { return false }
            return part.allSatisfy { isLowerAlnum($0) || $0 == "." || $0 == "_" || $0 == "-" }
        }
    }

    /// `host`, `host:port` or `localhost`: a component with a '.' or a ':' or `localhost`
    /// (Docker's rule for telling a registry from a path component).
    public static func isRegistryHost(_ part: Substring) -> Bool {
        guard part.contains(".") || part.contains(":") || part == "localhost" else { return false }
        let pieces = part.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        let host = pieces[0]
        guard let first = host.first, first.isASCII, first.isLetter || first.isNumber,
              host.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-") }) else { return false }
        if pieces.count == 2 {
            guard let port = Int(pieces[1]), (1...65535).contains(port) else { return false }
        }
        return true
    }

    private static func isValidTag(_ tag: String) -> Bool {
        guard let first = tag.first, tag.utf8.count <= 128, first != ".", first != "-" else { return false }
        return tag.allSatisfy { ($0.isASCII && ($0.isLetter || $0.isNumber)) || $0 == "." || $0 == "_" || $0 == "-" }
    }

    private static func isLowerAlnum(_ c: Character) -> Bool {
        c.isASCII && (c.isLowercase || c.isNumber)
    }
}
