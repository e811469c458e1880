import ArgumentParser
import Foundation
import Pipeline
import SlipwayAPI

/// Signals while this process runs a run (`slipway run`, `slipway retry`).
///
/// SIGINT (Ctrl-C) cancels the run instead of killing the process: the build's sandbox is
/// stopped, the run is recorded `cancelled` with its log complete, and the command reports it
/// and exits 1. SIGTERM or SIGHUP (a shutdown, a closed terminal) stop the process instead and
/// leave the run in its state, for the next `slipway serve` (or `slipway run` of the same
/// commit) to carry on (docs/restarts.md).
enum RunSignals {
    static func cancelling<T>(_ id: RunID, with orchestrator: Orchestrator, by actor: String,
                              _ body: () async throws -> T) async rethrows -> T {
        let sources = SignalHandlers.install([SIGINT]) { _ in Task { try? await orchestrator.cancel(run: id, by: actor) } }
        defer { sources.forEach { $0.cancel() } }
        return try await body()
    }

    /// Waits for `work` (the orchestrator's service, running a run) unless SIGTERM or SIGHUP
    /// stops it first.
    static func stoppable<T: Sendable>(_ work: Task<T, any Error>) async throws -> T {
        let stops = SignalHandlers.install([SIGTERM, SIGHUP]) { _ in work.cancel() }
        defer { stops.forEach { $0.cancel() } }
        do { return try await work.value } catch is CancellationError {
            Terminal.error("stopped: the run stays where it was; the next `slipway serve`, or `slipway run` of its commit, goes on with it")
            throw ExitCode(1)
        }
    }
}
