import Foundation
import Images
import Pipeline
import SlipwayCore
import SlipwayTestSupport
import Specs
import State

/// examples/hello-site in a fresh git repository, registered as a pipeline that builds it on
/// the busybox image and deploys it to a local target: what the end-to-end service tests run.
struct HelloSitePipeline {
    static let name = "hello-site"
    let directory: TemporaryDirectory
    var root: String { directory.path }
    let repo: GitRepository
    var repository: String { repo.path }
    let target: String
    let home: SlipwayHome
    let orchestrator: Orchestrator
    /// The orchestrator's service, as `slipway serve` runs it beside the HTTP server.
    private let service: Task<Void, Never>

    init(approval: Bool = false) async throws {
        directory = try TemporaryDirectory("slipway-serve-e2e")
        target = directory.path + "/target"
        home = directory.home
        try FileManager.default.copyItem(atPath: Busybox.checkout + "/examples/hello-site", toPath: directory.path + "/hello-site")
        repo = try GitRepository(at: directory.path + "/hello-site")
        try repo.commit("Initial site")
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
        try edit("site/index.html", replacing: "</body>", with: "<p>\(message)</p></body>")
        return try repo.commit(message)
    }

    /// Replaces `text` in a file of the repository (not committed); a file without it is an
    /// error, so a change to the example cannot quietly leave a test editing nothing.
    func edit(_ path: String, replacing text: String, with replacement: String) throws {
        let file = repository + "/" + path
        let contents = try String(contentsOfFile: file, encoding: .utf8)
        guard contents.contains(text) else { throw TestFailure("\(path) does not contain \(text.debugDescription)") }
        try contents.replacingOccurrences(of: text, with: replacement).write(toFile: file, atomically: true, encoding: .utf8)
    }

    /// The page the target serves now.
    var served: String? { try? String(contentsOfFile: target + "/current/index.html", encoding: .utf8) }

    /// Stops the orchestrator (its runs are released in their state); the directory goes with the last
    /// reference to it.
    func destroy() {
        service.cancel()
    }
}
