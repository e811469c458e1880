import ArgumentParser
import Foundation
import Pipeline

struct CancelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel",
        abstract: "Cancel a queued, running or waiting run; a running build's sandbox is killed.",
        discussion: """
            Works from any process: the request is recorded in the state database and the \
            process running the run stops it. Waits until the run has ended. Exit status: 0 \
            cancelled, 1 it did not end in time, 2 no such run or already ended.
            """)

    @Argument(help: "The run id.") var run: Int64
    @Option(help: "Seconds to wait for the run to end.") var wait: Double = 30

    func run() async throws {
        let orchestrator = try Orchestrator(home: .fromEnvironment())
        try await orchestrator.cancel(run: run, by: CLIActor.current)
        let deadline = Date().addingTimeInterval(wait)
        while Date() < deadline {
            let record = try await orchestrator.run(run)
            if record.status.isFinal {
                Terminal.note("run \(run): \(record.status.rawValue)")
                return
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        Terminal.error("run \(run) has not ended after \(Int(wait)) s; its process was asked to stop it")
        throw ExitCode(1)
    }
}
