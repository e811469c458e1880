import Foundation
import Yams

extension PipelineSpec {
    /// How much of a pipeline's history is kept (`retention:` in slipway.yml). A finished run
    /// goes, with its log, stages, approvals and build record, once it is past the newest
    /// `runs` of its pipeline or older than `days`, whichever comes first; a run in progress
    /// or waiting, and the newest run of the pipeline, always stay. nil: no limit of that kind.
    public struct Retention: Codable, Sendable, Equatable {
        public static let defaultRuns = 50
        public static let defaultDays = 30.0
        public static let defaultMaxLogBytes: Int64 = 50 << 20

        public var runs: Int? = Retention.defaultRuns
        public var days: Double? = Retention.defaultDays
        /// A run's stored log stops here with a marker line; later output is counted, not kept.
        public var maxLogBytes: Int64 = Retention.defaultMaxLogBytes

        public init(runs: Int? = Retention.defaultRuns, days: Double? = Retention.defaultDays,
                    maxLogBytes: Int64 = Retention.defaultMaxLogBytes) {
            self.runs = runs
            self.days = days
            self.maxLogBytes = maxLogBytes
        }

        private enum CodingKeys: String, CodingKey { case runs, days, maxLogBytes }

        /// `null` stands for unlimited; a missing key for the default.
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(runs, forKey: .runs)
            try c.encode(days, forKey: .days)
            try c.encode(maxLogBytes, forKey: .maxLogBytes)
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            runs = c.contains(.runs) ? try c.decodeIfPresent(Int.self, forKey: .runs) : Self.defaultRuns
            days = c.contains(.days) ? try c.decodeIfPresent(Double.self, forKey: .days) : Self.defaultDays
            maxLogBytes = try c.decodeIfPresent(Int64.self, forKey: .maxLogBytes) ?? Self.defaultMaxLogBytes
        }
    }
}

extension PipelineSpecParser {
    static let retentionKeys = ["runs", "days", "max-log-size"]

    /// `retention: { runs: 50, days: 30, max-log-size: 50M }`; `unlimited` lifts a limit on
    /// runs or days.
    func retention(_ node: Node) -> PipelineSpec.Retention {
        var retention = PipelineSpec.Retention()
        guard let entries = reader.mapping(node, "retention") else { return retention }
        let keys = reader.checkKeys(entries, known: Self.retentionKeys, "retention")
        if let entry = keys["runs"], let text = reader.string(entry.value, "retention.runs") {
            if text == "unlimited" { retention.runs = nil } else if let n = Int(text), n >= 1 { retention.runs = n } else {
                reader.error("runs must be a whole number, 1 or more, or 'unlimited'", at: entry.value, "retention.runs")
            }
        }
        if let entry = keys["days"], let text = reader.string(entry.value, "retention.days") {
            if text == "unlimited" { retention.days = nil } else if let days = Double(text), days.isFinite, days > 0 {
                retention.days = days
            } else {
                reader.error("days must be a number of days above 0 (e.g. 30 or 0.5), or 'unlimited'", at: entry.value, "retention.days")
            }
        }
        if let entry = keys["max-log-size"], let text = reader.string(entry.value, "retention.max-log-size") {
            if let bytes = ByteSize.parse(text), bytes >= 1 << 10 { retention.maxLogBytes = bytes } else {
                reader.error("'\(text)' is not a size of at least 1K (e.g. 50M, 1G)", at: entry.value, "retention.max-log-size")
            }
        }
        return retention
    }
}
