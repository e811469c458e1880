import Foundation
import SlipwayCore

/// Runs POSIX sh scripts on a remote host through the system OpenSSH client.
///
/// `SLIPWAY_SSH_COMMAND` replaces `ssh` (as `GIT_SSH_COMMAND` does for git), e.g. to add
/// `-i key -o UserKnownHostsFile=…`. BatchMode is always on: a deploy never prompts.
struct SSHSession: Sendable {
    let destination: SSHDestination

    /// The argv that runs `script` with `$0` = the target root and `$1…` = `arguments`.
    func argv(_ script: String, _ arguments: [String]) -> [String] {
        let remote = (["sh", "-c", "cd -- \"$0\" || exit 1\n" + script, destination.path] + arguments)
            .map(shellQuote).joined(separator: " ")
        var options = ["-o", "BatchMode=yes"]
        if let port = destination.port { options += ["-p", String(port)] }
        let rest = options + [destination.login, remote]
        if let custom = ProcessInfo.processInfo.environment["SLIPWAY_SSH_COMMAND"], !custom.isEmpty {
            return ["/bin/sh", "-c", custom + " \"$@\"", "ssh"] + rest
        }
        return [Self.ssh] + rest
    }

    static let ssh: String = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for dir in path.split(separator: ":") where access("\(dir)/ssh", X_OK) == 0 { return "\(dir)/ssh" }
        return "/usr/bin/ssh"
    }()

    /// Starts a script; the caller owns the child.
    func start(_ script: String, _ arguments: [String] = [], input: ChildProcess.Input = .null) throws -> ChildProcess {
        try ChildProcess.spawn(argv(script, arguments), environment: ChildProcess.baseEnvironment(), input: input)
    }

    /// Runs a script to completion, feeding `input`; returns its output lines, or throws with
    /// them when it fails.
    @discardableResult
    func run(_ script: String, _ arguments: [String] = [], input: Data? = nil, timeout: TimeInterval = 600,
             line: ((String) -> Void)? = nil) throws -> [String] {
        let child = try start(script, arguments, input: input == nil ? .null : .pipe)
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
            throw SlipwayError.failed("ssh to \(destination.login) failed: " + (lines.last ?? "connection error"))
        case .exited(let code), .outputHeldOpen(let code):
            throw RemoteFailure(status: code, lines: lines)
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
