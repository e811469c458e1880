import ArgumentParser
import Foundation
import Pipeline
import SlipwayAPI

/// What signals do while this process runs a run (`slipway run`, `slipway retry`): Ctrl-C
/// (SIGINT) cancels the run, which is recorded `cancelled` with its log complete, and the
/// command reports it and exits 1. SIGTERM or SIGHUP (a shutdown, a closed terminal) stops the
/// process instead and releases the run in its state, for the next process to go on with.
enum RunSignals {
    /// Runs `body` (which follows run `id`) with SIGINT cancelling the run.
    static func cancelling<T>(_ id: RunID, with orchestrator: Orchestrator, by actor: String,
                              _ body: () async throws -> T) async rethrows -> T {
        let sources = SignalHandlers.install([SIGINT]) { _ in Task { try? await orchestrator.cancel(run: id, by: actor) } }
        defer { sources.forEach { $0.cancel() } }
        return try await body()
    }

    /// Awaits `work` (the orchestrator's service running the run) with SIGTERM and SIGHUP
    /// cancelling it, which releases the run; then says who goes on with it and exits 1.
    static func releasing<T: Sendable>(_ work: Task<T, any Error>, _ next: String) async throws -> T {
        let stops = SignalHandlers.install([SIGTERM, SIGHUP]) { _ in work.cancel() }
        defer { stops.forEach { $0.cancel() } }
        do { return try await work.value } catch is CancellationError {
            Terminal.error("stopped: the run stays where it was; " + next)
            throw ExitCode(1)
        }
    }
}
