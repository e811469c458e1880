/// A build's resource limits as `slipway.yml` (`build.limits`) or the command line set them:
/// each one is a value, `unlimited`, or unset (nil: the default applies, see
/// `BuildIsolation.Defaults` in Build).
public struct BuildLimits: Codable, Sendable, Equatable {
    public enum Setting<Value: Codable & Sendable & Equatable>: Codable, Sendable, Equatable {
        case limit(Value)
        case unlimited

        /// The value, nil for `unlimited`.
        public var value: Value? {
            if case .limit(let value) = self { return value }
            return nil
        }
    }

    /// Memory in bytes (swap is not allowed on top).
    public var memory: Setting<Int64>?
    /// Processes and threads.
    public var pids: Setting<Int>?
    /// CPU time in cores, e.g. 1.5.
    public var cpus: Setting<Double>?
    /// Size of the tmpfs at /tmp, in bytes.
    public var tmpSize: Setting<Int64>?
    /// Size of the writable layer over the image (every write outside the workspace and /tmp),
    /// in bytes.
    public var upperSize: Setting<Int64>?

    public init(memory: Setting<Int64>? = nil, pids: Setting<Int>? = nil, cpus: Setting<Double>? = nil,
                tmpSize: Setting<Int64>? = nil, upperSize: Setting<Int64>? = nil) {
        (self.memory, self.pids, self.cpus, self.tmpSize, self.upperSize) = (memory, pids, cpus, tmpSize, upperSize)
    }

    /// The names `build.limits` takes, as they appear in the file and in messages.
    public static let keys = ["memory", "pids", "cpus", "tmp-size", "upper-size"]

    /// Parses one value as written in `build.limits` or a flag: `unlimited`, or a size
    /// (`512M`, `2G`) for memory, tmp-size and upper-size, a whole number for pids, cores for
    /// cpus. nil when `text` is none of those; `minimum` is the least value accepted.
    public static func parseSize(_ text: String, minimum: Int64) -> Setting<Int64>? {
        if text == "unlimited" { return .unlimited }
        guard let bytes = ByteSize.parse(text), bytes >= minimum else { return nil }
        return .limit(bytes)
    }

    public static func parsePids(_ text: String) -> Setting<Int>? {
        if text == "unlimited" { return .unlimited }
        guard let value = Int(text), value >= 1 else { return nil }
        return .limit(value)
    }

    public static func parseCPUs(_ text: String) -> Setting<Double>? {
        if text == "unlimited" { return .unlimited }
        guard let value = Double(text), value.isFinite, value >= 0.01, value <= 1024 else { return nil }
        return .limit(value)
    }

    /// Smallest sizes accepted: the sandbox needs a few MiB of memory, and a tmpfs of less
    /// than 1 MiB is never what was meant.
    public static let minimumMemory: Int64 = 4 << 20
    public static let minimumSize: Int64 = 1 << 20
}
