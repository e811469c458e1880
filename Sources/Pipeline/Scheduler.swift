import Foundation
import SlipwayCore
import State
import Synchronization

/// Of several `slipway serve` on one database, the one that schedules: it polls branches and
/// takes recorded pushes (`Poller`), fires cron schedules, reaps expired job leases and takes
/// over runs whose owner is gone. Every instance serves the API, the dashboard and webhooks
/// (starting a run is not scheduling); only the one elected (`SchedulerElection`: a PostgreSQL
/// advisory lock) does these, so a polled commit starts one run, not one per instance. On
/// SQLite the one service of the home is always the scheduler.
///
/// Losing the election (the lock's connection dropped) stops the duties at once; the
/// instance stands by, and takes them up again if it wins the lock again.
public final class Scheduler: Sendable {
    let orchestrator: Orchestrator
    let poller: Poller
    public let election: SchedulerElection
    private let elected = Atomic<Bool>(false)
    private let onEvent: @Sendable (ElectionEvent) -> Void
    /// Ends the wait of runs started before the first election result (see `init`).
    private let decided: AsyncStream<Void>.Continuation

    /// `onEvent` hears every election result (the role shown in metrics and at startup). Runs
    /// started before the first result, and while the runs found orphaned are taken over
    /// after winning, wait for that, so the runs taken over hold their stages first.
    public init(orchestrator: Orchestrator, poller: Poller, onEvent: @escaping @Sendable (ElectionEvent) -> Void = { _ in }) {
        self.orchestrator = orchestrator
        self.poller = poller
        self.onEvent = onEvent
        election = orchestrator.store.schedulerElection(name: "slipway serve \(ProcessIdentity.current)")
        let (waiting, decided) = AsyncStream.makeStream(of: Void.self)
        self.decided = decided
        orchestrator.firstAdoption.withLock { $0 = Task { for await _ in waiting {} } }
    }

    /// Whether this instance schedules now.
    public var isScheduler: Bool { elected.load(ordering: .relaxed) }

    /// Takes part in the election until cancelled, doing the duties while elected.
    public func run() async {
        var duties: Task<Void, Never>?
        defer { decided.finish() }
        for await event in election.events() {
            switch event {
            case .elected:
                elected.store(true, ordering: .relaxed)
                orchestrator.logger.notice("""
                    scheduler: this instance is now the scheduler (\(lockText)): it polls, fires schedules, \
                    reaps job leases and takes over runs whose owner is gone
                    """)
                onEvent(event)
                duties?.cancel()
                duties = Task { await self.duties() }
            case let .deposed(reason):
                elected.store(false, ordering: .relaxed)
                duties?.cancel()
                orchestrator.logger.warning("scheduler: this instance stopped being the scheduler: \(reason)")
                onEvent(event)
                await duties?.value
                duties = nil
            case let .standby(holder):
                orchestrator.logger.notice("scheduler: standing by; \(holder.map { "'\($0)'" } ?? "another instance") schedules (\(lockText))")
                onEvent(event)
                decided.finish()
            case let .unreachable(message, pause):
                orchestrator.logger.warning("\(message); trying again in \(pause.spoken)")
                onEvent(event)
                decided.finish()
            }
        }
        elected.store(false, ordering: .relaxed)
        duties?.cancel()
        await duties?.value
    }

    private var lockText: String { election.database.map { "lock on \($0)" } ?? "the only service on this SQLite state" }

    /// The scheduling duties until cancelled: first the runs found orphaned (runs started
    /// meanwhile wait), then polling, adoption and lease reaping side by side.
    private func duties() async {
        await Task { await self.orchestrator.adoptOrphans() }.value
        decided.finish()
        await withDiscardingTaskGroup { group in
            group.addTask { await self.orchestrator.adoptContinually() }
            group.addTask { await self.poller.run() }
            group.addTask { await self.orchestrator.reapLeasesContinually() }
            group.addTask { await self.forgetSilentInstances() }
        }
    }

    /// Forgets, every hour, the heartbeat rows of instances silent for a day that own no run.
    private func forgetSilentInstances() async {
        while !Task.isCancelled {
            do { try await orchestrator.store.forgetInstances(silentFor: 86400) } catch is CancellationError {
                return
            } catch {
                orchestrator.logger.warning("cannot forget the heartbeats of stopped instances: \(error)")
            }
            try? await Task.sleep(for: .seconds(3600))
        }
    }
}
