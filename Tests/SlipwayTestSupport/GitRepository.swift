import Foundation
import SlipwayCore

/// A git repository made for a test (`git init` in a directory of its own), with one author,
/// Ada, for every commit.
public struct GitRepository: Sendable {
    public static let author = (name: "Ada", email: "ada@example.org")

    public let path: String

    /// Creates `path` and initialises a repository there on `branch`.
    public init(at path: String, branch: String = "main") throws {
        self.path = path
        try makeDirectories(path)
        try git("init", "-q", "-b", branch)
    }

    /// The repository already at `path`.
    public init(existing path: String) {
        self.path = path
    }

    /// Writes `text` to `relative` in the work tree (parents created).
    public func write(_ relative: String, _ text: String) throws {
        let full = path + "/" + relative
        try makeDirectories((full as NSString).deletingLastPathComponent)
        try text.write(toFile: full, atomically: true, encoding: .utf8)
    }

    /// Commits everything in the work tree, dated `date` (ISO 8601) if given; returns the
    /// commit id.
    @discardableResult
    public func commit(_ message: String, date: String? = nil) throws -> String {
        try git("add", "-A")
        let dates = date.map { ["GIT_AUTHOR_DATE": $0, "GIT_COMMITTER_DATE": $0] } ?? [:]
        try git(["commit", "-q", "-m", message], environment: dates)
        return try git("rev-parse", "HEAD")
    }

    /// Runs git in the repository; its output without the trailing newline.
    @discardableResult
    public func git(_ arguments: String...) throws -> String {
        try git(arguments)
    }

    @discardableResult
    public func git(_ arguments: [String], environment: [String: String] = [:]) throws -> String {
        var env = ["GIT_AUTHOR_NAME": Self.author.name, "GIT_AUTHOR_EMAIL": Self.author.email,
                   "GIT_COMMITTER_NAME": Self.author.name, "GIT_COMMITTER_EMAIL": Self.author.email]
        env.merge(environment) { $1 }
        let output = try Program.run("/usr/bin/git", ["-C", path] + arguments, environment: env, timeout: .seconds(60))
        guard output.succeeded else { throw TestFailure("git \(arguments.joined(separator: " ")) in \(path): \(output)") }
        return output.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
