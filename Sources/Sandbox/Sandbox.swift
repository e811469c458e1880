import Foundation
import SandboxWire
import SlipwayCore

/// Runs commands in an isolated sandbox: own mount, PID, network, UTS, IPC, cgroup and user
/// namespaces (as root the user namespace maps onto the `slipway` subordinate ids, so a build
/// is never host root), an overlay over the read-only image, a seccomp filter, cgroup limits
/// and a timeout. The work happens in the `slipway-sandbox` helper, because a
/// multithreaded process cannot safely fork or enter a user namespace itself.
public struct Sandbox {
    /// Runs `spec.command` to completion, streaming stdout and stderr line by line to `output`.
    /// The result's status is the command's (124 on timeout, 137 on a memory kill). Throws
    /// `SlipwayError` when the spec is invalid or the sandbox could not be set up.
    public static func run(_ spec: SandboxSpec, output: @escaping @Sendable (OutputLine) -> Void) throws -> SandboxResult {
        try start(spec, output: output).wait()
    }

    /// Starts `spec.command` and returns at once; call `wait()` on the handle (it streams the
    /// output) and `cancel()` from anywhere to stop it.
    public static func start(_ spec: SandboxSpec, output: @escaping @Sendable (OutputLine) -> Void) throws -> RunningSandbox {
        try start(spec, launcher: [], output: output)
    }

    /// `launcher` prefixes the helper's command line (tests use it to run the helper through
    /// `setpriv` as an unprivileged user).
    static func start(_ spec: SandboxSpec, launcher: [String], output: @escaping @Sendable (OutputLine) -> Void) throws -> RunningSandbox {
        let wire = try spec.wire()
        if launcher.isEmpty { try spec.validate(wire) }
        let framed: [UInt8]
        do {
            framed = try wire.framed()
        } catch {
            throw SlipwayError.badInput("sandbox: \(error.message)")
        }
        let helper = try HelperProcess.spawn(launcher + [try HelperLocation.resolve()], spec: framed)
        return RunningSandbox(helper: helper, output: output)
    }
}
