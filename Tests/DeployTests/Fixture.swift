import Artifacts
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
/// (a path); returns its pid.
func spawnChild(_ argv: [String], env: [String: String] = [:], output: String = "/dev/null") -> pid_t {
    spawnToFile(argv, environment: ProcessInfo.processInfo.environment.merging(env) { $1 }, output: output)
}

/// Waits for a child; its exit status (128+signal when killed).
func waitChild(_ pid: pid_t) -> Int32 { waitForChild(pid) }

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
