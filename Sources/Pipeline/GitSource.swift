import Build
import Foundation
import SlipwayAPI
import SlipwayCore

/// The source stage's git work: which commit a branch names, what that commit says about
/// itself, and a checkout of exactly its tree. Works for local paths and URLs alike.
enum GitSource {
    /// The commit `branch` names in `repository` (nil: the repository's HEAD).
    static func resolve(repository: String, branch: String?) throws -> String {
        let ref = branch.map { "refs/heads/" + $0 } ?? "HEAD"
        let output = try Git.run(["ls-remote", "--", repository, ref], in: "/")
        guard let line = output.split(separator: "\n").first(where: { $0.hasSuffix("\t" + ref) }),
              let id = line.split(separator: "\t").first else {
            throw SlipwayError.notFound("\(repository): no branch \(branch ?? "HEAD") (git ls-remote found none)")
        }
        return String(id)
    }

    /// Clones `repository` into `directory` (which must not exist) and checks out `commit`
    /// detached: the build then sees that commit's tree and nothing else.
    static func checkout(repository: String, commit: String, into directory: String) throws {
        try makeDirectories((directory as NSString).deletingLastPathComponent)
        _ = try Git.run(["clone", "--quiet", "--no-checkout", "--", repository, directory], in: "/")
        _ = try Git.run(["-c", "advice.detachedHead=false", "checkout", "--quiet", "--detach", commit, "--"], in: directory)
    }

    /// Author, committer time and message of a commit in a checkout.
    static func info(commit: String, in directory: String) throws -> CommitInfo {
        let text = try Git.run(["log", "-1", "--format=%H%x00%an <%ae>%x00%ct%x00%B", commit, "--"], in: directory)
        let fields = text.split(separator: "\0", maxSplits: 3, omittingEmptySubsequences: false).map(String.init)
        guard fields.count == 4, let seconds = Double(fields[2]) else {
            throw SlipwayError.failed("git log \(commit): unexpected output")
        }
        return CommitInfo(id: fields[0], author: fields[1], time: Date(timeIntervalSince1970: seconds),
                          message: fields[3].trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// A file as committed, or nil when the commit has none.
    static func file(_ path: String, commit: String, in directory: String) -> Data? {
        try? Git.data(["show", "\(commit):\(path)"], in: directory)
    }
}

extension GitSource {
    /// The branch a repository's HEAD names (`main`), or "HEAD" when detached or remote.
    static func currentBranch(of repository: String) throws -> String {
        guard repository.hasPrefix("/") else { return "HEAD" }
        return (try? Git.run(["symbolic-ref", "--quiet", "--short", "HEAD"], in: repository)) ?? "HEAD"
    }
}
