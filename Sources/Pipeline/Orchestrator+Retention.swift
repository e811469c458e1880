import Build
import Foundation
import SlipwayAPI
import SlipwayCore
import Specs
import State

extension Orchestrator {
    /// How often the service prunes every pipeline's history (runs also prune their own
    /// pipeline when they end).
    static let pruneInterval: Duration = .seconds(3600)

    /// Applies the pipeline's retention rule (its slipway.yml's, or the defaults for a
    /// pipeline no longer registered): removes the runs past it with their logs, then the
    /// build records older than every run kept, with the references that held their
    /// artifacts. Failures are logged; the next run or tick tries again.
    @discardableResult
    public func prune(pipeline: String, now: Date = Date()) async -> PrunedRuns {
        guard !store.isReadOnly else { return PrunedRuns() }
        let rule = await retention(pipeline)
        do {
            let pruned = try await store.pruneRuns(pipeline: pipeline, rule: Self.runRetention(rule), now: now)
            if let oldest = pruned.oldestKept {
                let records = BuildRecords(home: home)
                try await BlockingPool.git.run { records.remove(project: pipeline, changedBefore: oldest) }
            }
            if !pruned.runs.isEmpty {
                logger.info("pipeline \(pipeline): removed \(pruned.runs.count) runs past its retention (\(Self.describe(rule)))")
            }
            return pruned
        } catch is CancellationError {
            return PrunedRuns()
        } catch {
            logger.error("cannot prune the runs of pipeline \(pipeline): \(error)")
            return PrunedRuns()
        }
    }

    /// Prunes every pipeline that has runs.
    public func pruneAll(now: Date = Date()) async {
        guard !store.isReadOnly else { return }
        do {
            for pipeline in try await store.pipelinesWithRuns() { await prune(pipeline: pipeline, now: now) }
        } catch is CancellationError {
            return
        } catch {
            logger.error("cannot list the pipelines to prune: \(error)")
        }
    }

    /// The service's pruning tick: at start, then every `pruneInterval`, until cancelled.
    func pruneRegularly() async {
        guard !store.isReadOnly else { return }
        while !Task.isCancelled {
            await pruneAll()
            try? await Task.sleep(for: Self.pruneInterval)
        }
    }

    /// The artifacts of every run the pipelines' retention rules keep: garbage collection
    /// leaves them in the store.
    public func retainedArtifacts(now: Date = Date()) async throws -> Set<Digest> {
        var rules: [String: RunRetention] = [:]
        for row in try await store.pipelines() {
            rules[row.name] = Self.runRetention(await retention(row.name))
        }
        return try await store.retainedArtifacts(rules: rules, fallback: Self.runRetention(PipelineSpec.Retention()), now: now)
    }

    /// The pipeline's rule; the defaults when it is not registered (or its definition no
    /// longer decodes).
    func retention(_ pipeline: String) async -> PipelineSpec.Retention {
        (try? await spec(pipeline))?.retention ?? PipelineSpec.Retention()
    }

    static func runRetention(_ rule: PipelineSpec.Retention) -> RunRetention {
        RunRetention(runs: rule.runs, maxAge: rule.days.map { $0 * 86400 })
    }

    static func describe(_ rule: PipelineSpec.Retention) -> String {
        let days = rule.days.map { $0 == $0.rounded() ? String(Int($0)) : String($0) }
        return "runs: \(rule.runs.map(String.init) ?? "unlimited"), days: \(days ?? "unlimited")"
    }
}
