import Foundation
import Specs

/// How a build or a phase ended, in CodeBuild's words.
public enum BuildStatus: String, Codable, Sendable {
    case succeeded = "SUCCEEDED"
    case failed = "FAILED"
    /// Slipway could not run the build (sandbox, image, store): not the build's fault.
    case fault = "FAULT"
    case timedOut = "TIMED_OUT"
    case stopped = "STOPPED"
    /// A phase that never ran because an earlier one ended the build.
    case skipped = "SKIPPED"
}

/// One phase's outcome.
public struct PhaseResult: Codable, Sendable, Equatable {
    public var phase: BuildPhase.Name
    public var status: BuildStatus
    /// Seconds.
    public var duration: Double
    /// Retries used by `on-failure: RETRY…`.
    public var retries: Int
    /// `Error while executing command: …` for a failed phase.
    public var message: String?

    public init(phase: BuildPhase.Name, status: BuildStatus, duration: Double, retries: Int = 0, message: String? = nil) {
        self.phase = phase
        self.status = status
        self.duration = duration
        self.retries = retries
        self.message = message
    }
}
