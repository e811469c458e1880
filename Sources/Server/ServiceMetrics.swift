import Foundation
import SlipwayAPI
import Synchronization

/// The service's Prometheus metrics, written out in the text exposition format (0.0.4).
///
/// Runs by status follow the event stream; a run's stages are counted (and their durations
/// observed) once, when the run reaches a final status, so a replayed or repeated event
/// counts nothing twice.
public final class ServiceMetrics: Sendable {
    /// Upper bounds of the stage duration histogram, in seconds.
    static let durationBuckets: [Double] = [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800]

    struct RequestKey: Hashable {
        var method: String
        var route: String
        var status: Int
    }

    struct StageKey: Hashable {
        var kind: String
        var status: String
    }

    struct Histogram {
        var buckets = [Int](repeating: 0, count: ServiceMetrics.durationBuckets.count)
        var count = 0
        var sum = 0.0
    }

    struct State {
        var requests: [RequestKey: Int] = [:]
        var runStatus: [RunID: RunStatus] = [:]
        var stages: [StageKey: Int] = [:]
        var durations: [String: Histogram] = [:]
    }

    private let state = Mutex(State())
    /// Whether this instance schedules: 1, 0, or -1 while nobody said (no gauge shown).
    private let scheduler = Atomic<Int>(-1)

    public init() {}

    /// Sets the `slipway_scheduler` gauge: whether this instance is the one of the service's
    /// instances that polls, fires schedules, reaps job leases and takes over orphaned runs.
    public func setScheduler(_ isScheduler: Bool) {
        scheduler.store(isScheduler ? 1 : 0, ordering: .relaxed)
    }

    func countRequest(method: String, route: String, status: Int) {
        state.withLock { $0.requests[RequestKey(method: method, route: route, status: status), default: 0] += 1 }
    }

    /// Takes in a run's new record. A final run is not taken back to an earlier status by a
    /// stale event.
    func observe(_ run: RunRecord) {
        state.withLock { state in
            let previous = state.runStatus[run.id]
            if let previous, previous.isFinal { return }
            state.runStatus[run.id] = run.status
            guard run.status.isFinal else { return }
            for stage in run.stages where ![.pending, .running, .waitingApproval].contains(stage.status) {
                state.stages[StageKey(kind: stage.kind.rawValue, status: stage.status.rawValue), default: 0] += 1
                guard let started = stage.started, let finished = stage.finished else { continue }
                let seconds = max(0, finished.timeIntervalSince(started))
                var histogram = state.durations[stage.kind.rawValue] ?? Histogram()
                for (i, bound) in Self.durationBuckets.enumerated() where seconds <= bound { histogram.buckets[i] += 1 }
                histogram.count += 1
                histogram.sum += seconds
                state.durations[stage.kind.rawValue] = histogram
            }
        }
    }

    /// The exposition text for `GET /metrics`.
    public func exposition() -> String {
        let state = state.withLock { $0 }
        var out = ""
        out += "# HELP slipway_runs Runs known to the service, by status.\n# TYPE slipway_runs gauge\n"
        var byStatus: [RunStatus: Int] = [:]
        for status in state.runStatus.values { byStatus[status, default: 0] += 1 }
        for status in RunStatus.allCases {
            out += "slipway_runs{status=\(label(status.rawValue))} \(byStatus[status] ?? 0)\n"
        }
        out += "# HELP slipway_stages_total Stages of finished runs, by kind (source, build, approval, deploy) and status.\n"
        out += "# TYPE slipway_stages_total counter\n"
        for (key, count) in state.stages.sorted(by: { ($0.key.kind, $0.key.status) < ($1.key.kind, $1.key.status) }) {
            out += "slipway_stages_total{kind=\(label(key.kind)),status=\(label(key.status))} \(count)\n"
        }
        out += "# HELP slipway_stage_duration_seconds How long stages of finished runs took, by kind.\n"
        out += "# TYPE slipway_stage_duration_seconds histogram\n"
        for (kind, histogram) in state.durations.sorted(by: { $0.key < $1.key }) {
            for (i, bound) in Self.durationBuckets.enumerated() {
                out += "slipway_stage_duration_seconds_bucket{kind=\(label(kind)),le=\"\(number(bound))\"} \(histogram.buckets[i])\n"
            }
            out += "slipway_stage_duration_seconds_bucket{kind=\(label(kind)),le=\"+Inf\"} \(histogram.count)\n"
            out += "slipway_stage_duration_seconds_sum{kind=\(label(kind))} \(number(histogram.sum))\n"
            out += "slipway_stage_duration_seconds_count{kind=\(label(kind))} \(histogram.count)\n"
        }
        let scheduler = scheduler.load(ordering: .relaxed)
        if scheduler >= 0 {
            out += "# HELP slipway_scheduler Whether this instance schedules (polls, fires schedules, reaps job leases, "
                + "takes over orphaned runs): 1, or 0 while another instance does.\n"
            out += "# TYPE slipway_scheduler gauge\nslipway_scheduler \(scheduler)\n"
        }
        out += "# HELP slipway_http_requests_total HTTP requests answered, by method, route and status.\n"
        out += "# TYPE slipway_http_requests_total counter\n"
        for (key, count) in state.requests.sorted(by: { ($0.key.route, $0.key.method, $0.key.status) < ($1.key.route, $1.key.method, $1.key.status) }) {
            out += "slipway_http_requests_total{method=\(label(key.method)),route=\(label(key.route)),status=\"\(key.status)\"} \(count)\n"
        }
        return out
    }

    /// A quoted label value with `\`, `"` and newlines escaped as the format requires.
    private func label(_ value: String) -> String {
        "\"" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n") + "\""
    }

    private func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }
}
