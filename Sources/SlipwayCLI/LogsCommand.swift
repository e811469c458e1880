import ArgumentParser
import Foundation
import Pipeline
import SlipwayAPI

struct LogsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logs",
        abstract: "Print a run's log (source, build and deploy output in order).",
        discussion: "With --follow, keeps printing until the run ends. Exit status: 0 printed, 2 no such run.")

    @Argument(help: "The run id (see 'slipway runs').") var run: RunID
    @Option(help: "Start at this byte offset of the log.") var offset: Int64 = 0
    @Flag(help: "Keep printing new output until the run ends.") var follow = false

    @OptionGroup var state: DatabaseOption

    func run() async throws {
        let orchestrator = try await state.orchestrator(readOnly: true)
        if follow {
            // The service's store watcher brings the lines the run's own process writes.
            try await orchestrator.serving {
                for try await chunk in orchestrator.followLogs(run: run, after: offset) { write(chunk, from: offset) }
            }
        } else {
            for chunk in try await orchestrator.logs(run: run, after: offset) { write(chunk, from: offset) }
        }
    }

    /// The first chunk may start before `offset`: only its bytes from `offset` on are printed.
    private func write(_ chunk: LogChunk, from offset: Int64) {
        let bytes = Data(chunk.text.utf8)
        Terminal.outputToStandardOutput(bytes.dropFirst(Int(max(0, offset - chunk.offset))))
    }
}
