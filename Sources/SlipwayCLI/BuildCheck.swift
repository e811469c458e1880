import Artifacts
import Build
import Foundation
import SlipwayCore

/// `slipway build --check`: builds twice and compares the artifacts, as `nix build --check` and
/// Debian's reprotest do. The second build is another `slipway build` process with everything
/// a machine may vary changed: the checkout's path, the umask, the time zone, the locale, the
/// CPUs it may use, the build number and id, and the wall-clock time (it starts later; the
/// clock itself is not faked). Slipway pins what it can inside the sandbox (workspace path,
/// SOURCE_DATE_EPOCH, TZ, locale, umask), so a difference left is the project's own.
struct BuildCheck {
    /// What `--json` prints.
    struct Report: Encodable {
        struct Comparison: Encodable {
            var id: String
            var first: Digest
            var second: Digest?
            var differences: [ArtifactDifference]
        }

        var reproducible: Bool
        var builds: [String]
        var variations: [String: String]
        var artifacts: [Comparison]
        /// How the first few differing files differ, by `ID:PATH`: `diffoscope`'s report where
        /// it is installed, else `diff -u`'s.
        var diffs: [String: String]
    }

    let home: SlipwayHome
    let source: String
    let dirty: Bool
    /// `slipway build` arguments for the second build, besides the source and `--json`.
    let arguments: [String]

    /// Runs the second build and compares it with `first`.
    func compare(with first: BuildResult, progress: (String) -> Void) throws -> Report {
        var template = Array(((NSTemporaryDirectory() as NSString).appendingPathComponent("slipway-check.XXXXXX")).utf8CString)
        guard let made = mkdtemp(&template) else { throw SlipwayError.system("mkdtemp in \(NSTemporaryDirectory())") }
        let scratch = String(cString: made)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let checkout = try copySource(into: scratch + "/elsewhere", commit: first.sourceCommit)
        let variations = [
            "checkout": checkout, "umask": "0077", "TZ": "NZST-12NZDT,M9.5.0,M4.1.0/3", "LANG": "fr_FR.UTF-8",
            "cpus": ProcessInfo.processInfo.activeProcessorCount > 1 ? "1 (taskset -c 0)" : "1 (the only one)",
        ]
        // A later second on the clock, so a time stamp in the output shows up as a difference.
        let later = first.startTime.addingTimeInterval(first.duration + 1.1).timeIntervalSinceNow
        if later > 0 { Thread.sleep(forTimeInterval: later) }
        progress("second build: checkout \(checkout), umask 0077, TZ \(variations["TZ"]!), LANG fr_FR.UTF-8, CPUs \(variations["cpus"]!)")
        let second = try secondBuild(checkout: checkout, variations: variations, progress: progress)
        guard second.succeeded else {
            throw SlipwayError.failed("the second build \(second.buildID) ended \(second.status.rawValue)"
                                      + (second.message.map { ": \($0)" } ?? "") + " (log: \(second.logPath))")
        }
        let store = ArtifactStore(home: home)
        var comparisons: [Report.Comparison] = []
        for artifact in first.artifacts {
            let other = second.artifacts.first { $0.id == artifact.id }
            var differences: [ArtifactDifference] = []
            if let other, other.digest != artifact.digest {
                differences = try store.compare(try store.record(artifact.digest), try store.record(other.digest))
            }
            comparisons.append(Report.Comparison(id: artifact.id, first: artifact.digest, second: other?.digest, differences: differences))
        }
        let reproducible = comparisons.allSatisfy { $0.first == $0.second } && second.artifacts.count == first.artifacts.count
        return Report(reproducible: reproducible, builds: [first.buildID, second.buildID], variations: variations,
                      artifacts: comparisons, diffs: reproducible ? [:] : try diffs(comparisons, store: store, scratch: scratch))
    }

    /// The same commit at another path, returning the directory to build there: a clone of
    /// the repository for a git checkout built at HEAD (the source may be a subdirectory of
    /// it), else a copy.
    private func copySource(into parent: String, commit: String?) throws -> String {
        try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        let from = URL(fileURLWithPath: SlipwayHome.absolute(source)).standardized.path
        guard let commit, !dirty else {
            let copy = parent + "/" + (from as NSString).lastPathComponent
            try Self.runQuietly(["/bin/cp", "-a", from, copy])
            return copy
        }
        let top = try Self.runQuietly(["/usr/bin/git", "-C", from, "rev-parse", "--show-toplevel"])
        let prefix = try Self.runQuietly(["/usr/bin/git", "-C", from, "rev-parse", "--show-prefix"])
        let clone = parent + "/" + (top as NSString).lastPathComponent
        try Self.runQuietly(["/usr/bin/git", "clone", "-q", "--shared", "--no-checkout", top, clone])
        try Self.runQuietly(["/usr/bin/git", "-C", clone, "checkout", "-q", "--detach", commit])
        return prefix.isEmpty ? clone : clone + "/" + prefix
    }

    private func secondBuild(checkout: String, variations: [String: String], progress: (String) -> Void) throws -> BuildResult {
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var argv = ["/bin/sh", "-c", "umask 0077 && exec \"$@\"", "sh"]
        if ProcessInfo.processInfo.activeProcessorCount > 1, FileManager.default.isExecutableFile(atPath: "/usr/bin/taskset") {
            argv += ["/usr/bin/taskset", "-c", "0"]
        }
        argv += [executable, "build", checkout, "--json", "--no-cache"] + arguments + (dirty ? ["--dirty"] : [])
        var environment = ProcessInfo.processInfo.environment
        environment["TZ"] = variations["TZ"]
        environment["LANG"] = variations["LANG"]
        environment["LC_ALL"] = variations["LANG"]
        // Same process group: Ctrl-C on the terminal stops the second build too.
        let command = Command(argv, environment: environment, stdout: .pipe, stderr: .pipe, newProcessGroup: false)
        var json = ""
        let ending = try command.runLines { stream, line in
            if stream == .stdout { json += line + "\n" } else { progress("[second] " + line) }
        }
        guard let data = json.data(using: .utf8), let result = try? Timestamp.decoder().decode(BuildResult.self, from: data) else {
            throw SlipwayError.failed("the second build printed no result (exit status \(ending.status.map(String.init) ?? "none"))")
        }
        return result
    }

    /// Up to three differing files through `diffoscope` where it is installed, else `diff -u`.
    private func diffs(_ comparisons: [Report.Comparison], store: ArtifactStore, scratch: String) throws -> [String: String] {
        let diffoscope = ["/usr/bin/diffoscope", "/usr/local/bin/diffoscope"].first(where: FileManager.default.isExecutableFile)
        var reports: [String: String] = [:]
        for comparison in comparisons {
            guard let second = comparison.second, reports.count < 3 else { continue }
            let files = comparison.differences.filter { $0.aspects.contains(.content) }.prefix(3 - reports.count)
            guard !files.isEmpty else { continue }
            let a = scratch + "/first-" + comparison.id, b = scratch + "/second-" + comparison.id
            try store.unpack(try store.record(comparison.first), to: a)
            try store.unpack(try store.record(second), to: b)
            for file in files {
                let argv = diffoscope.map { [$0, "--text", "-", "--max-text-report-size", "4096"] }
                    ?? ["/usr/bin/diff", "-u", "--label", "first/" + file.path, "--label", "second/" + file.path]
                let outcome = try Command(argv + [a + "/" + file.path, b + "/" + file.path], stderr: .stdout).run(timeout: 60)
                reports[comparison.id + ":" + file.path] = String(decoding: outcome.stdout.prefix(8192), as: UTF8.self)
            }
        }
        return reports
    }

    /// Runs a command that must succeed; its output, trimmed.
    @discardableResult
    private static func runQuietly(_ argv: [String]) throws -> String {
        let outcome = try Command(argv).run(timeout: 600)
        let output = String(decoding: outcome.stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard outcome.ending.status == 0 else { throw SlipwayError.failed("\(argv.joined(separator: " ")) failed: \(output)") }
        return output
    }
}
