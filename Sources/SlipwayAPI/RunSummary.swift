import Foundation

/// What `slipway run` reports at the end (and prints with `--json`).
public struct RunSummary: Codable, Sendable {
    public var run: RunRecord
    /// Where each deploy target serves the release: its `current` link.
    public var served: [String]
    /// Seconds per stage that ran, by stage name.
    public var timings: [String: Double]
    /// Seconds from the run's creation to its end.
    public var total: Double?

    public init(run: RunRecord, targets: [String]) {
        self.run = run
        served = targets.map { $0 + "/current" }
        timings = Dictionary(run.stages.compactMap { stage in
            guard let start = stage.started, let end = stage.finished else { return nil }
            return (stage.name, end.timeIntervalSince(start))
        }) { a, _ in a }
        total = run.finished.map { $0.timeIntervalSince(run.created) }
    }
}
