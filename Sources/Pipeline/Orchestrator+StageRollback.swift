import Deploy
import Foundation
import SlipwayAPI
import Specs
import State

extension Orchestrator {
    /// Records a rollback of a registered pipeline's stage run from the command line
    /// (`slipway rollback --stage`): one audit entry saying from which release to which, and
    /// on every target it moved, the release as the target's newest recorded one (as
    /// `rollback(pipeline:target:)` does), so the pipeline's listings name it current.
    public func recordStageRollback(pipeline: String, stage: PipelineSpec.DeployStage, result: FleetRollbackResult, by actor: String) async throws {
        let left = Set(result.hosts.compactMap(\.previous).filter { $0 != result.release }).sorted()
        await audit(actor, .rollback, pipeline: pipeline, run: nil,
                    "stage \(stage.name): \(left.isEmpty ? "none" : left.joined(separator: ", ")) → \(result.release) (\(result.status))"
                    + (result.error.map { ": " + $0 } ?? ""))
        let release = ReleaseID(result.release)
        for (target, host) in zip(stage.targets, result.hosts) where host.current == result.release && host.status == "succeeded" {
            try await store.recordSwitchBack(pipeline: pipeline, target: target, to: release)
        }
    }
}
