import Foundation
import Pipeline
import SlipwayAPI

/// SIGINT (Ctrl-C) and SIGTERM while this process runs a run (`slipway run`, `slipway retry`)
/// cancel the run instead of killing the process: the build's sandbox is stopped, the run is
/// recorded `cancelled` with its log complete, and the command reports it and exits 1.
enum RunSignals {
    static func cancelling<T>(_ id: RunID, with orchestrator: Orchestrator, by actor: String,
                              _ body: () async throws -> T) async rethrows -> T {
        let sources = SignalHandlers.install { _ in Task { try? await orchestrator.cancel(run: id, by: actor) } }
        defer { sources.forEach { $0.cancel() } }
        return try await body()
    }
}
