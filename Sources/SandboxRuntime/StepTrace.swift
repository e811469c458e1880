import Glibc

/// Per-step timestamps for `slipway sandbox bench --trace`: when `SLIPWAY_SANDBOX_TRACE` names
/// a file, every process of the sandbox appends `step microseconds` lines (CLOCK_MONOTONIC) to
/// it. Off (one getenv at start) otherwise. The fd is close-on-exec, so the payload never sees it.
enum StepTrace {
    nonisolated(unsafe) private static var fd: Int32 = -1

    /// Opens the trace file; call after the inherited fds have been closed.
    static func start() {
        guard let path = getenv("SLIPWAY_SANDBOX_TRACE"), path.pointee != 0 else { return }
        fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
    }

    static func mark(_ step: StaticString) {
        guard fd >= 0 else { return }
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let line = self.line(step, microseconds: Clock.microseconds(now))
        _ = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    }

    /// One trace line: `step microseconds\n`, one write so that processes appending at once
    /// never interleave.
    static func line(_ step: StaticString, microseconds: Int) -> [UInt8] {
        var line = Array(step.utf8Start.withMemoryRebound(to: UInt8.self, capacity: step.utf8CodeUnitCount) {
            UnsafeBufferPointer(start: $0, count: step.utf8CodeUnitCount)
        })
        line += Array(" \(microseconds)\n".utf8)
        return line
    }
}
