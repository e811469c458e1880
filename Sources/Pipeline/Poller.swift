import Foundation
import SlipwayCore
import State
import Synchronization

/// Notices new commits for a long-running process (`slipway serve`): pushes git hooks
/// recorded (`slipway hook notify`) and, for pipelines with `source.poll`, the branch head
/// every interval. Starting a commit that already has a run does nothing, so the two overlap
/// harmlessly.
public final class Poller: Sendable {
    let orchestrator: Orchestrator
    private let lastPoll = Mutex<[String: Date]>([:])

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
    public func poll(now: Date = Date()) async -> [Int64] {
        var started: [Int64] = []
        do {
            for push in try orchestrator.store.takePushes() {
                started += try await orchestrator.pushed(repository: push.repository, branch: push.branch, trigger: Trigger(.hook, actor: push.actor))
            }
        } catch {
            report(error)
        }
        for row in (try? orchestrator.store.pipelines()) ?? [] {
            guard let spec = try? orchestrator.spec(row.name), let interval = spec.source.pollInterval else { continue }
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

    private func report(_ error: any Error) {
        FileHandle.standardError.write(Data("slipway: poll: \(error)\n".utf8))
    }
}
