import ArgumentParser
import Foundation
import Pipeline
import SlipwayAPI
import SlipwayCore

struct RunsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs",
        abstract: "List pipeline runs, newest first.",
        discussion: "On a terminal the columns have a header; piped, one tab-separated line per run. Exit status: 0 listed, 2 bad input or no such pipeline.")

    @Option(help: "Only this pipeline's runs.") var pipeline: String?
    @Option(help: "How many runs.") var limit = 20
    @Option(help: "Runs older than this run id (paging).") var before: RunID?
    @Flag(help: "Print JSON: the run records with their stages.") var json = false
    @OptionGroup var state: DatabaseOption

    func validate() throws {
        if limit < 1 { throw ValidationError("--limit must be 1 or more") }
    }

    func run() async throws {
        let orchestrator = try await state.orchestrator(readOnly: true)
        let runs = try await orchestrator.runs(pipeline: pipeline, limit: limit, before: before)
        // Nothing listed for a name that is no pipeline at all: say so rather than print nothing.
        if let pipeline, runs.isEmpty { try await orchestrator.requireKnown(pipeline) }
        if json { return try Terminal.json(runs) }
        Terminal.table(["RUN", "PIPELINE", "STATUS", "COMMIT", "STAGE", "CREATED", "TRIGGER"], runs.map { run in
            let stage = run.stages.last { $0.status != .pending && $0.status != .skipped }
            return [run.id.description, run.pipeline, run.status.rawValue, String(run.commit?.id.prefix(12) ?? "-"),
                    stage.map { "\($0.name):\($0.status.rawValue)" } ?? "-", Timestamp.format(run.created),
                    "\(run.trigger.kind.rawValue):\(run.trigger.actor)"]
        })
    }
}
