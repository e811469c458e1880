import Foundation
import SlipwayAPI
import SlipwayCore
import State

/// What a build stage made: the artifact (in the team's bucket when a worker built it) and
/// the facts the run page shows. A worker records it as its job's result.
struct BuiltStage: Codable, Sendable, Equatable {
    var artifact: Digest
    var facts: BuildFacts?
}

extension Orchestrator {
    /// How often a build waiting for its worker looks at the job.
    static let jobPollInterval: Duration = .milliseconds(100)
    /// How often expired leases are looked for.
    static let reapInterval: Duration = .seconds(1)

    /// Gives the jobs of workers that stopped renewing their leases (killed, cut off) back to
    /// the queue, or fails them once their attempts are spent; until cancelled.
    func reapLeasesContinually() async {
        while !Task.isCancelled {
            do {
                for reaped in try await store.reapExpiredLeases() {
                    logger.notice("\(reaped.job): the lease of worker '\(reaped.owner)' expired on attempt \(reaped.attempts); \(reaped.state == .failed ? "failed" : "queued again")")
                }
            } catch {
                logger.warning("reaping expired job leases: \(error)")
            }
            try? await Task.sleep(for: Self.reapInterval)
        }
    }

    /// Queues the run's build as a job for a worker with the pipeline's `build.labels`, and
    /// waits for its result. A job already queued or taken for this stage (the service was
    /// restarted meanwhile), or done, is waited for instead of queued again. Cancelling the
    /// run fails the job, which fences its worker off; a shutdown leaves it to its worker and
    /// the next service.
    func buildOnWorker(_ run: ActiveRun) async throws -> BuiltStage {
        let stage = "build", labels = run.spec.build.labels
        let earlier = try await store.jobs(run: run.id).last { $0.kind == .build && $0.stage == stage && $0.state != .failed }
        var job: Job
        if let earlier {
            job = earlier
            run.log(stage, "waiting for \(job.id), queued before (\(job.state.rawValue))")
        } else {
            job = try await store.enqueueJob(NewJob(kind: .build, run: run.id, stage: stage, labels: labels))
            run.log(stage, "queued as \(job.id) for a worker" + (labels.isEmpty ? "" : " with labels \(labels.joined(separator: ", "))"))
        }
        while true {
            switch job.state {
            case .done:
                guard let text = job.result, let built = try? JSONDecoder().decode(BuiltStage.self, from: Data(text.utf8)) else {
                    throw StageStop.failed("\(job.id) is done but its result is not a build's: \(job.result ?? "none")")
                }
                return built
            case .failed:
                throw StageStop.failed(job.error ?? "\(job.id) failed without a reason")
            case .queued, .leased:
                break
            }
            try? await Task.sleep(for: Self.jobPollInterval)
            if let stop = run.stop {
                // The stage's task is cancelled by now: the write goes in a task of its own.
                let (store, id) = (store, job.id)
                if case let .cancelled(by) = stop {
                    try await Task { try await store.cancelJob(id, reason: "run \(run.id) was cancelled by \(by)") }.value
                }
                throw StageStop.cancelled
            }
            let now: Job?
            do { now = try await store.job(job.id) } catch where run.stop != nil {
                continue   // stopped during the read (which the stop cancelled): handled above
            }
            guard let now else { throw StageStop.failed("\(job.id) was deleted while the build waited for it") }
            job = now
        }
    }
}
