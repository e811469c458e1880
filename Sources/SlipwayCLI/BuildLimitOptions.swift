import ArgumentParser
import Specs

/// `slipway build`'s sandbox limits and seccomp setting; each flag overrides the default
/// (`BuildIsolation.Defaults`), and `unlimited` lifts a limit.
struct BuildLimitOptions: ParsableArguments {
    @Option(help: "Memory limit, e.g. 2G, or unlimited (default 4G; swap is never used).") var memory: String?
    @Option(help: "Process and thread limit, or unlimited (default 4096).") var pids: String?
    @Option(help: "CPU limit in cores, e.g. 1.5, or unlimited (default 90% of the machine's).") var cpus: String?
    @Option(help: "Size of /tmp, e.g. 512M, or unlimited (default 1G).") var tmpSize: String?
    @Option(help: "Space for writes outside the workspace and /tmp, e.g. 4G, or unlimited (default 2G).") var upperSize: String?
    @Option(help: "default (the seccomp filter) or unconfined (none: for builds that run containers).") var seccomp: PipelineSpec.Seccomp = .default

    /// The limits given; unset ones stay nil (the defaults apply).
    func limits() throws -> BuildLimits {
        var limits = BuildLimits()
        func parsed<T>(_ text: String?, _ flag: String, _ what: String, _ parse: (String) -> T?) throws -> T? {
            guard let text else { return nil }
            guard let value = parse(text) else { throw ValidationError("--\(flag) wants \(what) or unlimited, got '\(text)'") }
            return value
        }
        limits.memory = try parsed(memory, "memory", "a size of at least 4M (e.g. 2G)") { BuildLimits.parseSize($0, minimum: BuildLimits.minimumMemory) }
        limits.pids = try parsed(pids, "pids", "a number of processes (1 or more)", BuildLimits.parsePids)
        limits.cpus = try parsed(cpus, "cpus", "a number of CPUs (e.g. 0.5, 2)", BuildLimits.parseCPUs)
        limits.tmpSize = try parsed(tmpSize, "tmp-size", "a size of at least 1M (e.g. 512M)") { BuildLimits.parseSize($0, minimum: BuildLimits.minimumSize) }
        limits.upperSize = try parsed(upperSize, "upper-size", "a size of at least 1M (e.g. 4G)") { BuildLimits.parseSize($0, minimum: BuildLimits.minimumSize) }
        return limits
    }
}

extension PipelineSpec.Seccomp: ExpressibleByArgument {}
