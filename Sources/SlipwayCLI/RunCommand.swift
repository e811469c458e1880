import ArgumentParser
import Foundation
import Pipeline
import SlipwayAPI
import SlipwayCore

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the whole pipeline (source → build → deploy) on a directory's HEAD.",
        discussion: """
            Uses DIR/slipway.yml when there is one; otherwise builds buildspec.yml on the busybox \
            image and deploys to --target (which replaces the file's stages when given). The \
            same commit is not run twice unless --force: the earlier run is reported instead \
            (one whose process was killed is taken over and goes on). Ctrl-C cancels the run; \
            SIGTERM or SIGHUP stops only this process and leaves the run for the next \
            `slipway serve` (or this command again). Exit status: 0 succeeded, 1 the run did not succeed, 2 bad input.
            """)

    @Argument(help: "A git checkout (default: the current directory).") var directory = "."
    @Option(help: "Deploy to this directory or ssh://[user@]host[:port]/path.") var target: String?
    @Flag(help: "Run even when this commit already has a run.") var force = false
    @Flag(help: "Print the summary as JSON on stdout.") var json = false
    @OptionGroup var artifacts: ArtifactsOption

    @OptionGroup var state: DatabaseOption

    func run() async throws {
        let project = try ProjectPipeline(directory: directory, target: target)
        for warning in project.warnings { Terminal.note(warning.description) }
        let orchestrator = try await state.orchestrator(artifacts: try artifacts.bucket())
        try await orchestrator.register(project.spec)
        // This process owns the run: the orchestrator's service runs until the run has ended.
        // Ctrl-C (SIGINT) cancels the run. SIGTERM or SIGHUP (a shutdown, a closed terminal)
        // stops this process instead and releases the run in its state: the next `slipway
        // serve`, or `slipway run` of the same commit, goes on with it.
        let (name, head, force) = (project.spec.name, project.head, force)
        let work = Task { () -> RunRecord in
            try await orchestrator.serving {
                let events = orchestrator.events()
                guard let id = try await orchestrator.start(pipeline: name, commit: head,
                                                             trigger: Trigger(.cli, actor: CLIActor.current), force: force) else {
                    let earlier = try await orchestrator.runs(pipeline: name, commit: head).first
                    Terminal.note("commit \(head.prefix(12)) already ran as run \(earlier.map { "\($0.id) (\($0.status.rawValue))" } ?? "?"); "
                                  + "--force runs it again")
                    guard let earlier else { throw ExitCode(1) }
                    return earlier
                }
                return try await RunSignals.cancelling(id, with: orchestrator, by: CLIActor.current) {
                    try await RunProgress(run: id).show(events)
                }
            }
        }
        let record = try await RunSignals.stoppable(work)
        try report(record, targets: project.spec.stageTargets)
    }

    private func report(_ record: RunRecord, targets: [String: [String]]) throws {
        let summary = RunSummary(run: record, targets: targets)
        if json {
            try Terminal.json(summary)
        } else {
            Terminal.note(Self.describe(summary))
        }
        if record.status != .succeeded { throw ExitCode(1) }
    }

    static func describe(_ summary: RunSummary) -> String {
        let run = summary.run
        var lines = ["run \(run.id) of \(run.pipeline): \(run.status.rawValue)" + (summary.total.map { String(format: " in %.2f s", $0) } ?? "")]
        if let c = run.commit {
            lines.append("  commit    \(c.id.prefix(12)) by \(c.author): \(c.message.split(separator: "\n").first ?? "")")
        }
        if let artifact = run.artifact { lines.append("  artifact  \(artifact)") }
        if let release = run.release, !summary.served.isEmpty {
            lines.append("  release   \(release)")
            for path in summary.served { lines.append("  served    \(path)") }
        }
        // The stage that stopped the run, in the words of its status: failed (a rejection,
        // a deploy rolled back and to what), cancelled, interrupted.
        if let stopped = run.stages.first(where: { [.failed, .cancelled, .interrupted].contains($0.status) }) {
            let word = stopped.status.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0)
            lines.append("  \(word) \(stopped.name)" + (stopped.detail.map { ": " + $0 } ?? ""))
            lines.append("  log       slipway logs \(run.id)")
        }
        let timings = run.stages.compactMap { s in summary.timings[s.name].map { String(format: "%@ %.2f s", s.name, $0) } }
        if !timings.isEmpty { lines.append("  timings   " + timings.joined(separator: ", ")) }
        return lines.joined(separator: "\n")
    }
}
