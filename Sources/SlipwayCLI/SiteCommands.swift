import ArgumentParser
import Artifacts
import Deploy
import Foundation
import SlipwayCore
import StaticSite

/// `deploy` and `rollback` to `s3://BUCKET[/PREFIX]`: a static site in a bucket.
extension DeployCommand {
    /// What these flags say for any kind of deploy: the appspec, releases kept, the health
    /// check, the lock wait and the names hooks get.
    func applyReleaseFlags(to options: inout some ReleaseSettings) throws {
        options.appspecOverride = try appspecOverride()
        options.keep = keep
        options.health = healthUrl.map { HealthCheck.http(url: $0) } ?? healthCmd.map { HealthCheck.command($0) }
        options.healthPolicy.deadline = healthTimeout
        options.lockWait = wait
        options.applicationName = application
        options.deploymentGroup = group
    }

    /// `--appspec FILE`'s name and text.
    func appspecOverride() throws -> (name: String, text: String)? {
        guard let appspec else { return nil }
        guard let data = FileManager.default.contents(atPath: appspec) else { throw SlipwayError.badInput("\(appspec): cannot read the appspec") }
        return (appspec, String(decoding: data, as: UTF8.self))
    }

    func deploySite() async throws {
        guard targets.allSatisfy({ $0.hasPrefix("s3://") }) else {
            throw ValidationError("s3:// targets cannot be mixed with directory or ssh:// targets in one deploy")
        }
        if grace < 0 { throw ValidationError("--grace must be 0 or more") }
        let store = ArtifactStore(home: .fromEnvironment())
        let record = try resolveArtifact(artifact, in: store)
        var options = SiteDeployOptions()
        try applyReleaseFlags(to: &options)
        options.grace = grace
        options.commit = record.provenance.sourceCommit
        var results: [SiteResult] = []
        for text in targets {
            guard let target = try SiteTarget.parse(text) else { continue }
            let result = try await SiteDeployer(target: target, store: store, options: options, events: DeployCommand.printEvents).deploy(record)
            results.append(result)
            if !json { print(result.release) }
        }
        if json {
            if results.count == 1 { try Terminal.json(results[0]) } else { try Terminal.json(results) }
        }
    }
}

extension RollbackCommand {
    func rollBackSite(_ target: String) async throws {
        guard let site = try SiteTarget.parse(target) else { return }
        if grace < 0 { throw ValidationError("--grace must be 0 or more") }
        if healthUrl != nil || healthCmd != nil {
            throw ValidationError("a rollback of an s3:// target runs no health check (see docs/deploy.md); drop --health-url/--health-cmd")
        }
        var options = SiteDeployOptions()
        options.grace = grace
        options.lockWait = wait
        let result = try await SiteRollback(target: site, store: ArtifactStore(home: .fromEnvironment()), options: options,
                                            events: DeployCommand.printEvents).run(to: to)
        if json { try Terminal.json(result) } else { print(result.release) }
    }
}
