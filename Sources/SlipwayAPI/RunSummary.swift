import Foundation

/// What `slipway run` reports at the end (and prints with `--json`).
public struct RunSummary: Codable, Sendable {
    public var run: RunRecord
    /// Where the run's release is served: the `current` link of each target of a deploy stage
    /// that succeeded (in this run, or in the run a retry took it over from). A target whose
    /// stage failed, was rejected, cancelled or never ran is not listed: it serves what it
    /// served before.
    public var served: [String]
    /// Seconds per stage that ran, by stage name.
    public var timings: [String: Double]
    /// Seconds from the run's creation to its end.
    public var total: Double?

    /// `targets`: each deploy stage's targets, by stage name.
    public init(run: RunRecord, targets: [String: [String]]) {
        self.run = run
        served = run.stages.filter { $0.kind == .deploy && ($0.status == .succeeded || $0.output?.release != nil) }
            .flatMap { targets[$0.name] ?? [] }.map { $0.hasPrefix("s3://") ? $0 : $0 + "/current" }  // a bucket serves the prefix itself
        timings = Dictionary(run.stages.compactMap { stage in
            guard let start = stage.started, let end = stage.finished else { return nil }
            return (stage.name, end.timeIntervalSince(start))
        }) { a, _ in a }
        total = run.finished.map { $0.timeIntervalSince(run.created) }
    }
}
