import AsyncHTTPClient
import Foundation
import Images
import Pipeline
import SlipwayAPI
import SlipwayCore
import SlipwayTestSupport
import Specs
import State

/// examples/hello-site registered in a PostgreSQL database that several `slipway serve`
/// share, each on a home of its own and named as a machine of its own (`SLIPWAY_MACHINE`), so
/// they know each other only through the database, as services on separate machines do.
struct SharedSitePipeline {
    static let name = "hello-site"
    let directory: TemporaryDirectory
    let repo: GitRepository
    let url: String
    let store: StateStore
    let target: String

    /// On a database of its own on `server`. `buildSeconds`: a build that says `building` and
    /// sleeps that long (to be interrupted); `pollInterval`: the branch is polled.
    init(on server: PostgresServer, homes: Int, buildSeconds: Int? = nil, pollInterval: Double? = nil) async throws {
        let url = server.url(try server.makeDatabase())
        directory = try TemporaryDirectory("slipway-shared-db")
        target = directory.path + "/target"
        try FileManager.default.copyItem(atPath: Busybox.checkout + "/examples/hello-site", toPath: directory.path + "/hello-site")
        repo = try GitRepository(at: directory.path + "/hello-site")
        if let buildSeconds {
            let file = repo.path + "/buildspec.yml"
            let text = try String(contentsOfFile: file, encoding: .utf8)
            guard text.contains("      - mkdir -p public\n") else { throw TestFailure("buildspec.yml changed: no 'mkdir -p public'") }
            try text.replacingOccurrences(of: "      - mkdir -p public\n", with: "      - mkdir -p public\n      - echo building; sleep \(buildSeconds)\n")
                .write(toFile: file, atomically: true, encoding: .utf8)
        }
        try repo.commit("Initial site")
        for n in 0..<homes { _ = try ImageStore(home: SlipwayHome(path: directory.path + "/home-\(n)")).busyboxForTests() }
        self.url = url
        store = try await StateStore.open(try StateLocation(parsing: url))
        var spec = PipelineSpec(name: Self.name, source: .init(repository: repo.path, branch: "main", pollInterval: pollInterval))
        var stage = PipelineSpec.DeployStage(name: "local", targets: [target])
        stage.appRoot = "/srv/hello-site"
        spec.stages = [stage]
        try await Orchestrator(home: SlipwayHome(path: directory.path + "/registrar"), store: store).register(spec)
    }

    /// `slipway serve --database URL` on home `n`, as machine `machine-n`.
    func serve(_ n: Int) async throws -> ServeProcess {
        try await ServeProcess.start(home: directory.path + "/home-\(n)", arguments: ["--listen", "127.0.0.1:0", "--database", url],
                                     environment: ["SLIPWAY_MACHINE": "machine-\(n)"])
    }

    /// Starts a run through `serve`'s API and waits until its build says `building`; the run's id.
    func startBuildingRun(on serve: ServeProcess, token: String) async throws -> Int {
        let id = try await serve.startRun(of: Self.name, token: token)
        try await waitUntil("the build to run on \(serve.address)", timeout: .seconds(60)) {
            (try? await serve.get("/api/runs/\(id)/logs/text").body.contains("building")) == true
        }
        return id
    }

    /// Commits a change to the page; returns the new commit id.
    @discardableResult
    func commit(_ message: String) throws -> String {
        let file = repo.path + "/site/index.html"
        let text = try String(contentsOfFile: file, encoding: .utf8)
        try text.replacingOccurrences(of: "</body>", with: "<p>\(message)</p></body>").write(toFile: file, atomically: true, encoding: .utf8)
        return try repo.commit(message)
    }

    /// The runs of a commit, from the database.
    func runs(of commit: String) async throws -> [RunRecord] {
        try await store.runs(pipeline: Self.name, commit: commit)
    }
}

extension ServeProcess {
    /// `GET PATH`: status and body.
    func get(_ path: String) async throws -> (status: Int, body: String) {
        let reply = try await LiveService.client.execute(HTTPClientRequest(url: address + path), timeout: .seconds(30))
        let body = try await reply.body.collect(upTo: 1 << 22)
        return (Int(reply.status.code), String(decoding: body.readableBytesView, as: UTF8.self))
    }

    /// The `slipway_scheduler` gauge: 1 scheduling, 0 standing by, nil not shown (or no answer).
    func schedulerGauge() async -> Int? {
        guard let (status, body) = try? await get("/metrics"), status == 200 else { return nil }
        return body.split(separator: "\n").first { $0.hasPrefix("slipway_scheduler ") }.flatMap { Int($0.split(separator: " ").last ?? "") }
    }
}
