import Foundation

/// A CodeBuild file pattern: `file`, `dir/*`, `dir/**/*`, `**/*`. `*`, `?` and `[...]` match
/// within one path component; a `**` component matches any number of components.
public struct PathGlob: Sendable, Equatable {
    public let pattern: String
    private let components: [String]

    public init(_ pattern: String) {
        self.pattern = pattern
        components = PathGlob.normalize(pattern).split(separator: "/", omittingEmptySubsequences: true).map(String.init)
    }

    /// Drops `./` prefixes and duplicate slashes.
    static func normalize(_ path: String) -> String {
        var p = path
        while p.hasPrefix("./") { p.removeFirst(2) }
        if p == "." { return "" }
        return p
    }

    public static func hasWildcard(_ text: String) -> Bool {
        text.contains { $0 == "*" || $0 == "?" || $0 == "[" }
    }

    /// True when `path` (relative, "/"-separated) matches the whole pattern.
    public func matches(_ path: String) -> Bool {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        return Self.match(components[...], parts[...])
    }

    private static func match(_ pattern: ArraySlice<String>, _ path: ArraySlice<String>) -> Bool {
        guard let head = pattern.first else { return path.isEmpty }
        if head == "**" {
            let rest = pattern.dropFirst()
            var p = path
            while true {
                if match(rest, p) { return true }
                guard !p.isEmpty else { return false }
                p = p.dropFirst()
            }
        }
        guard let first = path.first, fnmatch(head, first, 0) == 0 else { return false }
        return match(pattern.dropFirst(), path.dropFirst())
    }
}
