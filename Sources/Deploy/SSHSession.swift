import Foundation
import SlipwayCore

/// Runs POSIX sh scripts on a remote host through the system OpenSSH client.
///
/// `SLIPWAY_SSH_COMMAND` replaces `ssh` (as `GIT_SSH_COMMAND` does for git), e.g. to add
/// `-i key -o UserKnownHostsFile=…`. BatchMode is always on: a deploy never prompts. A deploy
/// makes a few dozen short calls per host, so they share one connection (OpenSSH
/// multiplexing, socket under `$SLIPWAY_HOME/tmp`, kept 60 s): a handshake costs 0.3-0.6 s.
struct SSHSession: Sendable {
    let destination: SSHDestination

    /// The argv that runs `script` with `$0` = the target root and `$1…` = `arguments`.
    func argv(_ script: String, _ arguments: [String]) -> [String] {
        let remote = (["sh", "-c", "cd -- \"$0\" || exit 1\n" + script, destination.path] + arguments)
            .map(shellQuote).joined(separator: " ")
        var options = ["-o", "BatchMode=yes"]
        if let control = Self.controlDirectory {
            options += ["-o", "ControlMaster=auto", "-o", "ControlPath=\(control)/%C", "-o", "ControlPersist=60"]
        }
        if let port = destination.port { options += ["-p", String(port)] }
        let rest = options + [destination.login, remote]
        if let custom = ProcessInfo.processInfo.environment["SLIPWAY_SSH_COMMAND"], !custom.isEmpty {
            return ["/bin/sh", "-c", custom + " \"$@\"", "ssh"] + rest
        }
        return [Self.ssh] + rest
    }

    /// A private directory for multiplexing sockets; nil (no multiplexing) when it cannot be made.
    static let controlDirectory: String? = {
        let dir = SlipwayHome.fromEnvironment().tmp + "/ssh"
        guard (try? makeDirectories(dir, mode: 0o700)) != nil, chmod(dir, 0o700) == 0, dir.utf8.count < 60 else { return nil }
        return dir
    }()

    static let ssh: String = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for dir in path.split(separator: ":") where access("\(dir)/ssh", X_OK) == 0 { return "\(dir)/ssh" }
        return "/usr/bin/ssh"
    }()

    /// Starts a script; the caller owns the child. Its stderr (ssh's and the script's) goes
    /// to `errors` when given, so banners and warnings never mix with the script's output.
    func start(_ script: String, _ arguments: [String] = [], input: ChildProcess.Input = .null, errors: ErrorLog? = nil) throws -> ChildProcess {
        try ChildProcess.spawn(argv(script, arguments), environment: ChildProcess.baseEnvironment(), input: input, errors: errors?.fd)
    }

    /// Runs a script to completion, feeding `input`; returns its output lines, or throws with
    /// them when it fails.
    @discardableResult
    func run(_ script: String, _ arguments: [String] = [], input: Data? = nil, timeout: TimeInterval = 600,
             line: ((String) -> Void)? = nil) throws -> [String] {
        let errors = try ErrorLog()
        let child = try start(script, arguments, input: input == nil ? .null : .pipe, errors: errors)
        if let fd = child.input {
            if let input { try input.withUnsafeBytes { try Syscall.writeAll(fd, $0, what: "write to ssh") } }
            Syscall.close(fd)
        }
        var lines: [String] = []
        let ending = OutputPump(grace: 2).run(child, deadline: Date().addingTimeInterval(timeout)) { text in
            lines.append(text)
            line?(text)
        }
        switch ending {
        case .exited(0), .outputHeldOpen(0): return lines
        case .exited(255):
            throw SlipwayError.failed("ssh to \(destination.login) failed: " + (errors.lines().last ?? "connection error"))
        case .exited(let code), .outputHeldOpen(let code):
            throw RemoteFailure(status: code, lines: lines + errors.lines())
        case .timedOut:
            throw SlipwayError.failed("\(destination.login): a remote step did not finish in \(Int(timeout)) s")
        }
    }
}

/// A remote script exited non-zero.
struct RemoteFailure: Error {
    var status: Int32
    var lines: [String]

    var message: String { lines.suffix(5).joined(separator: "\n").nonEmpty ?? "exited with status \(status)" }
}

/// An anonymous temp file that collects a child's stderr.
final class ErrorLog: Sendable {
    let fd: Int32

    init() throws {
        // O_TMPFILE (020000000 | O_DIRECTORY), which Glibc's overlay does not export: a file
        // with no name, gone when closed.
        let tmpfile: Int32 = 0o20000000 | O_DIRECTORY
        fd = try Syscall.retrying("create a temp file") { open("/tmp", tmpfile | O_RDWR | O_CLOEXEC, 0o600) }
    }

    deinit { Syscall.close(fd) }

    /// What was written so far, minus OpenSSH's home-directory notice.
    func lines() -> [String] {
        var data = [UInt8](repeating: 0, count: 16384)
        let n = pread(fd, &data, data.count, 0)
        guard n > 0 else { return [] }
        return String(decoding: data[0..<n], as: UTF8.self).split(separator: "\n").map(String.init)
            .filter { !$0.hasPrefix("Could not chdir to home directory") }
    }
}
