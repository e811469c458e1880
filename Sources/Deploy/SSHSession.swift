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
    var timeouts = SSHTimeouts.fromEnvironment()

    /// The argv that runs `script` with `$0` = the target root and `$1…` = `arguments`.
    func argv(_ script: String, _ arguments: [String]) -> [String] {
        let remote = (["sh", "-c", "cd -- \"$0\" || exit 1\n" + script, destination.path] + arguments)
            .map(shellQuote).joined(separator: " ")
        // ssh takes the first value it sees for an option: SLIPWAY_SSH_COMMAND's own come first.
        var options = ["-o", "BatchMode=yes"] + timeouts.options
        if let control = Self.controlDirectory {
            options += ["-o", "ControlMaster=auto", "-o", "ControlPath=\(control)/%C", "-o", "ControlPersist=60"]
        }
        if let port = destination.port { options += ["-p", String(port)] }
        let rest = options + [destination.login, remote]
        if let custom = environmentVariable("SLIPWAY_SSH_COMMAND"), !custom.isEmpty {
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
        let path = environmentVariable("PATH") ?? "/usr/bin:/bin"
        for dir in path.split(separator: ":") where access("\(dir)/ssh", X_OK) == 0 { return "\(dir)/ssh" }
        return "/usr/bin/ssh"
    }()

    /// Starts a script; the caller owns the child. stdout and stderr (ssh's and the script's)
    /// are separate pipes, so banners and warnings never mix with the script's output.
    func start(_ script: String, _ arguments: [String] = [], input: Command.Input = .null) throws -> ChildProcess {
        try Command(argv(script, arguments), input: input, stdout: .pipe, stderr: .pipe).spawn()
    }

    /// Runs a script to completion, feeding `input`; returns its output lines, or throws with
    /// them when it fails.
    @discardableResult
    func run(_ script: String, _ arguments: [String] = [], input: Data? = nil, timeout: TimeInterval = 600,
             line: ((String) -> Void)? = nil) throws -> [String] {
        let child = try start(script, arguments, input: input.map { .bytes(Array($0)) } ?? .null)
        var lines: [String] = []
        var errors = LastLines()
        let ending = child.pumpLines(deadline: Date().addingTimeInterval(timeout), grace: 2) { stream, text in
            guard stream == .stdout else { return errors.append(text) }
            lines.append(text)
            line?(text)
        }
        switch ending {
        case .exited(0), .outputHeldOpen(0): return lines
        case .exited(255): throw connectionFailure(errors.lines)
        case .exited(let code), .outputHeldOpen(let code):
            throw RemoteFailure(status: code, lines: lines + errors.lines)
        case .timedOut:
            throw SlipwayError.failed("\(destination.login): a remote step did not finish in \(Int(timeout)) s")
        }
    }

    /// ssh's own failure (exit 255): which host, and what ssh said.
    func connectionFailure(_ errors: [String]) -> SlipwayError {
        let said = errors.last ?? "connection error"
        var text = "ssh to \(destination.login)\(destination.port.map { " port \($0)" } ?? "") failed: \(said)"
        if said.contains("timed out") {
            text += " (no answer within \(timeouts.connect) s; SLIPWAY_SSH_CONNECT_TIMEOUT sets how long to wait)"
        }
        return .failed(text)
    }
}

/// How long ssh may take to connect and how long a connection may stay silent, so a host that
/// is down or dies mid-deploy fails in bounded time instead of hanging on TCP retries.
public struct SSHTimeouts: Sendable, Equatable {
    /// Seconds for the TCP connection and SSH's banner exchange (ssh's ConnectTimeout).
    public var connect: Int
    /// Seconds between keep-alives on a quiet connection (ServerAliveInterval), and how many
    /// may go unanswered (ServerAliveCountMax): a dead connection fails after their product.
    public var keepAliveInterval = 10
    public var keepAliveCount = 3

    public init(connect: Int = 10) { self.connect = connect }

    /// The defaults, with the connect timeout from `SLIPWAY_SSH_CONNECT_TIMEOUT` (seconds) when set.
    public static func fromEnvironment() -> SSHTimeouts {
        var timeouts = SSHTimeouts()
        if let text = environmentVariable("SLIPWAY_SSH_CONNECT_TIMEOUT"), let seconds = Int(text), seconds > 0 {
            timeouts.connect = seconds
            // A short connect timeout asks for quick answers: a silent connection is given up
            // after three missed keep-alives of the same length (at most 10 s each).
            timeouts.keepAliveInterval = min(10, seconds)
        }
        return timeouts
    }

    var options: [String] {
        ["-o", "ConnectTimeout=\(connect)", "-o", "ServerAliveInterval=\(keepAliveInterval)", "-o", "ServerAliveCountMax=\(keepAliveCount)"]
    }
}

/// A remote script exited non-zero.
struct RemoteFailure: Error {
    var status: Int32
    var lines: [String]

    var message: String { lines.suffix(5).joined(separator: "\n").nonEmpty ?? "exited with status \(status)" }
}

/// The last lines ssh and a remote script wrote (for an error message), minus OpenSSH's
/// home-directory notice; bounded, so a chatty script cannot grow memory.
struct LastLines {
    static let kept = 50
    private(set) var lines: [String] = []

    mutating func append(_ line: String) {
        guard !line.hasPrefix("Could not chdir to home directory") else { return }
        if lines.count == Self.kept { lines.removeFirst() }
        lines.append(line)
    }
}
