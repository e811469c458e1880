import Build
import Foundation
import SlipwayCore

/// The git `post-receive` hook `slipway hook install` writes: for every pushed branch it runs
/// `slipway hook notify`, which records the push in the state database; a running `slipway
/// serve` (its poller) starts the runs. The push itself never waits for a build.
public enum HookScript {
    public static let marker = "# slipway post-receive hook"

    public static func text(slipway: String, home: SlipwayHome, repository: String) -> String {
        """
        #!/bin/sh
        \(marker): tells Slipway about pushed branches (see `slipway hook --help`).
        while read -r old new ref; do
          case "$ref" in refs/heads/*) ;; *) continue ;; esac
          [ "$new" = 0000000000000000000000000000000000000000 ] && continue
          SLIPWAY_HOME=\(quote(home.path)) \(quote(slipway)) hook notify --repository \(quote(repository)) --branch "${ref#refs/heads/}" \\
            || echo "slipway: could not record the push of $ref" >&2
        done

        """
    }

    /// Writes `hooks/post-receive` of a repository (bare or not). An existing hook that is not
    /// Slipway's is kept and refused, so nothing of the user's is overwritten.
    @discardableResult
    public static func install(repository: String, slipway: String, home: SlipwayHome) throws -> String {
        let path = SlipwayHome.absolute(repository)
        let hooks: String
        if FileManager.default.fileExists(atPath: path + "/.git/hooks") || FileManager.default.fileExists(atPath: path + "/.git") {
            hooks = path + "/.git/hooks"
        } else if FileManager.default.fileExists(atPath: path + "/HEAD") && FileManager.default.fileExists(atPath: path + "/objects") {
            hooks = path + "/hooks"
        } else {
            throw SlipwayError.badInput("\(repository): not a git repository (no .git, and not a bare repository)")
        }
        try makeDirectories(hooks)
        let file = hooks + "/post-receive"
        if let existing = try? String(contentsOfFile: file, encoding: .utf8), !existing.contains(marker) {
            throw SlipwayError.badInput("\(file) exists and is not Slipway's: add this line to it instead:\n  "
                                        + "slipway hook notify --repository \(quote(path)) --branch BRANCH")
        }
        let text = text(slipway: slipway, home: home, repository: URL(fileURLWithPath: path).standardizedFileURL.path)
        try writeFileAtomically(Data(text.utf8), to: file, mode: 0o755)
        return file
    }

    static func quote(_ text: String) -> String { ShellQuoting.quote(text) }
}
