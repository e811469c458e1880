import Artifacts
import CLinux
import Deploy
import Foundation
import SlipwayCore
import SlipwayTestSupport
import Synchronization

/// A throwaway target, artifact store and event log under a temp directory.
final class Fixture: Sendable {
    let directory: TemporaryDirectory
    var dir: String { directory.path }
    let store: ArtifactStore
    let target: String
    let log = EventLog()

    init() throws {
        directory = try TemporaryDirectory("slipway-deploy")
        let dir = directory.path
        store = ArtifactStore(root: dir + "/store")
        target = dir + "/target"
    }

    var events: DeployEventSink { { [log] event in log.append(event) } }
    var lines: [String] { log.withLock { $0.filter { $0.kind == .hookOutput }.map(\.text) } }

    var host: LocalHost { LocalHost(root: target, events: events, outputGrace: 1) }

    /// Packs `files` (path → contents; a `.sh` file is made executable) into the store.
    func artifact(_ files: [String: String], name: String = UUID().uuidString) throws -> ArtifactRecord {
        let source = dir + "/src-" + name
        for (path, text) in files {
            let full = source + "/" + path
            try makeDirectories((full as NSString).deletingLastPathComponent)
            try Data(text.utf8).write(to: URL(fileURLWithPath: full))
            if path.hasSuffix(".sh") { chmod(full, 0o755) }
        }
        try makeDirectories(source)
        return try store.pack(directory: source)
    }

    func deploy(_ artifact: ArtifactRecord, configure: (inout DeployOptions) -> Void = { _ in }) -> DeployResult {
        var options = DeployOptions()
        options.outputGrace = 1
        configure(&options)
        return Deployer(store: store, options: options, events: events).deploy(artifact, to: [host])
    }

    var current: String? { try? CurrentLink(layout: ReleaseLayout(root: target)).read() }

    func read(_ relative: String) -> String? {
        FileManager.default.contents(atPath: target + "/" + relative).map { String(decoding: $0, as: UTF8.self) }
    }

    var history: ReleaseHistory { ReleaseHistory(records: (try? Journal(path: target + "/.slipway/journal").records()) ?? []) }
}

/// Events a deploy reported, collected across threads.
final class EventLog: Sendable {
    private let events = Mutex<[DeployEvent]>([])
    func append(_ event: DeployEvent) { events.withLock { $0.append(event) } }
    func clear() { events.withLock { $0.removeAll() } }
    func withLock<T>(_ body: ([DeployEvent]) -> T) -> T { events.withLock { body($0) } }
}

/// An appspec with the given hook scripts (event → script path).
func appspec(_ hooks: [(String, String)], extra: String = "", timeout: Int? = nil) -> String {
    var text = "version: 0.0\nos: linux\n\(extra)hooks:\n"
    for (event, script) in hooks {
        text += "  \(event):\n    - location: \(script)\n" + (timeout.map { "      timeout: \($0)\n" } ?? "")
    }
    return text
}

/// The `slipway` binary built with the tests.
var slipwayBinary: String { SlipwayCommand.binary }

/// Starts `argv` with this process's environment plus `env`, stdout and stderr to `output`
/// (a path); returns its pid. posix_spawn and waitpid directly, so tests do not depend on
/// Foundation's child monitoring while other children (sshd) run.
func spawnChild(_ argv: [String], env: [String: String] = [:], output: String = "/dev/null") -> pid_t {
    var environment = ProcessInfo.processInfo.environment
    environment.merge(env) { $1 }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    posix_spawn_file_actions_adddup2(&actions, 1, 2)
    // Nothing else: a pipe another test's child writes to must not live on in this one.
    _ = cl_spawn_close_from(&actions, 3, 0)
    let args = argv.map { strdup($0) } + [nil]
    let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer { args.forEach { free($0) }; envp.forEach { free($0) } }
    var pid: pid_t = 0
    guard posix_spawn(&pid, argv[0], &actions, nil, args, envp) == 0 else { return -1 }
    return pid
}

/// Waits for a child; its exit status (128+signal when killed).
func waitChild(_ pid: pid_t) -> Int32 {
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
}

/// Runs a shell command to completion; returns status and combined output.
@discardableResult
func shell(_ command: String, env: [String: String] = [:]) -> (status: Int32, output: String) {
    let output = FileManager.default.temporaryDirectory.path + "/slipway-shell-\(UUID().uuidString)"
    defer { unlink(output) }
    let pid = spawnChild(["/bin/sh", "-c", command], env: env, output: output)
    guard pid > 0 else { return (127, "cannot run /bin/sh") }
    let status = waitChild(pid)
    return (status, (try? String(contentsOfFile: output, encoding: .utf8)) ?? "")
}
