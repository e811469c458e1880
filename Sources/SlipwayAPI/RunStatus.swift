/// Where a run is in its life: queued → running (→ waiting for approval) → one final status.
public enum RunStatus: String, Codable, Sendable, CaseIterable {
    case queued, running
    case waitingApproval = "waiting_approval"
    case succeeded, failed, cancelled, superseded
    /// The service stopped while the run was in flight.
    case interrupted

    public var isFinal: Bool { ![.queued, .running, .waitingApproval].contains(self) }
}

/// Where one stage of a run is.
public enum StageStatus: String, Codable, Sendable, CaseIterable {
    case pending, running
    case waitingApproval = "waiting_approval"
    case succeeded, failed, cancelled, skipped, interrupted
}
