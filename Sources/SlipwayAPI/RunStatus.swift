/// Where a run is in its life: queued → running (→ waiting for approval) → one final status.
public enum RunStatus: String, Codable, Sendable, CaseIterable {
    case queued, running
    case waitingApproval = "waiting_approval"
    case succeeded, failed, cancelled, superseded
    /// The service stopped while the run was in flight.
    case interrupted

    public var isFinal: Bool { ![.queued, .running, .waitingApproval].contains(self) }

    /// The status as the rest of a sentence about a run: "run 4 succeeded", "run 4 is
    /// waiting for approval", "run 4 was cancelled".
    public var sentence: String {
        switch self {
        case .queued: "is queued"
        case .running: "is running"
        case .waitingApproval: "is waiting for approval"
        case .succeeded: "succeeded"
        case .failed: "failed"
        case .cancelled: "was cancelled"
        case .superseded: "was superseded by a newer run"
        case .interrupted: "was interrupted"
        }
    }
}

/// Where one stage of a run is.
public enum StageStatus: String, Codable, Sendable, CaseIterable {
    case pending, running
    case waitingApproval = "waiting_approval"
    case succeeded, failed, cancelled, skipped, interrupted
}
