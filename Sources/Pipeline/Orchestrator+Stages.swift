import Artifacts
import Build
import Deploy
import Foundation
import Images
import Secrets
import SlipwayAPI
import SlipwayCore
import Specs
import State

extension Orchestrator {
    /// Runs one stage; returns what it produced or throws why it stopped.
    func perform(_ index: Int, of run: ActiveRun) async throws -> StageOutput {
        let stage = run.plan.stages[index]
        switch stage.step {
        case .source: return .commit(try await source(run))
        case .build: return .artifact(try await build(run))
        case let .approval(guarding): return .approval(try await approval(run, stage: stage.name, guarding: guarding))
        case let .deploy(deploy): return .release(try await self.deploy(run, stage: deploy))
        }
    }

    /// Checks the run's commit out (if not already) and records what the commit says.
    func source(_ run: ActiveRun) async throws -> String {
        let checkout = try await checkout(run)
        let commit = run.record.commit?.id ?? ""
        let info = try await BlockingPool.git.run { try GitSource.info(commit: commit, in: checkout) }
        await publish(run.update { $0.commit = info })
        run.log("source", "commit \(info.id) by \(info.author): \(info.message.split(separator: "\n").first ?? "")")
        return info.id
    }

    /// The run's checkout of its commit, made on first use (a retry from a later stage makes
    /// it again).
    func checkout(_ run: ActiveRun) async throws -> String {
        let directory = workspace(run.id) + "/source"
        let repository = run.spec.source.repository
        let commit = run.record.commit?.id ?? ""
        try await BlockingPool.stages.run {
            if FileManager.default.fileExists(atPath: directory + "/.git") { return }
            removeTree(directory)
            try GitSource.checkout(repository: repository, commit: commit, into: directory)
        }
        return directory
    }

    func build(_ run: ActiveRun) async throws -> Digest {
        let checkout = try await checkout(run)
        let spec = run.spec
        let images = ImageStore(home: home)
        let image = try await BlockingPool.git.run { try images.resolve(spec.build.image) }
        var request = BuildRequest(source: checkout, image: image, buildspec: spec.build.buildspec)
        request.imageIsDefault = spec.build.image == PipelineSpec.defaultImage  // busybox has no runtimes to lose
        request.projectEnvironment = spec.build.environment
        let secrets = SecretStore(home: home)
        request.secrets = try await BlockingPool.git.run { try secrets.values(pipeline: spec.name) }
        for (variable, name) in spec.build.secrets {
            guard let value = request.secrets[name] else {
                throw StageStop.failed("build.secrets.\(variable): no secret '\(name)'; store it with: slipway secret set '\(name)' --pipeline \(spec.name)")
            }
            request.secretVariables[variable] = value
        }
        request.timeout = spec.build.timeout
        request.memoryBytes = spec.build.memoryBytes
        request.network = spec.build.network == .host ? .host : .none
        request.project = spec.name
        request.cancellation = run.cancellation
        request.initiator = "slipway-pipeline/\(run.record.trigger.actor)"
        request.sourceVersion = spec.source.branch
        let runner = BuildRunner(home: home)
        let built = request
        let result = try await BlockingPool.stages.run {
            try runner.run(built) { event in
                if case let .log(line, _) = event { run.log("build", line) }
            }
        }
        if run.stop != nil || result.status == .stopped { throw StageStop.cancelled }
        guard result.succeeded else { throw StageStop.failed("build \(result.status.rawValue): \(result.message ?? "see the log")") }
        guard let artifact = result.artifacts.first(where: { $0.id == "primary" }) ?? result.artifacts.first else {
            throw StageStop.failed("the build stored no artifact: add an 'artifacts' section to the buildspec")
        }
        let digest = artifact.digest
        await publish(run.update { $0.artifact = digest })
        return digest
    }

    /// Waits for a decision recorded by any process (`slipway approve`, the API): the store
    /// watcher wakes the wait when one is recorded. Without one before the guarded stage's
    /// approval timeout, the approval expires and the run fails.
    func approval(_ run: ActiveRun, stage: String, guarding deploy: PipelineSpec.DeployStage) async throws -> ApprovalDecision {
        let timeout = deploy.approvalTimeout ?? 7 * 86400
        let deadline = ContinuousClock.now + .seconds(timeout)
        let changes = approvals.changes()
        run.log(stage, "waiting for approval: slipway approve \(run.id) (or reject); it expires in \(Self.duration(timeout))")
        while true {
            if let decision = try await store.approval(run: run.id, stage: stage) {
                guard decision.approved else { throw StageStop.failed("rejected by \(decision.actor)\(decision.comment.map { ": \($0)" } ?? "")") }
                return decision
            }
            if ContinuousClock.now >= deadline {
                throw StageStop.failed("the approval expired: no decision within \(Self.duration(timeout))")
            }
            try await Self.next(changes, before: deadline)
        }
    }

    /// Returns at the next change, or at `deadline`, whichever is first.
    static func next(_ changes: AsyncStream<Void>, before deadline: ContinuousClock.Instant) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await Task.sleep(until: deadline) }
            group.addTask { for await _ in changes { return } }
            try await group.next()
            group.cancelAll()
        }
        try Task.checkCancellation()
    }

    /// "7d", "2h", "90s": how long, in the unit that reads best.
    static func duration(_ seconds: Double) -> String {
        let whole = Int(seconds.rounded())
        for (unit, size) in [("d", 86400), ("h", 3600), ("m", 60)] where whole >= size && whole % size == 0 {
            return "\(whole / size)\(unit)"
        }
        return "\(whole)s"
    }

    func deploy(_ run: ActiveRun, stage: PipelineSpec.DeployStage) async throws -> ReleaseID {
        guard let digest = run.record.artifact else { throw StageStop.failed("no artifact to deploy: the build did not finish") }
        let store = ArtifactStore(home: home)
        let artifact = try await BlockingPool.git.run { try store.resolve(digest.description) }
        var options = DeployOptions()
        if let root = stage.appRoot { options.appRoot = root } else { options.appRoot = try await appRoot(run) }
        options.keep = stage.keep
        options.batch = stage.strategy.batch
        options.health = stage.health.flatMap { $0.url.map(HealthCheck.http) ?? $0.command.map(HealthCheck.command) }
        options.healthPolicy.deadline = stage.health?.timeout ?? 30
        options.applicationName = run.spec.name
        options.environment = stage.environment
        options.deploymentGroup = stage.name
        let name = stage.name
        let events: DeployEventSink = { event in run.log(name, event.description) }
        let hosts = try stage.targets.map { try DeployTarget.parse($0).host(events: events) }
        let deployer = Deployer(store: store, options: options, events: events)
        let result = try await BlockingPool.stages.run { deployer.deploy(artifact, to: hosts) }
        guard result.succeeded, let release = result.release.map({ ReleaseID($0) }) else {
            throw StageStop.failed(result.error ?? "deploy \(result.status)")
        }
        for target in stage.targets {
            try await self.store.recordRelease(DeployedRelease(pipeline: run.spec.name, target: target, release: release, artifact: digest,
                                                               commit: run.record.commit?.id, run: run.id))
        }
        await publish(run.update { $0.release = release })
        return release
    }

    /// The directory the appspec's `files` install into, taken from the committed appspec:
    /// the common parent of its destinations (`/srv/app` for a CodeDeploy appspec that
    /// installs there), so the files land in the release. nil: the target's own path.
    func appRoot(_ run: ActiveRun) async throws -> String? {
        let checkout = try await checkout(run)
        let commit = run.record.commit?.id ?? "HEAD"
        guard let data = try await BlockingPool.git.run({ GitSource.file("appspec.yml", commit: commit, in: checkout) }),
              let spec = AppSpec.parse(contents: String(decoding: data, as: UTF8.self), file: "appspec.yml").spec,
              let first = spec.files.first else { return nil }
        var common = first.destination.split(separator: "/")
        for mapping in spec.files.dropFirst() {
            let parts = mapping.destination.split(separator: "/")
            common = Array(zip(common, parts).prefix { $0 == $1 }.map(\.0))
        }
        return "/" + common.joined(separator: "/")
    }
}

extension PipelineSpec.Strategy {
    var batch: BatchSize {
        switch self {
        case .oneAtATime: return .one
        case .half: return .half
        case .all: return .all
        }
    }
}
