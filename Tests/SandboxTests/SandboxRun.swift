import Foundation
@testable import Sandbox
import Synchronization

/// One sandbox run's result and output, collected for assertions.
struct SandboxRun {
    var result: SandboxResult
    var stdout: String
    var stderr: String

    /// How a test runs its sandbox: as root (the service's usual case), or through setpriv as
    /// nobody (the rootless case: user namespace, no cgroups).
    enum Mode: String, CaseIterable, CustomStringConvertible {
        case root, unprivileged
        var description: String { rawValue }
        var rootfs: String { self == .root ? BusyboxRootfs.root : BusyboxRootfs.unprivileged }
        var launcher: [String] {
            self == .root ? [] : ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
        }
        var available: Bool { self == .root || BusyboxRootfs.unprivilegedNamespacesWork }
        /// The modes this machine can run: the arguments of every test that runs both, so a
        /// mode the host cannot run is left out rather than passed without running.
        static var availableCases: [Mode] { allCases.filter(\.available) }
    }

    static func spec(_ mode: Mode, _ script: String) -> SandboxSpec {
        var spec = SandboxSpec(rootfs: mode.rootfs, command: ["/bin/sh", "-c", script])
        spec.environment = ["PATH": "/bin"]
        spec.timeout = 20  // a safety net: a test that hangs fails instead of stalling the suite
        return spec
    }

    static func run(_ mode: Mode, _ script: String, configure: (inout SandboxSpec) -> Void = { _ in }) throws -> SandboxRun {
        var spec = spec(mode, script)
        configure(&spec)
        return try run(spec, mode: mode)
    }

    /// `launcher` replaces the mode's (a program that execs its arguments, the helper last).
    static func run(_ spec: SandboxSpec, mode: Mode = .root, launcher: [String]? = nil) throws -> SandboxRun {
        let lines = Mutex<(out: [String], err: [String])>(([], []))
        let result = try Sandbox.start(spec, launcher: launcher ?? mode.launcher) { line in
            lines.withLock { if line.stream == .stdout { $0.out.append(line.text) } else { $0.err.append(line.text) } }
        }.wait()
        return lines.withLock { SandboxRun(result: result, stdout: $0.out.joined(separator: "\n"), stderr: $0.err.joined(separator: "\n")) }
    }
}
