extension WireSpec {
    /// Refuses a spec the helper could not apply faithfully. The service checks before it spawns
    /// the helper (adding what only it can know: the rootfs exists, the caller's identity), and
    /// the helper checks again what it decoded, so a spec from anywhere else is held to the same
    /// rules. Messages are plain sentences without a prefix.
    public func validate() throws(WireError) {
        guard let program = command.first, !program.isEmpty else { throw invalid("no command given") }
        try Self.requireAbsolute(rootfs, "rootfs")
        if let workspace { try Self.requireAbsolute(workspace, "workspace") }
        try Self.requireAbsolute(workspacePath, "workspace path")
        try Self.requireAbsolute(workingDirectory, "working directory")
        for bind in binds {
            try Self.requireAbsolute(bind.source, "bind source")
            try Self.requireAbsolute(bind.destination, "bind destination")
        }
        if let keepUpperDirectory { try Self.requireAbsolute(keepUpperDirectory, "upper directory") }
        for entry in environment {
            let name = entry.utf8.prefix { $0 != UInt8(ascii: "=") }
            guard !name.isEmpty, name.count < entry.utf8.count else {
                throw invalid("invalid environment variable name '\(Self.printable(String(Substring(name))))'")
            }
        }
        guard !hostname.isEmpty, hostname.utf8.count <= 64 else { throw invalid("hostname must be 1 to 64 bytes") }
        if hasNUL { throw invalid("NUL bytes are not allowed in paths, arguments or the environment") }
        if let memoryBytes, memoryBytes < 1 << 20 { throw invalid("memory limit must be at least 1M") }
        if let pids, pids < 1 { throw invalid("pids limit must be at least 1") }
        if let cpus, !(cpus > 0 && cpus <= 1024) { throw invalid("cpus must be a positive number") }
        if let timeout, !(timeout > 0) { throw invalid("timeout must be positive") }
        guard killGracePeriod >= 0 else { throw invalid("kill grace period must not be negative") }
        if let tmpSizeBytes, tmpSizeBytes < 1 << 20 { throw invalid("the /tmp size must be at least 1M") }
        if let upperSizeBytes, upperSizeBytes < 1 << 20 { throw invalid("the upper layer size must be at least 1M") }
        switch (subordinateUIDs, subordinateGIDs) {
        case (nil, nil): break
        case let (uids?, gids?):
            for (range, what, inside) in [(uids, "subordinate uid", uid), (gids, "subordinate gid", gid)] {
                guard range.count >= 1, range.start >= 1, UInt64(range.start) + UInt64(range.count) <= UInt64(UInt32.max) else {
                    throw invalid("the \(what) range \(range.start) \(range.count) is empty, starts at 0 or overflows")
                }
                guard inside < range.count else {
                    throw invalid("id \(inside) inside is not in the \(what) range of \(range.count) ids")
                }
            }
        default: throw invalid("give both subordinate uid and gid ranges, or neither")
        }
        if let seccompFilter, seccompFilter.isEmpty || seccompFilter.count % 8 != 0 || seccompFilter.count > 4096 * 8 {
            throw invalid("the seccomp filter must be 1 to 4096 instructions of 8 bytes, not \(seccompFilter.count) bytes")
        }
    }

    private var hasNUL: Bool {
        func nul(_ text: String?) -> Bool { text?.utf8.contains(0) ?? false }
        return nul(rootfs) || nul(workspacePath) || nul(workingDirectory) || nul(hostname) || nul(name) || nul(workspace)
            || nul(keepUpperDirectory)
            || command.contains { $0.utf8.contains(0) }
            || environment.contains { $0.utf8.contains(0) }
            || binds.contains { $0.source.utf8.contains(0) || $0.destination.utf8.contains(0) }
    }

    private func invalid(_ message: String) -> WireError { WireError(.invalid, message) }

    private static func requireAbsolute(_ path: String, _ what: String) throws(WireError) {
        guard path.utf8.first == UInt8(ascii: "/") else {
            throw WireError(.invalid, "\(what) must be an absolute path: \(printable(path))")
        }
    }
}
