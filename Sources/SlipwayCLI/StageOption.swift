import ArgumentParser
import Deploy
import Foundation
import Pipeline
import SlipwayCore
import Specs

/// `--stage NAME [--file slipway.yml]`: every target of a pipeline stage, with the stage's
/// strategy (or minimum healthy hosts), health check and drain/undrain commands.
struct StageOption: ParsableArguments {
    @Option(help: "A deploy stage of slipway.yml: all its targets, with its strategy, health check and drain/undrain commands.")
    var stage: String?
    @Option(help: "The slipway.yml naming --stage.") var file = "slipway.yml"

    /// The stage, or nil without `--stage`.
    func load() throws -> PipelineSpec.DeployStage? {
        guard let stage else { return nil }
        let spec = try PipelineSpec.load(file: file).spec
        guard let found = spec.stages.first(where: { $0.name == stage }) else {
            throw SlipwayError.notFound("\(file) has no stage '\(stage)'"
                                        + (spec.stages.isEmpty ? "" : "; its stages: \(spec.stages.map(\.name).joined(separator: ", "))"))
        }
        return found
    }
}

/// How several targets switch, given on the command line (over a stage's own settings).
struct FleetOptions: ParsableArguments {
    @Option(help: "Hosts switched at a time: one, half or all.") var batch: BatchSize?
    @Option(help: "Hosts kept in service while others switch: a number, or a share such as 75% (instead of --batch).")
    var minimumHealthyHosts: String?
    @Option(help: "Command run here to take a host out of the load balancer's rotation before its switch (SLIPWAY_HOST names it).")
    var drain: String?
    @Option(help: "Command run here to put a host back into rotation once it is healthy.") var undrain: String?

    func validate() throws {
        if batch != nil && minimumHealthyHosts != nil { throw ValidationError("give --batch or --minimum-healthy-hosts, not both") }
        if let minimumHealthyHosts { _ = try MinimumHealthyHosts.parse(minimumHealthyHosts) }
    }

    /// Sets what was given on `options`.
    func apply(to options: inout DeployOptions) throws {
        if let batch {
            options.batch = batch
            options.minimumHealthy = nil
        }
        if let minimumHealthyHosts { options.minimumHealthy = try MinimumHealthyHosts.parse(minimumHealthyHosts) }
        if let drain { options.traffic.drain = drain }
        if let undrain { options.traffic.undrain = undrain }
    }
}
