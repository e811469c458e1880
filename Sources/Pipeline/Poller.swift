import Foundation
import SlipwayAPI
import SlipwayCore
import Specs
import State
import Synchronization

/// Notices new commits for a long-running process (`slipway serve`): pushes git hooks
/// recorded (`slipway hook notify`) and, for pipelines with `source.poll`, the branch head
/// every interval. Starting a commit that already has a run does nothing, so the two overlap
/// harmlessly. A pipeline with a `schedule` runs its branch head at each scheduled time even
/// when that commit already ran; times passed while no service ran are skipped, as cron does.
public final class Poller: Sendable {
    let orchestrator: Orchestrator
    private let lastPoll = Mutex<[String: Date]>([:])
    /// Per pipeline: the schedule in force and when it fires next.
    private let nextScheduled = Mutex<[String: (schedule: CronSchedule, at: Date?)]>([:])

    public init(orchestrator: Orchestrator) {
        self.orchestrator = orchestrator
    }

    /// Polls until the task is cancelled; `tick` is how often pushes are looked for.
    public func run(tick: Duration = .seconds(1)) async {
        while !Task.isCancelled {
            _ = await poll()
            try? await Task.sleep(for: tick)
        }
    }

    /// One pass: pending pushes, then pipelines whose poll interval has passed. Returns the
    /// runs started; failures (an unreachable repository) are logged and retried next time.
    @discardableResult
    public func poll(now: Date = Date()) async -> [RunID] {
        var started: [RunID] = []
        do {
            for push in try await orchestrator.store.takePushes() {
                started += try await orchestrator.pushed(repository: push.repository, branch: push.branch, trigger: Trigger(.hook, actor: push.actor))
            }
        } catch {
            report(error)
        }
        for row in (try? await orchestrator.store.pipelines()) ?? [] {
            guard let spec = try? await orchestrator.spec(row.name) else { continue }
            if let schedule = spec.schedule, scheduled(row.name, schedule, now: now) {
                do {
                    if let id = try await orchestrator.start(pipeline: row.name, commit: nil,
                                                             trigger: Trigger(.schedule, actor: "schedule \(schedule.expression)"), force: true) {
                        started.append(id)
                    }
                } catch {
                    report(error)
                }
            }
            guard let interval = spec.source.pollInterval else { continue }
            let due = lastPoll.withLock { last in
                guard now.timeIntervalSince(last[row.name] ?? .distantPast) >= interval else { return false }
                last[row.name] = now
                return true
            }
            guard due else { continue }
            do {
                if let id = try await orchestrator.start(pipeline: row.name, commit: nil, trigger: Trigger(.poll, actor: "poller"), force: false) {
                    started.append(id)
                }
            } catch {
                report(error)
            }
        }
        return started
    }

    /// Whether `schedule` fired since the last look; the first look only sets the next time.
    private func scheduled(_ pipeline: String, _ schedule: CronSchedule, now: Date) -> Bool {
        nextScheduled.withLock { next in
            guard let known = next[pipeline], known.schedule == schedule, let at = known.at else {
                if next[pipeline]?.schedule != schedule { next[pipeline] = (schedule, schedule.next(after: now)) }
                return false
            }
            guard now >= at else { return false }
            next[pipeline] = (schedule, schedule.next(after: now))
            return true
        }
    }

    private func report(_ error: any Error) {
        orchestrator.logger.warning("poll: \(error)")
    }
}
