import ArgumentParser
import Foundation
import Pipeline
import SlipwayAPI

struct ApproveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "approve",
        abstract: "Approve (or --reject) a run waiting for manual approval.",
        discussion: "The process running the pipeline resumes within a fraction of a second. Exit status: 0 recorded, 2 no such run or not waiting.")

    @Argument(help: "The run id.") var run: RunID
    @Flag(help: "Reject instead: the run fails at the approval stage.") var reject = false
    @Option(help: "A note for the audit trail.") var comment: String?

    @OptionGroup var state: DatabaseOption

    func run() async throws {
        let orchestrator = try await state.orchestrator()
        if reject {
            try await orchestrator.reject(run: run, by: CLIActor.current, comment: comment)
        } else {
            try await orchestrator.approve(run: run, by: CLIActor.current, comment: comment)
        }
        Terminal.note("run \(run): \(reject ? "rejected" : "approved")")
    }
}
