import Artifacts
import CLinux
import Foundation
import SlipwayCore

/// Two builds of one commit compared artifact by artifact, as `nix build --check` and Debian's
/// reprotest do: the judgement behind `slipway build --check` and a pipeline's `build.check`.
/// How the second build is made differs (another process, or the service's own runner); what
/// a difference is, and how it is shown, is decided here once.
public struct ReproducibilityCheck: Sendable {
    public struct Comparison: Encodable, Sendable {
        public var id: String
        public var first: Digest
        public var second: Digest?
        public var differences: [ArtifactDifference]
    }

    public let comparisons: [Comparison]
    /// Every artifact of the first build came out of the second with the same digest, and
    /// the second built no others.
    public let reproducible: Bool

    /// Compares the artifacts of two builds that succeeded, file by file where they differ.
    public init(first: BuildResult, second: BuildResult, store: ArtifactStore) throws {
        var comparisons: [Comparison] = []
        for artifact in first.artifacts {
            let other = second.artifacts.first { $0.id == artifact.id }
            var differences: [ArtifactDifference] = []
            if let other, other.digest != artifact.digest {
                differences = try store.compare(try store.record(artifact.digest), try store.record(other.digest))
            }
            comparisons.append(Comparison(id: artifact.id, first: artifact.digest, second: other?.digest, differences: differences))
        }
        self.comparisons = comparisons
        reproducible = comparisons.allSatisfy { $0.first == $0.second } && second.artifacts.count == first.artifacts.count
    }

    /// Each differing file as `ARTIFACT:PATH (aspects)`, an artifact the second build lacks as
    /// `ARTIFACT: missing from the second build`: what a person reads first.
    public var differingPaths: [String] {
        comparisons.flatMap { comparison -> [String] in
            guard comparison.second != nil else { return ["\(comparison.id): missing from the second build"] }
            return comparison.differences.map { "\(comparison.id):\($0.path) (\($0.aspects.map(\.rawValue).joined(separator: ", ")))" }
        }
    }

    /// How up to three differing files differ, by `ARTIFACT:PATH`: `diffoscope`'s report where
    /// it is installed, else `diff -u`'s. Both artifacts are unpacked under `scratch`.
    public func diffs(store: ArtifactStore, scratch: String) throws -> [String: String] {
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
}

extension ReproducibilityCheck {
    /// Waits until a second after `first` ended, so a time stamp in the output shows up as a
    /// difference (the clock itself is not faked).
    public static func waitPast(_ first: BuildResult) {
        let later = first.startTime.addingTimeInterval(first.duration + 1.1).timeIntervalSinceNow
        if later > 0 { Thread.sleep(forTimeInterval: later) }
    }

    /// The source of a build at another path, for the second build: for a git checkout built
    /// at `commit`, a clone sharing its objects with `commit` checked out (the source may be a
    /// subdirectory of the repository); otherwise a copy. Returns the directory to build.
    public static func sourceElsewhere(_ source: String, commit: String?, dirty: Bool, under parent: String) throws -> String {
        try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        let from = URL(fileURLWithPath: SlipwayHome.absolute(source)).standardized.path
        guard let commit, !dirty else {
            let copy = parent + "/" + (from as NSString).lastPathComponent
            try runQuietly(["/bin/cp", "-a", from, copy])
            return copy
        }
        let top = try runQuietly(["/usr/bin/git", "-C", from, "rev-parse", "--show-toplevel"])
        let prefix = try runQuietly(["/usr/bin/git", "-C", from, "rev-parse", "--show-prefix"])
        let clone = parent + "/" + (top as NSString).lastPathComponent
        try runQuietly(["/usr/bin/git", "clone", "-q", "--shared", "--no-checkout", top, clone])
        try runQuietly(["/usr/bin/git", "-C", clone, "-c", "advice.detachedHead=false", "checkout", "-q", "--detach", commit])
        return prefix.isEmpty ? clone : clone + "/" + prefix
    }

    /// Runs `body` with this thread held to one CPU: what it starts (the sandbox and the
    /// build in it) inherits that, so `nproc` says 1. Where there is only one CPU, or the
    /// affinity cannot be read, `body` runs as it is.
    public static func onOneCPU<T>(_ body: () throws -> T) rethrows -> T {
        var saved = [UInt8](repeating: 0, count: Int(CL_CPU_SET_BYTES))
        guard ProcessInfo.processInfo.activeProcessorCount > 1, cl_hold_to_one_cpu(&saved) == 0 else { return try body() }
        defer { _ = cl_restore_cpus(saved) }
        return try body()
    }

    /// A scratch directory for a check, under the system's temporary directory.
    public static func scratchDirectory() throws -> String {
        var template = Array(((NSTemporaryDirectory() as NSString).appendingPathComponent("slipway-check.XXXXXX")).utf8CString)
        guard let made = mkdtemp(&template) else { throw SlipwayError.system("mkdtemp in \(NSTemporaryDirectory())") }
        return String(cString: made)
    }

    /// Runs a command that must succeed; its output, trimmed.
    @discardableResult
    static func runQuietly(_ argv: [String]) throws -> String {
        let outcome = try Command(argv).run(timeout: 600)
        let output = String(decoding: outcome.stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard outcome.ending.status == 0 else { throw SlipwayError.failed("\(argv.joined(separator: " ")) failed: \(output)") }
        return output
    }
}
