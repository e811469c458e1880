import Foundation
import Images
import Pipeline
import SlipwayCore
import Specs
import State

/// examples/hello-site in a fresh git repository, registered as a pipeline that builds it on
/// the busybox image and deploys it to a local target: what the end-to-end service tests run.
struct HelloSitePipeline {
    static let name = "hello-site"
    let root: String
    let repository: String
    let target: String
    let home: SlipwayHome
    let orchestrator: Orchestrator
    /// The orchestrator's service, as `slipway serve` runs it beside the HTTP server.
    private let service: Task<Void, Never>

    init(approval: Bool = false) async throws {
        root = makeTempDir("slipway-serve-e2e")
        repository = root + "/hello-site"
        target = root + "/target"
        home = SlipwayHome(path: root + "/home")
        let example = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().path + "/examples/hello-site"
        try FileManager.default.copyItem(atPath: example, toPath: repository)
        try Self.git(repository, "init", "-q", "-b", "main")
        try Self.git(repository, "add", "-A")
        try Self.git(repository, "commit", "-q", "-m", "Initial site")
        _ = try ImageStore(home: home).busyboxForTests()
        let orchestrator = try Orchestrator(home: home)
        self.orchestrator = orchestrator
        service = Task { await orchestrator.run() }
        var spec = PipelineSpec(name: Self.name, source: .init(repository: repository, branch: "main"))
        var stage = PipelineSpec.DeployStage(name: "local", targets: [target])
        stage.appRoot = "/srv/hello-site"
        stage.approval = approval
        spec.stages = [stage]
        try await orchestrator.register(spec)
    }

    /// Commits a change to the page; returns the new commit id.
    @discardableResult
    func commit(_ message: String) throws -> String {
        let page = repository + "/site/index.html"
        var html = try String(contentsOfFile: page, encoding: .utf8)
        html = html.replacingOccurrences(of: "</body>", with: "<p>\(message)</p></body>")
        try html.write(toFile: page, atomically: true, encoding: .utf8)
        try Self.git(repository, "commit", "-q", "-am", message)
        return try Self.git(repository, "rev-parse", "HEAD").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The page the target serves now.
    var served: String? { try? String(contentsOfFile: target + "/current/index.html", encoding: .utf8) }

    @discardableResult
    static func git(_ repository: String, _ arguments: String...) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/git")
        process.arguments = ["-C", repository] + arguments
        process.environment = ProcessInfo.processInfo.environment.merging([
            "GIT_AUTHOR_NAME": "A U Thor", "GIT_AUTHOR_EMAIL": "author@example.com",
            "GIT_COMMITTER_NAME": "A U Thor", "GIT_COMMITTER_EMAIL": "author@example.com",
        ]) { $1 }
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw SlipwayError.failed("git \(arguments.joined(separator: " ")) failed") }
        return String(decoding: data, as: UTF8.self)
    }

    /// Stops the orchestrator (its runs end interrupted) and removes everything.
    func destroy() {
        service.cancel()
        removeTree(root)
    }
}
