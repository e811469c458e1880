import Foundation

/// A `slipway worker` as the service shows it (`GET /api/workers`, the workers page).
public struct WorkerSummary: Codable, Sendable, Hashable {
    public var name: String
    public var host: String
    public var labels: [String]
    /// Builds it runs at once.
    public var concurrency: Int
    /// `working`, `idle`, `stopped`, or `lost` (no heartbeat for a whole lease).
    public var state: String
    public var heartbeat: Date
    public var secondsSinceHeartbeat: Double
    /// The jobs it holds now.
    public var jobs: [Job]

    /// A build job a worker holds.
    public struct Job: Codable, Sendable, Hashable {
        public var id: Int64
        public var run: RunID
        public var stage: String
        public var attempt: Int

        public init(id: Int64, run: RunID, stage: String, attempt: Int) {
            (self.id, self.run, self.stage, self.attempt) = (id, run, stage, attempt)
        }
    }

    public init(name: String, host: String, labels: [String], concurrency: Int, state: String, heartbeat: Date,
                secondsSinceHeartbeat: Double, jobs: [Job]) {
        (self.name, self.host, self.labels, self.concurrency, self.state) = (name, host, labels, concurrency, state)
        (self.heartbeat, self.secondsSinceHeartbeat, self.jobs) = (heartbeat, secondsSinceHeartbeat, jobs)
    }
}
