import Foundation
import Sandbox
import Specs

extension BuildRunner {
    /// The build's status from how its sandbox ended and what the driver reported: a timeout
    /// or a stop wins; a driver that never reached its end is Slipway's fault, not the
    /// build's; otherwise the first failed phase decides, with its message.
    static func verdict(_ outcome: SandboxResult, state: PhaseTracker.State, timeout: Double) -> (BuildStatus, String?) {
        switch outcome.reason {
        case .timedOut:
            return (.timedOut, "the build ran longer than its timeout of \(Int(timeout)) seconds and was stopped")
        case .cancelled:
            return (.stopped, "the build was stopped")
        case .outOfMemory:
            return (.failed, "the build ran out of memory and was killed"
                    + (outcome.message.map { " (\($0.replacingOccurrences(of: "killed: ", with: "")))" } ?? "")
                    + "; raise build.limits.memory")
        case .limitExceeded:
            return (.failed, "the build hit a limit: " + (outcome.message ?? "a sandbox limit was reached")
                    + "; raise it in build.limits if the build needs more")
        case .exited, .signaled:
            guard state.done else {
                return (.fault, "the build driver ended unexpectedly (status \(outcome.status))" + (outcome.message.map { ": \($0)" } ?? ""))
            }
            let failed = state.results.values.sorted { $0.phase < $1.phase }.first { $0.status != .succeeded }
            return (failed == nil ? .succeeded : .failed,
                    failed.map { "phase \($0.phase.logName) failed" + ($0.message.map { ": \($0)" } ?? "") })
        }
    }
}
