import Foundation
import SlipwayCore

extension SandboxSpec {
    /// Refuses specs the helper could not apply faithfully, before anything is spawned.
    func validate() throws {
        guard !command.isEmpty, !command[0].isEmpty else { throw SlipwayError.badInput("sandbox: no command given") }
        try Self.requireAbsolute(rootfs, "rootfs")
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: rootfs, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw SlipwayError.notFound("sandbox: rootfs \(rootfs) is not a directory")
        }
        if let workspace { try Self.requireAbsolute(workspace, "workspace") }
        try Self.requireAbsolute(workspacePath, "workspace path")
        if let workingDirectory { try Self.requireAbsolute(workingDirectory, "working directory") }
        for bind in binds {
            try Self.requireAbsolute(bind.source, "bind source")
            try Self.requireAbsolute(bind.destination, "bind destination")
        }
        if let keepUpperDirectory { try Self.requireAbsolute(keepUpperDirectory, "upper directory") }
        for (key, _) in environment where key.isEmpty || key.contains("=") {
            throw SlipwayError.badInput("sandbox: invalid environment variable name '\(key)'")
        }
        guard !hostname.isEmpty, hostname.utf8.count <= 64 else {
            throw SlipwayError.badInput("sandbox: hostname must be 1 to 64 bytes")
        }
        let texts = [rootfs, workspacePath, hostname] + command + binds.flatMap { [$0.source, $0.destination] }
            + environment.flatMap { [$0.key, $0.value] } + [workspace, workingDirectory, keepUpperDirectory].compactMap { $0 }
        if texts.contains(where: { $0.utf8.contains(0) }) {
            throw SlipwayError.badInput("sandbox: NUL bytes are not allowed in paths, arguments or the environment")
        }
        if let memoryBytes, memoryBytes < 1 << 20 { throw SlipwayError.badInput("sandbox: memory limit must be at least 1M") }
        if let pids, pids < 1 { throw SlipwayError.badInput("sandbox: pids limit must be at least 1") }
        if let cpus, !(cpus > 0 && cpus <= 1024) { throw SlipwayError.badInput("sandbox: cpus must be a positive number") }
        if let timeout, !(timeout > 0) { throw SlipwayError.badInput("sandbox: timeout must be positive") }
        guard killGracePeriod >= 0 else { throw SlipwayError.badInput("sandbox: kill grace period must not be negative") }
        if geteuid() != 0 && (uid != 0 || gid != 0) {
            throw SlipwayError.badInput("sandbox: without root only uid/gid 0 (mapped to the caller) exists inside the sandbox")
        }
    }

    private static func requireAbsolute(_ path: String, _ what: String) throws {
        guard path.hasPrefix("/") else { throw SlipwayError.badInput("sandbox: \(what) must be an absolute path: \(path)") }
    }
}
