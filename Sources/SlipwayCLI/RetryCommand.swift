import ArgumentParser
import Foundation
import Pipeline
import SlipwayAPI

struct RetryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retry",
        abstract: "Run a failed, cancelled or interrupted run again from the stage that stopped it.",
        discussion: "Same commit; the artifact is reused when the build had finished. Ctrl-C (or SIGTERM) cancels the new run. Exit status: 0 the new run succeeded, 1 it did not, 2 bad input.")

    @Argument(help: "The run id.") var run: RunID
    @Flag(help: "Print the new run's summary as JSON.") var json = false
    @OptionGroup var artifacts: ArtifactsOption

    @OptionGroup var state: DatabaseOption

    func run() async throws {
        let orchestrator = try await state.orchestrator(artifacts: try artifacts.bucket())
        let earlier = run
        let work = Task { () -> RunRecord in
            try await orchestrator.serving {
                let events = orchestrator.events()
                let id = try await orchestrator.retry(run: earlier, by: CLIActor.current)
                return try await RunSignals.cancelling(id, with: orchestrator, by: CLIActor.current) {
                    try await RunProgress(run: id).show(events)
                }
            }
        }
        let record = try await RunSignals.stoppable(work)
        let summary = RunSummary(run: record, targets: try await orchestrator.spec(record.pipeline).stageTargets)
        if json { try Terminal.json(summary) } else { Terminal.note(RunCommand.describe(summary)) }
        if record.status != .succeeded { throw ExitCode(1) }
    }
}
