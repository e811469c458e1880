import Foundation
import Images
import Pipeline
import SlipwayAPI
import SlipwayCore
import Specs
import State
import Synchronization
import Testing

extension Tag {
    @Tag static var medium: Self
    @Tag static var large: Self
}

/// A git repository with a buildspec and appspec, a fresh SLIPWAY_HOME holding the busybox
/// image, a local deploy target and an orchestrator over them.
final class PipelineFixture: Sendable {
    let root: String
    var repository: String { root + "/repo" }
    var target: String { root + "/target" }
    var home: SlipwayHome { SlipwayHome(path: root + "/home") }
    let orchestrator: Orchestrator
    /// The orchestrator's service, as `slipway serve` runs it: it owns the runs started here.
    private let service: Task<Void, Never>

    /// The build writes `$CONTENT` (from the committed `content` file) to `site/index.html`.
    static let buildspec = """
        version: 0.2
        phases:
          build:
            commands:
              - mkdir -p site
              - cp content site/index.html
        artifacts:
          files:
            - site/**/*
            - appspec.yml
        """
    static let appspec = "version: 0.0\nos: linux\n"

    init(buildspec: String = PipelineFixture.buildspec, content: String = "one") throws {
        root = FileManager.default.temporaryDirectory.path + "/slipway-pipeline-\(UUID().uuidString.prefix(8))"
        try makeDirectories(root + "/repo")
        _ = try ImageStore(home: SlipwayHome(path: root + "/home")).busyboxForTests()
        let orchestrator = try Orchestrator(home: SlipwayHome(path: root + "/home"))
        self.orchestrator = orchestrator
        service = Task { await orchestrator.run() }
        try git("init", "-q", "-b", "main")
        try write("buildspec.yml", buildspec)
        try write("appspec.yml", Self.appspec)
        try write("content", content)
        _ = try commit("first")
    }

    deinit {
        service.cancel()
        removeTree(root)
    }

    func write(_ path: String, _ text: String) throws {
        let full = repository + "/" + path
        try makeDirectories((full as NSString).deletingLastPathComponent)
        try text.write(toFile: full, atomically: true, encoding: .utf8)
    }

    /// Commits everything; returns the commit id.
    func commit(_ message: String) throws -> String {
        try git("add", "-A")
        try git("-c", "user.name=Ada", "-c", "user.email=ada@example.org", "commit", "-q", "-m", message)
        return try git("rev-parse", "HEAD")
    }

    @discardableResult
    func git(_ arguments: String...) throws -> String {
        let result = try Self.run("/usr/bin/git", ["-C", repository] + arguments)
        guard result.status == 0 else { throw SlipwayError.failed("git \(arguments): \(result.stderr)") }
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A pipeline over the repository with one deploy stage to `target`; registered.
    @discardableResult
    func register(_ configure: (inout PipelineSpec) -> Void = { _ in }) async throws -> PipelineSpec {
        var spec = PipelineSpec(name: "site", source: .init(repository: repository, branch: "main"))
        spec.build.timeout = 120
        spec.stages = [PipelineSpec.DeployStage(name: "live", targets: [target])]
        configure(&spec)
        try await orchestrator.register(spec)
        return spec
    }

    func start(_ commit: String? = nil, force: Bool = false) async throws -> RunID? {
        try await orchestrator.start(pipeline: "site", commit: commit, trigger: Trigger(.api, actor: "tester"), force: force)
    }

    func served() -> String? {
        FileManager.default.contents(atPath: target + "/current/site/index.html").map { String(decoding: $0, as: UTF8.self) }
    }

    /// Waits until `condition` holds for the run (polling the store), at most `seconds`.
    func waitFor(_ run: RunID, seconds: Double = 60, _ condition: (RunRecord) -> Bool) async throws -> RunRecord {
        let deadline = Date().addingTimeInterval(seconds)
        while true {
            let record = try await orchestrator.run(run)
            if condition(record) { return record }
            if Date() > deadline { throw SlipwayError.failed("run \(run) did not get there in \(seconds) s: \(record.status) \(record.stages)") }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    func finished(_ run: RunID) async throws -> RunRecord {
        try await waitFor(run, seconds: 120) { $0.status.isFinal }
    }

    func log(_ run: RunID) async throws -> String {
        try await orchestrator.logs(run: run, after: 0).map(\.text).joined()
    }

    struct Output { var status: Int32; var stdout: String; var stderr: String }

    static func run(_ tool: String, _ arguments: [String], environment: [String: String]? = nil) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        if let environment { process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, b in b } }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read both before waiting so a full pipe cannot stall the child.
        let errData = Mutex<Data?>(nil)
        let reader = Thread { errData.withLock { $0 = err.fileHandleForReading.readDataToEndOfFile() } }
        reader.start()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        while errData.withLock({ $0 == nil }) { usleep(1000) }
        return Output(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                      stderr: String(decoding: errData.withLock { $0 ?? Data() }, as: UTF8.self))
    }

    /// The `slipway` binary built from this checkout.
    static var slipway: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .path + "/.build/debug/slipway"
    }
}
