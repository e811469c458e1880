import Foundation
import Images
import ObjectStorage
import Pipeline
import SlipwayAPI
import SlipwayCore
import SlipwayTestSupport
import Specs
import State
import Testing

/// A git repository with a buildspec and appspec, a fresh SLIPWAY_HOME holding the busybox
/// image, a local deploy target and an orchestrator over them.
final class PipelineFixture: Sendable {
    let directory: TemporaryDirectory
    var root: String { directory.path }
    let repo: GitRepository
    var repository: String { repo.path }
    var target: String { root + "/target" }
    var home: SlipwayHome { SlipwayHome(path: root + "/home") }
    let orchestrator: Orchestrator
    /// The orchestrator's service, as `slipway serve` runs it: it owns the runs started here.
    private let service: Task<Void, Never>

    /// The build writes `$CONTENT` (from the committed `content` file) to `site/index.html`.
    static let buildspec = siteBuildspec()

    /// The site build with `first` run before it (a slow step, a marker, a flood of output),
    /// `then` after it, and `shipping` packed into the artifact beside the site and
    /// `appspec.yml` (hook scripts). Commands are written as plain YAML scalars.
    static func siteBuildspec(first: [String] = [], then: [String] = [], shipping: [String] = []) -> String {
        "version: 0.2\nphases:\n  build:\n    commands:\n"
            + (first + ["mkdir -p site", "cp content site/index.html"] + then).map { "      - \($0)\n" }.joined()
            + "artifacts:\n  files:\n" + (["site/**/*", "appspec.yml"] + shipping).map { "    - \($0)\n" }.joined()
    }

    static let appspec = "version: 0.0\nos: linux\n"

    /// With a `store` (a PostgreSQL database) the state is there instead of in the home;
    /// `buildsOnWorkers` queues builds for `slipway worker` processes, and the service reaps
    /// their expired leases.
    init(buildspec: String = PipelineFixture.buildspec, content: String = "one", artifacts: ArtifactBucket? = nil,
         store: StateStore? = nil, buildsOnWorkers: Bool = false) throws {
        directory = try TemporaryDirectory("slipway-pipeline")
        repo = try GitRepository(at: directory.path + "/repo")
        _ = try ImageStore(home: directory.home).busyboxForTests()
        let home = directory.home
        let orchestrator = try store.map { Orchestrator(home: home, store: $0, artifacts: artifacts, buildsOnWorkers: buildsOnWorkers) }
            ?? Orchestrator(home: home, artifacts: artifacts)
        self.orchestrator = orchestrator
        service = Task { await orchestrator.run(adopting: buildsOnWorkers) }
        try write("buildspec.yml", buildspec)
        try write("appspec.yml", Self.appspec)
        try write("content", content)
        _ = try commit("first")
    }

    deinit { service.cancel() }

    /// Commits `files` (path → text) and runs `slipway run` (with `arguments`) on the
    /// repository, deploying to the fixture's target.
    func run(committing files: [String: String], _ message: String, _ arguments: String...) throws -> ProgramOutput {
        for (path, text) in files.sorted(by: { $0.key < $1.key }) { try write(path, text) }
        _ = try commit(message)
        return try slipway.run(["run", repository, "--target", target] + arguments)
    }

    /// The run a `slipway run --json` printed.
    static func runID(_ out: ProgramOutput) throws -> RunID {
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any])
        let run = try #require(summary["run"] as? [String: Any])
        return RunID(Int64(try #require(run["id"] as? Int)))
    }

    /// `slipway` against the fixture's home.
    var slipway: SlipwayCommand { SlipwayCommand(home: home.path) }

    func write(_ path: String, _ text: String) throws {
        try repo.write(path, text)
    }

    /// Commits everything; returns the commit id.
    func commit(_ message: String) throws -> String {
        try repo.commit(message)
    }

    @discardableResult
    func git(_ arguments: String...) throws -> String {
        try repo.git(arguments)
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
        var last: RunRecord?
        do {
            return try await eventually("run \(run) to get there", timeout: .seconds(seconds), every: .milliseconds(50)) {
                let record = try await orchestrator.run(run)
                last = record
                return condition(record) ? record : nil
            }
        } catch let error as TestFailure {
            throw TestFailure("\(error); last seen: \(last.map { "\($0.status) \($0.stages)" } ?? "nothing")")
        }
    }

    func finished(_ run: RunID) async throws -> RunRecord {
        try await waitFor(run, seconds: 120) { $0.status.isFinal }
    }

    func log(_ run: RunID) async throws -> String {
        try await orchestrator.logs(run: run, after: 0).map(\.text).joined()
    }
}
