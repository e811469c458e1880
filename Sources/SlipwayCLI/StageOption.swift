import ArgumentParser
import Deploy
import Foundation
import Pipeline
import SlipwayCore
import Specs

/// `--stage NAME [--pipeline NAME | --file slipway.yml]`: every target of a pipeline stage,
/// with the stage's strategy (or minimum healthy hosts), health check and drain/undrain
/// commands. The stage comes from `--file`, from the registered pipeline `--pipeline` names,
/// or, with neither, from `./slipway.yml` when there is one, else from the one registered
/// pipeline that has a stage of that name (several: the user picks with `--pipeline`).
struct StageOption: ParsableArguments {
    @Option(help: "A deploy stage: all its targets, with its strategy, health check and drain/undrain commands.")
    var stage: String?
    @Option(help: "The registered pipeline whose --stage this is (see `slipway pipeline ls`); needed when several have a stage of that name.")
    var pipeline: String?
    @Option(help: "The slipway.yml naming --stage (default: ./slipway.yml when there is one, else the registered pipelines).")
    var file: String?
    @OptionGroup var state: DatabaseOption

    func validate() throws {
        if pipeline != nil && file != nil { throw ValidationError("give --pipeline or --file, not both") }
        if stage == nil && (pipeline != nil || file != nil) { throw ValidationError("--pipeline and --file name where --stage is: give --stage too") }
    }

    /// The stage and the registered pipeline it belongs to (nil for a file's), or nil
    /// without `--stage`.
    func load() async throws -> (stage: PipelineSpec.DeployStage, pipeline: String?)? {
        guard let stage else { return nil }
        if let pipeline {
            let spec = try await registered(pipeline)
            return (try Self.stage(stage, in: spec, origin: "pipeline \(pipeline)"), pipeline)
        }
        let path = file ?? "slipway.yml"
        if file != nil || FileManager.default.fileExists(atPath: path) {
            return (try Self.stage(stage, in: try PipelineSpec.load(file: path).spec, origin: path), nil)
        }
        return try await search(stage)
    }

    /// The stage named `name` of `spec`, or what stages it has.
    static func stage(_ name: String, in spec: PipelineSpec, origin: String) throws -> PipelineSpec.DeployStage {
        guard let found = spec.stages.first(where: { $0.name == name }) else {
            throw SlipwayError.notFound("\(origin) has no stage '\(name)'"
                                        + (spec.stages.isEmpty ? " (it has no deploy stages)" : "; its stages: \(spec.stages.map(\.name).joined(separator: ", "))"))
        }
        return found
    }

    /// The state's orchestrator, read-only; nil when there is no state yet (nothing was ever
    /// registered), which opening would otherwise report as a missing database.
    private func registry() async throws -> Orchestrator? {
        let home = SlipwayHome.fromEnvironment()
        guard try state.location() != nil || FileManager.default.fileExists(atPath: home.path + "/state.sqlite") else { return nil }
        return try await state.orchestrator(home: home, readOnly: true)
    }

    /// A registered pipeline's definition (not found: which pipelines are).
    private func registered(_ name: String) async throws -> PipelineSpec {
        let orchestrator = try await registry()
        guard let orchestrator, try await orchestrator.pipelines().contains(where: { $0.name == name }) else {
            let names = try await orchestrator?.pipelines().map(\.name) ?? []
            throw SlipwayError.notFound("no pipeline '\(name)'" + (names.isEmpty ? "; none is registered (slipway pipeline add)"
                                                                           : "; registered: \(names.joined(separator: ", "))"))
        }
        return try await orchestrator.spec(name)
    }

    /// The one registered pipeline with a stage named `name`.
    private func search(_ name: String) async throws -> (stage: PipelineSpec.DeployStage, pipeline: String?) {
        var found: [(stage: PipelineSpec.DeployStage, pipeline: String)] = []
        let orchestrator = try await registry()
        let names = try await orchestrator?.pipelines().map(\.name) ?? []
        for pipeline in names {
            if let stage = try await orchestrator?.spec(pipeline).stages.first(where: { $0.name == name }) { found.append((stage, pipeline)) }
        }
        guard let first = found.first else {
            throw SlipwayError.notFound(names.isEmpty
                ? "no stage '\(name)': there is no ./slipway.yml here and no pipeline is registered (give --file, or slipway pipeline add)"
                : "no stage '\(name)' in the registered pipelines (searched \(names.joined(separator: ", "))) and no ./slipway.yml here")
        }
        guard found.count == 1 else {
            throw SlipwayError.badInput("stage '\(name)' is ambiguous: pipelines \(found.map(\.pipeline).joined(separator: ", ")) each have one; "
                                        + "pick one with " + found.map { "--pipeline \($0.pipeline)" }.joined(separator: " or "))
        }
        return (first.stage, first.pipeline)
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
