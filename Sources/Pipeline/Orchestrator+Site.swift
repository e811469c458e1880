import Artifacts
import Deploy
import Foundation
import SlipwayAPI
import SlipwayCore
import Specs
import StaticSite
import State

/// Stages whose targets are `s3://BUCKET/PREFIX`: static sites in buckets.
extension Orchestrator {
    /// The stage's S3 targets, or nil when it deploys to directories or hosts (a stage has
    /// one kind or the other: `slipway validate` refuses a mix).
    static func siteTargets(_ stage: PipelineSpec.DeployStage) throws -> [SiteTarget]? {
        guard stage.targets.contains(where: { $0.hasPrefix("s3://") }) else { return nil }
        return try stage.targets.map { text in
            guard let target = try SiteTarget.parse(text, field: "target") else {
                throw SlipwayError.badInput("stage \(stage.name) mixes s3:// targets with '\(text)'")
            }
            return target
        }
    }

    /// Deploys the run's artifact to each S3 target of the stage in turn. A deploy taken over
    /// after a restart simply runs again: the target's state names the keys the stopped
    /// process was writing, and the new deploy converges on the release.
    func deploySite(_ run: ActiveRun, stage: PipelineSpec.DeployStage, targets: [SiteTarget], artifact: ArtifactRecord) async throws -> ReleaseID {
        var options = SiteDeployOptions()
        options.keep = stage.keep
        if let grace = stage.grace { options.grace = grace }
        options.health = stage.health.flatMap { $0.url.map(HealthCheck.http) ?? $0.command.map(HealthCheck.command) }
        options.healthPolicy.deadline = stage.health?.timeout ?? 30
        options.applicationName = run.spec.name
        options.environment = stage.environment
        options.deploymentGroup = stage.name
        options.commit = run.record.commit?.id
        let name = stage.name
        let events: DeployEventSink = { event in run.output(name, event.description) }
        let store = ArtifactStore(home: home)
        var last: String?
        for (text, target) in zip(stage.targets, targets) {
            let result: SiteResult
            do {
                result = try await SiteDeployer(target: target, store: store, options: options, events: events).deploy(artifact)
            } catch let error as SlipwayError {
                throw StageStop.failed(error.description)
            }
            try await recordSiteRelease(result.release, target: text, run: run, artifact: artifact.digest)
            last = result.release
        }
        guard let last else { throw StageStop.failed("the stage has no targets") }
        await publish(run.update { $0.release = ReleaseID(last) })
        return ReleaseID(last)
    }

    private func recordSiteRelease(_ release: String, target: String, run: ActiveRun, artifact: Digest) async throws {
        try await self.store.recordRelease(DeployedRelease(pipeline: run.spec.name, target: target, release: ReleaseID(release), artifact: artifact,
                                                           commit: run.record.commit?.id, run: run.id))
    }

    /// `POST /api/pipelines/NAME/rollback` for an S3 target.
    func rollbackSite(pipeline: String, target text: String, to release: String?, by actor: String) async throws -> RollbackSummary {
        guard let target = try SiteTarget.parse(text, field: "target") else { throw SlipwayError.badInput("'\(text)' is not an s3:// target") }
        let rollback = SiteRollback(target: target, store: ArtifactStore(home: home))
        let result: SiteResult
        do {
            result = try await rollback.run(to: release)
        } catch let error as SlipwayError {
            await audit(actor, .rollback, pipeline: pipeline, run: nil, "\(text): failed: \(error.message)")
            throw SlipwayError.failed("rollback of \(text): \(error.description)")
        }
        await audit(actor, .rollback, pipeline: pipeline, run: nil, "\(text): \(result.previous ?? "none") → \(result.release) (\(result.status))")
        let current = ReleaseID(result.release)
        if result.previous != result.release {
            try await store.recordSwitchBack(pipeline: pipeline, target: text, to: current)
        }
        return RollbackSummary(target: text, from: result.previous.map { ReleaseID($0) }, to: current)
    }
}
