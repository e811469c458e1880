import SlipwayCore

/// Encodes a validated `SandboxSpec` for the helper: a 4-byte little-endian length, then
/// `key NUL value NUL` pairs (lists repeat their key). The helper links no Foundation, so no
/// JSON; NUL cannot occur in paths, arguments or environment strings, so it is a safe separator.
/// The decoder is `Sources/SandboxHelper/HelperSpec.swift`; keep the two in step.
enum SpecWireFormat {
    static func encode(_ spec: SandboxSpec) -> [UInt8] {
        var fields: [(String, String)] = [("rootfs", spec.rootfs)]
        fields += spec.command.map { ("arg", $0) }
        fields += spec.environment.sorted { $0.key < $1.key }.map { ("env", "\($0.key)=\($0.value)") }
        if let workspace = spec.workspace { fields.append(("workspace", workspace)) }
        fields.append(("workspace-path", spec.workspacePath))
        fields.append(("workdir", spec.effectiveWorkingDirectory))
        for bind in spec.binds {
            fields.append((bind.readOnly ? "bind-ro" : "bind-rw", bind.source))
            fields.append(("bind-to", bind.destination))
        }
        fields.append(("network", spec.network.rawValue))
        fields.append(("hostname", spec.hostname))
        if let memory = spec.memoryBytes { fields.append(("memory", String(memory))) }
        if let pids = spec.pids { fields.append(("pids", String(pids))) }
        if let cpus = spec.cpus { fields.append(("cpus", String(cpus))) }
        if let timeout = spec.timeout { fields.append(("timeout", String(timeout))) }
        fields.append(("kill-grace", String(spec.killGracePeriod)))
        fields.append(("uid", String(spec.uid)))
        fields.append(("gid", String(spec.gid)))
        if let keep = spec.keepUpperDirectory { fields.append(("keep-upper", keep)) }

        var body: [UInt8] = []
        for (key, value) in fields {
            body += Array(key.utf8) + [0] + Array(value.utf8) + [0]
        }
        let length = UInt32(body.count)
        return [UInt8(length & 0xff), UInt8(length >> 8 & 0xff), UInt8(length >> 16 & 0xff), UInt8(length >> 24)] + body
    }
}

extension SandboxSpec {
    /// The working directory inside: as given, else the workspace when there is one, else `/`.
    var effectiveWorkingDirectory: String {
        workingDirectory ?? (workspace != nil ? workspacePath : "/")
    }
}
