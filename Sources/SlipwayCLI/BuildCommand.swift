import ArgumentParser
import Build
import Foundation
import Images
import Registry
import Sandbox
import Secrets
import SlipwayCore
import Specs

struct BuildCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Run a buildspec in the sandbox and store its artifacts.",
        discussion: """
            In a git checkout the tree committed at HEAD is built (the working tree with --dirty); \
            otherwise the directory as it is. The log streams to stderr and is kept under \
            $SLIPWAY_HOME/builds. Exit status: 0 SUCCEEDED, 1 any other status, 2 bad input.
            """)

    @Argument(help: "The source directory (default: the current directory).") var directory = "."
    @Option(help: "The image: a name from 'slipway image', a registry reference (debian:12, host:5000/team/node:20, name@sha256:…; pulled on first use), or the path of an unpacked root filesystem (default: busybox, or the Debian runtime image the buildspec's runtime-versions asks for).") var image: String?
    @Option(help: "The buildspec, relative to the source (default: buildspec.yml, then buildspec.yaml).") var buildspec: String?
    @Option(name: .customLong("env"), help: "K=V: a variable that overrides the buildspec's (repeatable).") var environment: [String] = []
    @Option(name: .customLong("secret"), help: "NAME=VALUE: the value of a parameter-store or secrets-manager entry (repeatable).") var secrets: [String] = []
    @Option(help: "Project name for build ids and caches (default: the directory's name).") var project: String?
    @Option(help: "Seconds before the build is stopped.") var timeout: Double = 3600
    @Option(help: "none (the build's own loopback only, default) or host (to fetch dependencies).") var network: SandboxSpec.Network = .none
    @OptionGroup var limits: BuildLimitOptions
    @Flag(help: "Run even when an earlier build had the same inputs.") var noCache = false
    @Flag(help: "Keep the build's workspace for inspection.") var keepWorkspace = false
    @Flag(help: "Build the working tree of a git checkout instead of HEAD.") var dirty = false
    @Flag(help: "Build a second time with the checkout path, umask, time zone, locale, CPUs and time varied, and compare the artifacts (exit 1 if they differ).") var check = false
    @Flag(help: "Print the result as JSON on stdout.") var json = false

    func run() throws {
        let home = SlipwayHome.fromEnvironment()
        let runtimes = try Self.runtimes(in: directory)
        var request: BuildRequest
        do {
            request = BuildRequest(source: directory, image: try Self.resolveImage(image ?? PipelineSpec.defaultImage, home: home), buildspec: buildspec)
        } catch let error as SlipwayError where error.kind == .notFound && (!runtimes.isEmpty || image == nil) {
            // runtime-versions may pick another image once the buildspec is read.
            request = BuildRequest(source: directory, missingImage: error, buildspec: buildspec)
        }
        request.imageIsDefault = image == nil
        request.environment = try Self.pairs(environment, "--env")
        // Stored global secrets, then --secret values over them; only referenced ones are used.
        request.secrets = try SecretStore(home: home).values().merging(try Self.pairs(secrets, "--secret")) { _, given in given }
        request.useResultCache = !noCache && !check
        request.keepWorkspace = keepWorkspace
        request.dirty = dirty
        // A dirty tree is no ref: it may read the shared cache but not write it.
        request.trustedRef = !dirty
        request.project = project
        request.timeout = timeout
        request.network = network
        request.limits = try limits.limits()
        request.seccomp = limits.seccomp
        request.runtimeImages = RuntimeImages(runtimes)
        request.resolveImage = { reference in try Self.resolveImage(reference, home: home) }
        request.initiator = "slipway-cli/" + (environmentVariable("USER") ?? "root")
        // Ctrl-C or TERM stops the build's sandbox; the build is recorded as STOPPED.
        let cancellation = BuildCancellation()
        request.cancellation = cancellation
        let signals = SignalHandlers.install { _ in cancellation.cancel() }
        defer { signals.forEach { $0.cancel() } }
        let runner = BuildRunner(home: home)
        if check, let batch = try runner.batch(for: request) {
            throw SlipwayError.badInput("--check compares one build; this buildspec runs a batch (\(batch.kind.rawValue))")
        }
        let outcome = try runner.runBuildOrBatch(request) { entry, event in
            if case let .log(line, _) = event { Terminal.output(BuildRunner.label(line, entry: entry)) }
        }
        let result: BuildResult
        switch outcome {
        case let .batch(batch):
            if json {
                try Terminal.json(batch)
            } else {
                for entry in batch.builds {
                    Terminal.note(entry.build.map(Self.summary) ?? "\(entry.identifier): \(entry.status.rawValue) \(entry.message ?? "")")
                }
                Terminal.note("batch: \(batch.status.rawValue)")
            }
            if batch.status != .succeeded { throw ExitCode(1) }
            return
        case let .single(single):
            result = single
        }
        if check { return try runCheck(first: result, home: home) }
        if json {
            try Terminal.json(result)
        } else {
            Terminal.note(Self.summary(result))
            if keepWorkspace && result.cache.result != .hit {
                Terminal.note("  workspace: " + (result.logPath as NSString).deletingLastPathComponent + "/src")
            }
            // The primary artifact on stdout, as `artifact pack` prints its digest, so
            // `digest=$(slipway build .)` can feed a deploy.
            if result.succeeded, let primary = result.artifacts.first(where: { $0.id == "primary" }) ?? result.artifacts.first {
                print(primary.digest)
            }
        }
        if !result.succeeded { throw ExitCode(1) }
    }

    /// `--check`: the second build and the comparison, after a first build that succeeded.
    private func runCheck(first: BuildResult, home: SlipwayHome) throws {
        guard first.succeeded else {
            Terminal.note(Self.summary(first))
            throw SlipwayError.failed("the first build ended \(first.status.rawValue); there is nothing to compare")
        }
        var arguments = (image.map { ["--image", $0] } ?? []) + ["--project", first.project, "--timeout", String(timeout), "--network", network.rawValue]
        if let buildspec { arguments += ["--buildspec", buildspec] }
        arguments += environment.flatMap { ["--env", $0] } + secrets.flatMap { ["--secret", $0] }
        let check = BuildCheck(home: home, source: directory, dirty: dirty, arguments: arguments)
        let report = try check.compare(with: first) { Terminal.output($0) }
        if json {
            try Terminal.json(report)
        } else {
            Terminal.note("builds \(report.builds.joined(separator: " and ")): " + (report.reproducible ? "reproducible" : "NOT reproducible"))
            for artifact in report.artifacts {
                guard artifact.first != artifact.second else { Terminal.note("  artifact \(artifact.id): \(artifact.first) both times"); continue }
                Terminal.note("  artifact \(artifact.id): \(artifact.first) then \(artifact.second.map(\.description) ?? "none")")
                for difference in artifact.differences.prefix(20) {
                    Terminal.note("    \(difference.path): \(difference.aspects.map(\.rawValue).joined(separator: ", "))")
                }
                if artifact.differences.count > 20 { Terminal.note("    … and \(artifact.differences.count - 20) more (--json lists all)") }
            }
            for (file, summary) in report.diffs.sorted(by: { $0.key < $1.key }) {
                Terminal.note("  \(file):\n" + summary.split(separator: "\n").prefix(30).map { "    " + $0 }.joined(separator: "\n"))
            }
        }
        if !report.reproducible { throw ExitCode(1) }
    }

    static func summary(_ result: BuildResult) -> String {
        var lines = ["build \(result.buildID): \(result.status.rawValue)" + (result.cache.result == .hit ? " (cached: reused \(result.cachedFrom ?? "?"))" : "")]
        if let message = result.message, !result.succeeded { lines.append("  \(message)") }
        for a in result.artifacts { lines.append("  artifact \(a.id)\(a.name.map { " (\($0))" } ?? ""): \(a.digest) \(a.files) files") }
        for r in result.reports { lines.append("  report \(r.name): \(r.total) tests, \(r.passed) passed, \(r.failed) failed, \(r.errors) errors, \(r.skipped) skipped") }
        for (k, v) in result.exportedVariables.sorted(by: { $0.key < $1.key }) { lines.append("  exported \(k)=\(v)") }
        lines.append("  log: \(result.logPath)")
        return lines.joined(separator: "\n")
    }

    /// `build.runtimes` of the directory's `slipway.yml`, when it has one.
    static func runtimes(in directory: String) throws -> [String: String] {
        let file = (SlipwayHome.absolute(directory) as NSString).appendingPathComponent("slipway.yml")
        guard let data = FileManager.default.contents(atPath: file) else { return [:] }
        let (spec, diagnostics) = PipelineSpec.parse(contents: String(decoding: data, as: UTF8.self), file: file, directory: directory)
        guard let spec else { throw SlipwayError.badInput(diagnostics.map(\.description).joined(separator: "\n")) }
        return spec.build.runtimes
    }

    static func pairs(_ items: [String], _ flag: String) throws -> [String: String] {
        var out: [String: String] = [:]
        for item in items {
            guard let eq = item.firstIndex(of: "="), eq != item.startIndex else {
                throw SlipwayError.badInput("\(flag) \(item): expected NAME=VALUE")
            }
            out[String(item[..<eq])] = String(item[item.index(after: eq)...])
        }
        return out
    }

    /// A name from the image store, a registry reference (pulled when the store lacks it;
    /// SLIPWAY_INSECURE_REGISTRIES names plain-HTTP ones), or the path of an unpacked root
    /// filesystem (identified by the digest of its canonical tar stream).
    static func resolveImage(_ name: String, home: SlipwayHome) throws -> ImageRecord {
        var isDir: ObjCBool = false
        let path = SlipwayHome.absolute(name)
        if name.contains("/"), FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue {
            return try ImageRecord.rootfsDirectory(path)
        }
        let puller = ImagePuller(store: ImageStore(home: home), options: RegistryOptions(home: home))
        let progress = PullProgress.onTerminal()
        defer { progress?.finish() }
        return try puller.resolveBlocking(name) { event in
            if case .resolved = event, progress == nil { Terminal.note("pulling \(name)") }
            progress?.handle(event)
        }
    }
}
