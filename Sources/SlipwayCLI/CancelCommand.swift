import ArgumentParser
import Foundation
import Pipeline
import SlipwayAPI
import SlipwayCore

struct CancelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel",
        abstract: "Cancel a queued, running or waiting run; a running build's sandbox is killed.",
        discussion: """
            Works from any process: the request is recorded in the state database and the \
            process running the run stops it. Waits until the run has ended. Exit status: 0 \
            cancelled, 1 it did not end in time, 2 no such run or already ended.
            """)

    @Argument(help: "The run id.") var run: RunID
    @Option(help: "Seconds to wait for the run to end.") var wait: Double = 30

    @OptionGroup var state: DatabaseOption

    func run() async throws {
        let orchestrator = try await state.orchestrator()
        let (run, wait) = (run, wait)
        // The service's store watcher sees the run end in the process that owns it.
        let ended: RunRecord? = try await orchestrator.serving {
            try await orchestrator.cancel(run: run, by: CLIActor.current)
            return try await withThrowingTaskGroup(of: RunRecord?.self) { group in
                group.addTask { try await orchestrator.wait(run: run) }
                group.addTask {
                    try await Task.sleep(for: .seconds(wait))
                    return nil
                }
                defer { group.cancelAll() }
                return try await group.next() ?? nil
            }
        }
        guard let ended else {
            Terminal.error("run \(run) has not ended after \(Int(wait)) s; its process was asked to stop it")
            throw ExitCode(1)
        }
        Terminal.note("run \(run): \(ended.status.rawValue)")
    }
}
