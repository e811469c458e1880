import Foundation
import SandboxWire

extension SandboxSpec {
    /// The spec as the helper receives it: defaults resolved (the working directory), the
    /// environment as `NAME=value` entries sorted by name, the seccomp filter compiled and, when
    /// the service is root, the subordinate ranges the sandbox's user namespace maps onto.
    func wire() throws -> WireSpec {
        var wire = plainWire
        if seccomp == .default { wire.seccompFilter = try SeccompProfile.filter() }
        if geteuid() == 0 {
            let ranges = try SubordinateIDs.forSandboxes()
            wire.subordinateUIDs = ranges.uids
            wire.subordinateGIDs = ranges.gids
        }
        return wire
    }

    /// The fields as given, without the filter and ranges.
    var plainWire: WireSpec {
        var wire = WireSpec(rootfs: rootfs, command: command)
        wire.environment = environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        wire.workspace = workspace
        wire.workspacePath = workspacePath
        wire.workingDirectory = effectiveWorkingDirectory
        wire.binds = binds.map { WireSpec.Bind(source: $0.source, destination: $0.destination, readOnly: $0.readOnly) }
        wire.hostNetwork = network == .host
        wire.hostname = hostname
        wire.memoryBytes = memoryBytes
        wire.pids = pids
        wire.cpus = cpus
        wire.timeout = timeout
        wire.killGracePeriod = killGracePeriod
        wire.uid = uid
        wire.gid = gid
        wire.keepUpperDirectory = keepUpperDirectory
        wire.tmpSizeBytes = tmpSizeBytes
        wire.upperSizeBytes = upperSizeBytes
        return wire
    }

    /// The working directory inside: as given, else the workspace when there is one, else `/`.
    var effectiveWorkingDirectory: String {
        workingDirectory ?? (workspace != nil ? workspacePath : "/")
    }
}
