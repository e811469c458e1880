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
        var reproducible: Bool
        var builds: [String]
        var variations: [String: String]
        var artifacts: [ReproducibilityCheck.Comparison]
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
        let scratch = try ReproducibilityCheck.scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let checkout = try ReproducibilityCheck.sourceElsewhere(source, commit: first.sourceCommit, dirty: dirty, under: scratch + "/elsewhere")
        let variations = [
            "checkout": checkout, "umask": "0077", "TZ": "NZST-12NZDT,M9.5.0,M4.1.0/3", "LANG": "fr_FR.UTF-8",
            "cpus": ProcessInfo.processInfo.activeProcessorCount > 1 ? "1 (taskset -c 0)" : "1 (the only one)",
        ]
        ReproducibilityCheck.waitPast(first)
        progress("second build: checkout \(checkout), umask 0077, TZ \(variations["TZ"]!), LANG fr_FR.UTF-8, CPUs \(variations["cpus"]!)")
        let second = try secondBuild(checkout: checkout, variations: variations, progress: progress)
        guard second.succeeded else {
            throw SlipwayError.failed("the second build \(second.buildID) ended \(second.status.rawValue)"
                                      + (second.message.map { ": \($0)" } ?? "") + " (log: \(second.logPath))")
        }
        let store = ArtifactStore(home: home)
        let check = try ReproducibilityCheck(first: first, second: second, store: store)
        return Report(reproducible: check.reproducible, builds: [first.buildID, second.buildID], variations: variations,
                      artifacts: check.comparisons, diffs: check.reproducible ? [:] : try check.diffs(store: store, scratch: scratch))
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
}
