import Artifacts
import Deploy
import Foundation
import SlipwayCore
import Synchronization
import Testing

extension Tag {
    @Tag static var small: Self
    @Tag static var medium: Self
    @Tag static var large: Self
}

/// A throwaway target, artifact store and event log under a temp directory.
final class Fixture: Sendable {
    let dir: String
    let store: ArtifactStore
    let target: String
    let log = EventLog()

    init() throws {
        let template = FileManager.default.temporaryDirectory.path + "/slipway-deploy-XXXXXX"
        var chars = Array(template.utf8CString)
        guard mkdtemp(&chars) != nil else { throw SlipwayError.system("mkdtemp") }
        dir = String(decoding: chars.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        store = ArtifactStore(root: dir + "/store")
        target = dir + "/target"
    }

    deinit { removeTree(dir) }

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

/// The repository root (this file is Tests/DeployTests/Fixture.swift).
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

/// The `slipway` binary built next to the test bundle.
var slipwayBinary: String {
    let bundleDir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path
    for candidate in [bundleDir + "/slipway", repositoryRoot + "/.build-deploy/debug/slipway", repositoryRoot + "/.build/debug/slipway"]
    where FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    return repositoryRoot + "/.build/debug/slipway"
}

/// Runs a command to completion; returns status and combined output.
@discardableResult
func shell(_ command: String, env: [String: String] = [:]) -> (status: Int32, output: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/bin/sh")
    p.arguments = ["-c", command]
    var environment = ProcessInfo.processInfo.environment
    environment.merge(env) { $1 }
    p.environment = environment
    let pipe = Pipe()
    p.standardOutput = pipe
    p.standardError = pipe
    p.standardInput = FileHandle.nullDevice
    do { try p.run() } catch { return (127, "\(error)") }
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: data, as: UTF8.self))
}
