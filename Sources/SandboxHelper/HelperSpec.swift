import Glibc

/// The sandbox spec as the helper sees it, decoded from the wire format that
/// `Sandbox/SpecWireFormat.swift` writes: `key NUL value NUL` pairs, repeated keys for lists.
/// The helper links no Foundation (its start-up cost is the benchmark), hence this small format.
struct HelperSpec {
    struct Bind {
        var source: String
        var destination: String
        var readOnly: Bool
    }

    /// Names the sandbox's cgroup; unique among live sandboxes by default.
    var name = "sandbox-\(getpid())"
    var rootfs = ""
    var command: [String] = []
    var environment: [String] = []
    var workspace: String?
    var workspacePath = "/workspace"
    var workingDirectory = "/"
    var binds: [Bind] = []
    var hostNetwork = false
    var hostname = "slipway"
    var memoryBytes: Int64?
    var pids: Int?
    var cpus: Double?
    var timeout: Double?
    var killGrace: Double = 2
    var uid: UInt32 = 0
    var gid: UInt32 = 0
    var keepUpperDirectory: String?

    /// Whether the sandbox needs a user namespace: always when the caller is not root.
    /// Decided once, before the clone: inside the namespace geteuid() is 0.
    let usesUserNamespace = geteuid() != 0

    init(decoding bytes: [UInt8]) throws(SetupFailure) {
        var start = 0
        var pendingKey: String?
        for index in bytes.indices where bytes[index] == 0 {
            let text = String(decoding: bytes[start..<index], as: UTF8.self)
            if let key = pendingKey {
                try apply(key, text)
                pendingKey = nil
            } else {
                pendingKey = text
            }
            start = index + 1
        }
        guard pendingKey == nil, start == bytes.count else { throw SetupFailure(step: "read spec", message: "truncated spec") }
        guard !rootfs.isEmpty, !command.isEmpty else { throw SetupFailure(step: "read spec", message: "rootfs and command are required") }
    }

    private mutating func apply(_ key: String, _ value: String) throws(SetupFailure) {
        switch key {
        case "name": name = value
        case "rootfs": rootfs = value
        case "arg": command.append(value)
        case "env": environment.append(value)
        case "workspace": workspace = value
        case "workspace-path": workspacePath = value
        case "workdir": workingDirectory = value
        case "bind-rw": binds.append(Bind(source: value, destination: value, readOnly: false))
        case "bind-ro": binds.append(Bind(source: value, destination: value, readOnly: true))
        case "bind-to":
            guard !binds.isEmpty else { throw SetupFailure(step: "read spec", message: "bind-to without bind") }
            binds[binds.count - 1].destination = value
        case "network": hostNetwork = value == "host"
        case "hostname": hostname = value
        case "memory": memoryBytes = try number(key, value)
        case "pids": pids = try number(key, value)
        case "cpus": cpus = try number(key, value)
        case "timeout": timeout = try number(key, value)
        case "kill-grace": killGrace = try number(key, value)
        case "uid": uid = try number(key, value)
        case "gid": gid = try number(key, value)
        case "keep-upper": keepUpperDirectory = value
        default: throw SetupFailure(step: "read spec", message: "unknown key \(key)")
        }
    }

    private func number<T: LosslessStringConvertible>(_ key: String, _ value: String) throws(SetupFailure) -> T {
        guard let parsed = T(value) else { throw SetupFailure(step: "read spec", message: "\(key) is not a number: \(value)") }
        return parsed
    }
}
