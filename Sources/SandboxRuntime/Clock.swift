import Glibc

/// Monotonic seconds, for durations and deadlines that wall-clock changes cannot move.
enum Clock {
    static func now() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return seconds(spec)
    }

    static func seconds(_ spec: timespec) -> Double {
        Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }

    /// Whole microseconds, as the step trace writes them.
    static func microseconds(_ spec: timespec) -> Int {
        Int(spec.tv_sec) * 1_000_000 + Int(spec.tv_nsec) / 1_000
    }

    /// A limit or grace period as a report says it: `30s`, `0.5s`.
    static func describe(seconds value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? "\(Int(value))s" : "\(value)s"
    }
}
