import Foundation
import Sandbox
import Specs

/// How a build's sandbox was confined: the limits in force (after the defaults) and the seccomp
/// setting, as the build result and its log record them.
public struct BuildIsolation: Codable, Sendable, Equatable {
    /// nil: unlimited.
    public var memoryBytes: Int64?
    public var pids: Int?
    public var cpus: Double?
    public var tmpSizeBytes: Int64?
    public var upperSizeBytes: Int64?
    /// `default` or `unconfined`.
    public var seccomp: String
    /// The host uid that root inside the sandbox is: the first `slipway` subordinate id when
    /// the service runs as root, nil otherwise (the calling user).
    public var hostUID: UInt32?
    /// Defences or limits that could not be applied here, as the sandbox said them.
    public var unenforced: [String] = []

    /// The defaults every build gets, sized for real builds (compilers, package managers,
    /// test suites) on a machine that also runs the service: 4 GiB of memory without swap,
    /// 4096 processes and threads, 90 % of the machine's CPUs (at least one), 1 GiB for /tmp
    /// and 2 GiB for writes over the image. /tmp and the writable layer are memory, so they
    /// count towards the memory limit too.
    public enum Defaults {
        public static let memory: Int64 = 4 << 30
        public static let pids = 4096
        public static let tmpSize: Int64 = 1 << 30
        public static let upperSize: Int64 = 2 << 30
        public static var cpus: Double { cpus(online: ProcessInfo.processInfo.activeProcessorCount) }

        /// 90 % of `online` CPUs in tenths, at least 1.
        static func cpus(online: Int) -> Double {
            max(1, (Double(online) * 9).rounded(.down) / 10)
        }
    }

    /// `limits` (unset ones from `Defaults`) with `seccomp`.
    public init(limits: BuildLimits, seccomp: PipelineSpec.Seccomp) {
        func resolve<T>(_ setting: BuildLimits.Setting<T>?, _ fallback: T) -> T? {
            guard let setting else { return fallback }
            return setting.value
        }
        memoryBytes = resolve(limits.memory, Defaults.memory)
        pids = resolve(limits.pids, Defaults.pids)
        cpus = resolve(limits.cpus, Defaults.cpus)
        tmpSizeBytes = resolve(limits.tmpSize, Defaults.tmpSize)
        upperSizeBytes = resolve(limits.upperSize, Defaults.upperSize)
        self.seccomp = seccomp.rawValue
        if geteuid() == 0 { hostUID = try? SubordinateIDs.forSandboxes().uids.start }
    }

    /// Puts the limits and the filter setting on a sandbox spec.
    func apply(to sandbox: inout SandboxSpec) {
        sandbox.memoryBytes = memoryBytes
        sandbox.pids = pids
        sandbox.cpus = cpus
        sandbox.tmpSizeBytes = tmpSizeBytes
        sandbox.upperSizeBytes = upperSizeBytes
        sandbox.seccomp = seccomp == PipelineSpec.Seccomp.unconfined.rawValue ? .unconfined : .default
    }

    /// One line for the build log: `memory 4 GiB, pids 4096, cpus 1.8, /tmp 1 GiB, upper 2 GiB; seccomp default`.
    public var summary: String {
        func size(_ bytes: Int64?) -> String {
            guard let bytes else { return "unlimited" }
            if bytes % (1 << 30) == 0 { return "\(bytes >> 30) GiB" }
            if bytes % (1 << 20) == 0 { return "\(bytes >> 20) MiB" }
            return "\(bytes) bytes"
        }
        let cpuText = cpus.map { $0 == $0.rounded() ? "\(Int($0))" : "\($0)" } ?? "unlimited"
        return "memory \(size(memoryBytes)), pids \(pids.map(String.init) ?? "unlimited"), cpus \(cpuText), "
            + "/tmp \(size(tmpSizeBytes)), upper layer \(size(upperSizeBytes)); seccomp \(seccomp)"
            + (hostUID.map { "; root inside is host uid \($0)" } ?? "")
    }
}
