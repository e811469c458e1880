import Foundation
import SlipwayCore
import Synchronization

/// A worker's side of the queue: it registers, beats, claims the jobs its labels allow up to
/// `concurrency` at once, woken by the database's notifications (or its slow poll), and
/// hands each to the caller's `perform`; a database that is away is retried with backoff.
/// `slipway worker` builds with it; the queue benchmark runs it with jobs that do nothing.
public struct JobLoop: Sendable {
    public struct Options: Sendable {
        public var name: String
        /// The machine, as `slipway workers` shows it.
        public var host: String
        public var labels: [String] = []
        public var concurrency = 1
        /// How long a job stays this worker's without a heartbeat.
        public var lease: Duration = .seconds(30)
        /// The slow poll behind the database's notifications (the only wake-up on SQLite).
        public var poll: Duration = .seconds(2)

        public init(name: String, host: String) {
            (self.name, self.host) = (name, host)
        }
    }

    public let store: StateStore
    public let options: Options

    public init(store: StateStore, options: Options) {
        (self.store, self.options) = (store, options)
    }

    /// Registers the worker, then hands each job it takes to `perform` (which records how the
    /// job ended), until cancelled; returns once every `perform` has returned.
    public func run(report: @escaping @Sendable (String) -> Void, perform: @escaping @Sendable (Job) async -> Void) async throws {
        let store = store, options = options
        guard options.concurrency >= 1 else { throw SlipwayError.badInput("--concurrency must be at least 1, not \(options.concurrency)") }
        try await store.registerWorker(WorkerRecord(name: options.name, host: options.host, labels: options.labels,
                                                    concurrency: options.concurrency, lease: options.lease.seconds))
        let wakeups = try await store.jobWakeups()
        let alive = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: options.lease / 3)
                try? await store.workerHeartbeat(options.name)
            }
        }
        let running = Counter()
        let (freed, slotFreed) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        var slots = freed.makeAsyncIterator()
        await withTaskCancellationHandler {
            await withDiscardingTaskGroup { group in
                var failures = 0
                while !Task.isCancelled {
                    if running.value >= options.concurrency {
                        _ = await slots.next()
                        continue
                    }
                    do {
                        guard let job = try await store.claimJob(owner: options.name, labels: options.labels, lease: options.lease) else {
                            _ = await wakeups.next(within: options.poll)
                            continue
                        }
                        failures = 0
                        running.add(1)
                        group.addTask {
                            await perform(job)
                            running.add(-1)
                            slotFreed.yield()
                        }
                    } catch {
                        // The database is away (restarted, cut off): try again, backing off to 5 s.
                        failures += 1
                        report("cannot take jobs from the state database \(store.path): \(error); trying again")
                        try? await Task.sleep(for: .milliseconds(min(5000, 250 << min(failures, 5))))
                    }
                }
            }
        } onCancel: {
            slotFreed.finish()
            Task { await wakeups.close() }
        }
        alive.cancel()
        await wakeups.close()
        // This task is cancelled: the last word goes in a task of its own.
        let name = options.name
        try? await Task { try await store.workerStopped(name) }.value
    }
}

/// The jobs a worker is running now.
private final class Counter: Sendable {
    private let count = Mutex(0)
    var value: Int { count.withLock { $0 } }
    func add(_ n: Int) { count.withLock { $0 += n } }
}
