import Foundation
import SlipwayCore
import Specs

/// Runs an event's scripts on this machine: in order, each in its own process group with its
/// timeout, as its `runas` user, output streamed line by line; the first failure fails the event.
public struct HookRunner: Sendable {
    /// How long to keep reading output after a script exits (a daemon it started may hold it).
    public var outputGrace: TimeInterval = 2
    public var host: String = "local"
    public var events: DeployEventSink

    public init(host: String = "local", outputGrace: TimeInterval = 2, events: @escaping DeployEventSink) {
        self.host = host
        self.outputGrace = outputGrace
        self.events = events
    }

    /// Runs `scripts` of `event` from `bundle` (the directory their locations are relative to).
    public func run(_ event: LifecycleEvent, scripts: [HookScript], bundle: String, context: HookContext) throws {
        for script in scripts {
            let path = try Self.openScript(script.location, event: event, bundle: bundle)
            var environment = Command.baseEnvironment()
            environment.merge(context.environment(for: event)) { $1 }
            let argv = ["/bin/sh", "-c", "cd \"$1\" || exit 127; shift; exec \"$@\"", "slipway-hook", bundle]
                + (try userSwitch(script.runas)) + [path]
            events(DeployEvent(host: host, kind: .step, event: event, text: "running \(script.location)"
                               + (script.runas.map { " as \($0)" } ?? "")))
            // stdout and stderr are one pipe, so the script's lines keep their order.
            var last = ""
            let ending = try Command(argv, environment: environment).runLines(timeout: TimeInterval(script.timeout), grace: outputGrace) { _, line in
                if !line.isEmpty { last = line }
                events(DeployEvent(host: host, kind: .hookOutput, event: event, text: line))
            }
            switch ending {
            case .exited(0):
                continue
            case .exited(let code):
                throw SlipwayError.failed(hookFailure(event, script, status: code, said: last))
            case .timedOut:
                throw SlipwayError.failed("\(event.rawValue): \(script.location) ran longer than its timeout of \(script.timeout) s; its process group was killed")
            case .outputHeldOpen(let code):
                events(DeployEvent(host: host, kind: .warning, event: event,
                                   text: "\(script.location) exited but something it started still holds its output open; stopped reading after \(Int(outputGrace)) s "
                                   + "(redirect a daemon's output, e.g. `cmd >/var/log/app.log 2>&1 &`)"))
                if code != 0 { throw SlipwayError.failed(hookFailure(event, script, status: code, said: last)) }
            }
        }
    }

    /// The script a hook location names, opened beneath the bundle (a symlink out of it, in
    /// the name or any directory on the way, is refused) and made executable through the
    /// opened file; returns the file's resolved path, which is what runs.
    static func openScript(_ location: String, event: LifecycleEvent, bundle: String) throws -> String {
        let relative = try hookScriptPath(location)
        let file: OpenedPath
        switch try BeneathDirectory(bundle).open(relative) {
        case let .success(opened): file = opened
        case .failure(.escapes), .failure(.symlink):
            throw SlipwayError.badInput("\(event.rawValue): script \(location) leads out of the bundle through a symlink; "
                                        + "hooks run only files inside the bundle")
        case .failure(.missing):
            throw SlipwayError.failed("\(event.rawValue): script \(location) is missing from the bundle")
        case let .failure(.other(code)):
            throw SlipwayError.system(call: "openat2", bundle + "/" + relative, errno: code)
        }
        let info = try file.status()
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw SlipwayError.failed("\(event.rawValue): script \(location) is not a regular file")
        }
        if info.st_mode & 0o111 == 0 { try file.chmod((info.st_mode & 0o7777) | 0o111) }
        return try file.resolvedPath()
    }

    /// `setpriv` arguments to run as `user`; nothing when it is already the current user.
    private func userSwitch(_ user: String?) throws -> [String] {
        guard let user, !user.isEmpty, let entry = try Self.account(user) else { return [] }
        return ["/usr/bin/setpriv", "--reuid=\(entry.pw_uid)", "--regid=\(entry.pw_gid)", "--init-groups", "--"]
    }

    /// The account a hook's `runas` names, or nil when it is this process's own; throws when
    /// it does not exist or switching to it needs root this process does not have.
    static func account(_ user: String) throws -> passwd? {
        guard let entry = getpwnam(user) else {
            throw SlipwayError.failed("runas: user '\(user)' does not exist on this host")
        }
        if entry.pointee.pw_uid == geteuid() { return nil }
        guard geteuid() == 0 else {
            throw SlipwayError.failed("runas: running a hook as '\(user)' needs root (this deploy runs as uid \(geteuid()))")
        }
        return entry.pointee
    }
}

/// A hook that exited non-zero, with the last line it printed (usually why: a permission it
/// lacks, a file it could not write), so the failure says it without the log.
func hookFailure(_ event: LifecycleEvent, _ script: HookScript, status: Int32, said last: String?) -> String {
    "\(event.rawValue): \(script.location) exited with status \(status)" + (last.flatMap { $0.isEmpty ? nil : ": " + $0 } ?? "")
}
