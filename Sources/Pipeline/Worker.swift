import Foundation
import SlipwayAPI
import SlipwayCore
import State
import Synchronization

/// `slipway worker`: builds the jobs a service queued (`slipway serve --workers`), on any
/// machine with the sandbox. It claims jobs its labels allow, up to `concurrency` at once,
/// woken by the database's notifications (or its slow poll); holds each under a lease it
/// renews every third of the lease's length; streams the build's log to the database under
/// that lease; pushes the artifact to the team's bucket and records the result. A worker whose
/// lease was lost (it was paused or cut off, and the job went to another) is fenced: its log
/// lines and result are refused, and it stops the build. Cancelled (SIGTERM), it stops its
/// builds and hands their jobs back, to be taken at once by another worker.
public final class Worker: Sendable {
    public typealias Options = JobLoop.Options

    public let orchestrator: Orchestrator
    public let options: Options
    /// Tells what the worker does, a line at a time.
    private let report: @Sendable (String) -> Void

    public init(orchestrator: Orchestrator, options: Options, report: @escaping @Sendable (String) -> Void) {
        (self.orchestrator, self.options, self.report) = (orchestrator, options, report)
    }

    /// Registers, then builds the jobs it takes until cancelled; returns once every job it
    /// held is finished or handed back.
    public func run() async throws {
        try await JobLoop(store: orchestrator.store, options: options).run(report: report) { job in await self.perform(job) }
    }

    /// Builds one job under its lease and records how it ended, unless the lease was lost.
    private func perform(_ job: Job) async {
        guard let first = job.lease else { return }
        let store = orchestrator.store, options = options, report = report
        let lease = Mutex(first)
        let lost = Mutex<SlipwayError?>(nil)
        let current = Mutex<ActiveRun?>(nil)
        @Sendable func fence(_ error: SlipwayError) {
            lost.withLock { if $0 == nil { $0 = error } }
            current.withLock { $0 }?.stop(.cancelled(by: "the loss of worker '\(options.name)''s lease"))
        }
        let run: ActiveRun
        do {
            run = try await orchestrator.jobRun(job, lease: first, fenced: fence)
        } catch {
            report("\(job.id): \(error)")
            _ = try? await store.failJob(first, error: "\(error)")
            return
        }
        current.withLock { $0 = run }
        report("\(job.id): building run \(job.run) (attempt \(job.attempts) of \(job.maxAttempts))")
        run.log(job.stage, "worker '\(options.name)' on \(options.host) builds it (\(job.id), attempt \(job.attempts) of \(job.maxAttempts))")
        let heartbeat = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: options.lease / 3)
                guard !Task.isCancelled else { return }
                do {
                    let renewed = try await store.renewLease(lease.withLock { $0 }, lease: options.lease)
                    lease.withLock { $0 = renewed }
                } catch let error as SlipwayError where error.cause is LeaseLost {
                    fence(error)
                    return
                } catch {
                    report("\(job.id): cannot renew the lease: \(error); trying again")
                }
            }
        }
        let outcome: Result<BuiltStage, StageStop>
        do {
            outcome = .success(try await withTaskCancellationHandler {
                try await orchestrator.buildHere(run) { _ in }
            } onCancel: {
                run.stop(.released)
            })
        } catch let stop as StageStop {
            outcome = .failure(stop)
        } catch {
            outcome = .failure(.failed("\(error)"))
        }
        heartbeat.cancel()
        let held = lease.withLock { $0 }, fencedBy = lost.withLock { $0 }, workspace = orchestrator.workspace(run.id)
        // How the job ended is recorded even while the worker stops (this task is cancelled
        // then, and the store refuses a cancelled task's calls).
        await Task {
            if case .failure(.cancelled) = outcome, run.stop == .released {
                run.log(job.stage, "worker '\(options.name)' is stopping: it hands the job back, for another worker to take at once")
            }
            await run.closeLog()
            removeTree(workspace)
            await Self.record(outcome, of: job, run: run, held: held, fencedBy: fencedBy, store: store, worker: options.name, report: report)
        }.value
    }

    private static func record(_ outcome: Result<BuiltStage, StageStop>, of job: Job, run: ActiveRun, held: JobLease,
                               fencedBy: SlipwayError?, store: StateStore, worker: String, report: (String) -> Void) async {
        do {
            if let error = fencedBy {
                report("\(job.id): stopped, fenced off: \(error)")
                return
            }
            switch outcome {
            case let .success(built):
                let result = String(decoding: try JSONEncoder().encode(built), as: UTF8.self)
                _ = try await store.completeJob(held, result: result)
                report("\(job.id): built \(built.artifact)")
            case .failure(.cancelled) where run.stop == .released:
                _ = try await store.handBackJob(held)
                report("\(job.id): handed back")
            case let .failure(.failed(message)), let .failure(.undecided(message)):
                _ = try await store.failJob(held, error: message)
                report("\(job.id): failed: \(message)")
            case .failure(.cancelled):
                _ = try await store.failJob(held, error: "the build was stopped on worker '\(worker)'")
                report("\(job.id): stopped")
            }
        } catch {
            report("\(job.id): \(error)")
        }
    }
}

extension Orchestrator {
    /// A worker's view of the run a build job belongs to: the run as stored, its pipeline,
    /// and a log written under the job's lease (`fenced` is told when it no longer holds).
    func jobRun(_ job: Job, lease: JobLease, fenced: @escaping @Sendable (SlipwayError) -> Void) async throws -> ActiveRun {
        guard let record = try await store.run(job.run) else { throw SlipwayError.notFound("run \(job.run) no longer exists") }
        let spec = try await spec(record.pipeline)
        let plan = RunPlan(spec)
        guard job.kind == .build, let index = plan.stages.firstIndex(where: { $0.step.kind == .build }) else {
            throw SlipwayError.badInput("\(job.id) is a \(job.kind.rawValue) job for stage '\(job.stage)' of pipeline \(spec.name): a worker builds only")
        }
        let log = RunLog(run: record.id, limit: spec.retention.maxLogBytes, store: store, hub: hub, logger: logger, fence: lease, fenced: fenced)
        return ActiveRun(record: record, spec: spec, plan: plan, first: index, log: log)
    }
}
