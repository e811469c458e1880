import Artifacts
import Build
import Deploy
import Foundation
import Images
import ObjectStorage
import Registry
import Secrets
import SlipwayAPI
import SlipwayCore
import Specs
import State
import Synchronization

extension Orchestrator {
    /// Runs one stage; returns what it produced or throws why it stopped.
    func perform(_ index: Int, of run: ActiveRun) async throws -> StageOutput {
        let stage = run.plan.stages[index]
        switch stage.step {
        case .source: return .commit(try await source(run))
        case .build: return .artifact(try await build(run))
        case let .approval(guarding): return .approval(try await approval(run, stage: index, guarding: guarding))
        case let .deploy(deploy): return .release(try await self.deploy(run, stage: deploy, at: index))
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

    /// Builds here or, with `buildsOnWorkers`, through a worker; records the artifact.
    func build(_ run: ActiveRun) async throws -> Digest {
        let built: BuiltStage
        if buildsOnWorkers {
            built = try await buildOnWorker(run)
            if let facts = built.facts { await publish(run.update { $0.setBuildFacts(facts) }) }
        } else {
            built = try await buildHere(run) { facts in await self.publish(run.update { $0.setBuildFacts(facts) }) }
        }
        await publish(run.update { $0.artifact = built.artifact })
        return built.artifact
    }

    /// Runs the build stage in this process (the service's, or a worker's for its job): the
    /// artifact is in this machine's store, and in the team's bucket when there is one. The
    /// facts go to `shown` as soon as they are known (a build check's verdict comes later).
    func buildHere(_ run: ActiveRun, shown: @escaping @Sendable (BuildFacts) async -> Void) async throws -> BuiltStage {
        let checkout = try await checkout(run)
        let spec = run.spec
        // A registry reference the store lacks is pulled on first use (plain HTTP only for
        // SLIPWAY_INSECURE_REGISTRIES); so is an image build.runtimes picks. On the default
        // image (busybox has no runtimes to lose) runtime-versions picks a Debian runtime image.
        let imageIsDefault = spec.build.image == PipelineSpec.defaultImage
        let puller = ImagePuller(store: ImageStore(home: home), options: RegistryOptions(home: home))
        var request: BuildRequest
        do {
            let image = try await puller.resolve(spec.build.image) { event in
                if case let .resolved(manifest, platform, layers) = event {
                    run.log("build", "pulling \(spec.build.image): \(manifest) (\(platform), \(layers) layers)")
                }
            }
            request = BuildRequest(source: checkout, image: image, buildspec: spec.build.buildspec)
        } catch let error as SlipwayError where error.kind == .notFound && (!spec.build.runtimes.isEmpty || imageIsDefault) {
            request = BuildRequest(source: checkout, missingImage: error, buildspec: spec.build.buildspec)  // runtimes may pick one
        }
        request.imageIsDefault = imageIsDefault
        request.runtimeImages = RuntimeImages(spec.build.runtimes)
        request.resolveImage = { reference in
            try puller.resolveBlocking(reference) { event in
                if case let .resolved(manifest, platform, layers) = event {
                    run.log("build", "pulling \(reference) for build.runtimes: \(manifest) (\(platform), \(layers) layers)")
                }
            }
        }
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
        request.limits = spec.build.limits
        request.seccomp = spec.build.seccomp
        request.network = spec.build.network == .host ? .host : .none
        request.project = spec.name
        request.cancellation = run.cancellation
        request.initiator = "slipway-pipeline/\(run.record.trigger.actor)"
        request.sourceVersion = spec.source.branch
        let runner = BuildRunner(home: home)
        let built = request
        if spec.build.check, let batch = try? runner.batch(for: built) {
            throw StageStop.failed("build.check compares one build; this buildspec runs a batch (\(batch.kind.rawValue)): remove build.check or the batch")
        }
        // What `slipway build` runs: the buildspec's batch when it has one, else one build.
        let outcome = try await BlockingPool.stages.run {
            try runner.runBuildOrBatch(built) { entry, event in
                if case let .log(line, _) = event { run.output("build", BuildRunner.label(line, entry: entry)) }
            }
        }
        let artifact: BuiltArtifact
        var knownFacts: BuildFacts?
        switch outcome {
        case let .single(result):
            if run.stop != nil || result.status == .stopped { throw StageStop.cancelled }
            // The message says what failed; the stage's status already says that it did.
            guard result.succeeded else { throw StageStop.failed(result.message ?? "the build ended \(result.status.rawValue)") }
            guard let primary = result.artifacts.first(where: { $0.id == "primary" }) ?? result.artifacts.first else {
                throw StageStop.failed("the build stored no artifact: add an 'artifacts' section to the buildspec")
            }
            var facts = BuildFacts(image: result.image ?? spec.build.image, imageDigest: result.imageDigest)
            await shown(facts)
            if spec.build.check {
                facts.check = try await check(result, of: built, commit: run.record.commit?.id ?? "HEAD", run)
                await shown(facts)
                if facts.check?.reproducible == false {
                    throw StageStop.failed("build.check: not reproducible: \(facts.check!.differenceCount) difference(s) from build \(facts.check!.secondBuild), "
                                           + "first \(facts.check!.differences.first ?? "?") (the log lists them)")
                }
            }
            artifact = primary
            knownFacts = facts
        case let .batch(batch):
            if run.stop != nil || batch.builds.contains(where: { $0.status == .stopped }) { throw StageStop.cancelled }
            for entry in batch.builds {
                run.log("build", "batch build \(entry.identifier): \(entry.status.rawValue)" + (entry.message.map { " (\($0))" } ?? ""))
            }
            guard batch.status == .succeeded else {
                // Each build that failed the batch, with why: `build2: phase BUILD failed: …`.
                throw StageStop.failed(batch.builds.filter { ![.succeeded, .skipped].contains($0.status) }
                    .map { "\($0.identifier): \($0.message ?? $0.status.rawValue)" }.joined(separator: "; "))
            }
            do {
                let (entry, chosen) = try batch.deployableArtifact(from: spec.build.deployFrom, setting: "build.deploy-from in slipway.yml")
                run.log("build", "deploying the artifact of batch build \(entry): \(chosen.digest)")
                artifact = chosen
            } catch let error as SlipwayError {
                throw StageStop.failed(error.description)
            }
        }
        try await pushToBucket(artifact.digest, run)
        return BuiltStage(artifact: artifact.digest, facts: knownFacts)
    }

    /// Copies a built artifact to the team's bucket, where other machines fetch it; a bucket
    /// that refuses fails the build, as the artifact would be missing where it is expected.
    func pushToBucket(_ digest: Digest, _ run: ActiveRun) async throws {
        guard let artifacts else { return }
        let store = ArtifactStore(home: home)
        do {
            let record = try await BlockingPool.git.run { try store.record(digest) }
            switch try await artifacts.push(record, from: store) {
            case .transferred: run.log("build", "artifact pushed to \(artifacts.location) (\(record.blob.size) bytes)")
            case .present: run.log("build", "artifact already in \(artifacts.location)")
            }
        } catch let error as SlipwayError {
            throw StageStop.failed("pushing the artifact to \(artifacts.location): \(error.description)")
        }
    }

    /// The stored artifact, fetched from the team's bucket first when this store lacks it
    /// (built on another machine).
    func storedArtifact(_ digest: Digest, _ run: ActiveRun, stage: String) async throws -> ArtifactRecord {
        let store = ArtifactStore(home: home)
        do {
            return try await BlockingPool.git.run { try store.record(digest) }
        } catch let error as SlipwayError where error.kind == .notFound {
            guard let artifacts else { throw error }
            run.log(stage, "fetching the artifact from \(artifacts.location)")
            do {
                return try await artifacts.fetch(digest, into: store).0
            } catch let error as SlipwayError {
                throw StageStop.failed("fetching the artifact from \(artifacts.location): \(error.description)")
            }
        }
    }

    /// Waits for a decision recorded by any process (`slipway approve`, the API): the store
    /// watcher wakes the wait when one is recorded. Without one before the guarded stage's
    /// approval timeout, counted from the request (the stage's start, kept across restarts),
    /// the approval expires and the run fails.
    func approval(_ run: ActiveRun, stage index: Int, guarding deploy: PipelineSpec.DeployStage) async throws -> ApprovalDecision {
        let stage = run.plan.stages[index].name
        let timeout = deploy.approvalTimeout ?? 7 * 86400
        let requested = run.record.stages[index].started ?? Date()
        let expires = requested.addingTimeInterval(timeout)
        let deadline = ContinuousClock.now + .seconds(max(0, expires.timeIntervalSinceNow))
        let changes = approvals.changes()
        if Date().timeIntervalSince(requested) < 1 {
            run.log(stage, "waiting for approval: slipway approve \(run.id) (or reject); it expires in \(Self.duration(timeout))")
        } else {
            run.log(stage, "still waiting for approval (asked \(Timestamp.format(requested))): slipway approve \(run.id) (or reject); "
                           + "it expires \(Timestamp.format(expires))")
        }
        while true {
            if let decision = try await store.approval(run: run.id, stage: stage, before: expires) {
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

    /// Deploys the run's artifact to the stage's targets. A deploy taken over from a process
    /// that stopped in the middle of it carries on from the targets' journals: deployed again
    /// when it switched no target, confirmed (or switched back) where it did, and left to a
    /// person (the run ends `interrupted`) when a target moved on since.
    func deploy(_ run: ActiveRun, stage: PipelineSpec.DeployStage, at index: Int) async throws -> ReleaseID {
        guard let digest = run.record.artifact else { throw StageStop.failed("no artifact to deploy: the build did not finish") }
        let artifact = try await storedArtifact(digest, run, stage: stage.name)
        if let sites = try Self.siteTargets(stage) { return try await deploySite(run, stage: stage, targets: sites, artifact: artifact) }
        var options = DeployOptions()
        if let root = stage.appRoot { options.appRoot = root } else { options.appRoot = try await appRoot(run) }
        options.keep = stage.keep
        try stage.apply(to: &options)
        options.applicationName = run.spec.name
        options.environment = stage.environment
        options.deploymentGroup = stage.name
        let name = stage.name
        let events: DeployEventSink = { event in run.output(name, event.description) }
        let hosts = try stage.targets.map { try DeployTarget.parse($0).host(events: events) }
        let deployer = Deployer(store: ArtifactStore(home: home), options: options, events: events)
        var outcome: DeployResult?
        if let began = run.resumedDeploy, index == run.first {
            switch try await untilReleased(run, { deployer.resume(artifact, to: hosts, begunAt: began) }) {
            case .redeploy:
                run.log(name, "the deploy had switched no target when its process stopped: deploying again")
            case let .finished(finished):
                run.log(name, "the deploy carried on from the targets' journals: \(finished.status)")
                outcome = finished
            case let .undecided(reason):
                throw StageStop.undecided("the deploy cannot carry on by itself: \(reason); check the targets, then `slipway retry \(run.id)`")
            }
        }
        if outcome == nil { outcome = try await untilReleased(run, { deployer.deploy(artifact, to: hosts) }) }
        guard let result = outcome, result.succeeded, let release = result.release.map({ ReleaseID($0) }) else {
            // What failed, then what the targets serve now: rolled back to which release.
            throw StageStop.failed((outcome?.error ?? "the deploy \(outcome?.status ?? "failed")") + (outcome?.aftermath.map { "; " + $0 } ?? ""))
        }
        for target in stage.targets {
            try await self.store.recordRelease(DeployedRelease(pipeline: run.spec.name, target: target, release: release, artifact: digest,
                                                               commit: run.record.commit?.id, run: run.id))
        }
        await publish(run.update { $0.release = release })
        return release
    }

    /// Runs blocking work that cannot be stopped half-way (a deploy) on the stages pool and
    /// returns its result; a cancelled run waits for it too. Only when this process shuts
    /// down (the run is released) does it stop waiting at once, leaving the work to go on
    /// until the process exits: the next service takes the stage over from the journals.
    func untilReleased<T: Sendable>(_ run: ActiveRun, _ body: @escaping @Sendable () throws -> T) async throws -> T {
        let work = Task { try await BlockingPool.stages.run(body) }
        let waiter = OneShot<T>()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                waiter.set(continuation)
                Task { waiter.resume(with: await work.result) }
                if Task.isCancelled, run.stop == .released { waiter.resume(with: .failure(CancellationError())) }
            }
        } onCancel: {
            if run.stop == .released { waiter.resume(with: .failure(CancellationError())) }
        }
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

extension PipelineSpec.DeployStage {
    /// What a stage says about how its hosts switch: batches (strategy or minimum healthy
    /// hosts), the health check, and the drain and undrain commands.
    public func apply(to options: inout DeployOptions) throws {
        options.batch = strategy.batch
        options.minimumHealthy = try minimumHealthyHosts.map(MinimumHealthyHosts.parse)
        options.health = health.flatMap { $0.url.map(HealthCheck.http) ?? $0.command.map(HealthCheck.command) }
        options.healthPolicy.deadline = health?.timeout ?? 30
        options.traffic = TrafficControl(drain: drain, undrain: undrain)
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

/// A continuation resumed once, by whichever of several resumers comes first.
final class OneShot<T: Sendable>: Sendable {
    private let state = Mutex<(continuation: CheckedContinuation<T, any Error>?, early: Result<T, any Error>?)>((nil, nil))

    func set(_ continuation: CheckedContinuation<T, any Error>) {
        let early = state.withLock { s -> Result<T, any Error>? in
            if let early = s.early { s.early = nil; return early }
            s.continuation = continuation
            return nil
        }
        if let early { continuation.resume(with: early) }
    }

    func resume(with result: Result<T, any Error>) {
        let continuation = state.withLock { s -> CheckedContinuation<T, any Error>? in
            guard let c = s.continuation else {
                if s.early == nil { s.early = result }
                return nil
            }
            s.continuation = nil
            return c
        }
        continuation?.resume(with: result)
    }
}
