import Foundation
import Specs
import Synchronization

/// Follows the driver's marker lines: writes the CodeBuild-style log lines, emits events,
/// and keeps each phase's status and timing.
final class PhaseTracker: Sendable {
    struct State {
        var current: BuildPhase.Name?
        var started: [BuildPhase.Name: Date] = [:]
        var results: [BuildPhase.Name: PhaseResult] = [:]
        var retries: [BuildPhase.Name: Int] = [:]
        var failure: [BuildPhase.Name: String] = [:]
        var collected = false
        var done = false
        var cacheRestoreStatus: Int32?
        var cacheSaveStatus: Int32?
        var collectFailed = false
    }

    let state = Mutex(State())
    private let spec: BuildSpec
    private let nonce: String
    private let log: BuildLog
    private let events: @Sendable (BuildEvent) -> Void

    init(spec: BuildSpec, nonce: String, log: BuildLog, events: @escaping @Sendable (BuildEvent) -> Void) {
        self.spec = spec
        self.nonce = nonce
        self.log = log
        self.events = events
    }

    /// One line of sandbox output: a marker, output, or output followed by a marker.
    func receive(_ line: String) {
        guard let (before, marker) = BuildMarker.parse(line, nonce: nonce) else {
            log.output(line)
            return
        }
        if !before.isEmpty { log.output(before) }
        if let marker { handle(marker) }
    }

    private func command(_ phase: BuildPhase.Name, _ index: String) -> String {
        guard let p = spec.phase(phase) else { return "?" }
        if index.hasPrefix("f"), let i = Int(index.dropFirst()), i < p.finally.count { return p.finally[i].text }
        if let i = Int(index), i < p.commands.count { return p.commands[i].text }
        return "?"
    }

    private func handle(_ marker: BuildMarker) {
        let now = Date()
        switch marker {
        case let .phaseStarted(phase):
            let first = state.withLock { s -> Bool in
                s.current = phase
                if s.started[phase] == nil { s.started[phase] = now; return true }
                return false
            }
            if first {
                log.container("Entering phase \(phase.logName)", at: now)
                events(.phaseStarted(phase))
            }
        case let .commandStarted(phase, index):
            log.container("Running command \(command(phase, index).trimmingCharacters(in: .newlines))", at: now)
        case let .commandFinished(phase, index, status):
            guard status != 0 else { return }
            let text = command(phase, index).trimmingCharacters(in: .whitespacesAndNewlines)
            let message = "Error while executing command: \(text). Reason: exit status \(status)"
            state.withLock { s in if s.failure[phase] == nil || index.hasPrefix("f") { s.failure[phase] = message } }
            log.container("Command did not exit successfully \(text) exit status \(status)", at: now)
        case let .retrying(phase, attempt):
            state.withLock { s in
                s.retries[phase] = attempt
                s.failure[phase] = nil
            }
            log.container("Phase \(phase.logName) failed; retrying (attempt \(attempt))", at: now)
        case let .phaseFinished(phase, succeeded):
            let result = state.withLock { s -> PhaseResult in
                let r = PhaseResult(phase: phase, status: succeeded ? .succeeded : .failed,
                                    duration: now.timeIntervalSince(s.started[phase] ?? now),
                                    retries: s.retries[phase] ?? 0, message: succeeded ? nil : s.failure[phase])
                s.results[phase] = r
                s.current = nil
                return r
            }
            if let message = result.message {
                log.container("Phase context status code: COMMAND_EXECUTION_ERROR Message: \(message)", at: now)
            }
            log.container("Phase complete: \(phase.logName) State: \(result.status.rawValue)", at: now)
            events(.phaseFinished(result))
        case let .cacheRestored(status):
            state.withLock { $0.cacheRestoreStatus = status }
        case .collecting:
            state.withLock { $0.collected = true }
        case .collectFailed:
            state.withLock { $0.collectFailed = true }
        case let .cacheSaved(status):
            state.withLock { $0.cacheSaveStatus = status }
        case .done:
            state.withLock { $0.done = true }
        }
    }

    /// Per-phase results in order; a phase that was running gets `interrupted`, one that
    /// never started is SKIPPED.
    func results(interrupted: BuildStatus) -> [PhaseResult] {
        let now = Date()
        return state.withLock { s in
            spec.phases.map { phase in
                if let r = s.results[phase.name] { return r }
                if let start = s.started[phase.name] {
                    return PhaseResult(phase: phase.name, status: interrupted, duration: now.timeIntervalSince(start), retries: s.retries[phase.name] ?? 0)
                }
                return PhaseResult(phase: phase.name, status: .skipped, duration: 0)
            }
        }
    }
}
