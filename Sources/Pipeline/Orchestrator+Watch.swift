import SlipwayAPI
import State

extension Orchestrator {
    /// The process's one store watcher: every `watchInterval`, one read of what changed in the
    /// store (by any process) feeds the event hub, wakes approval waits and passes cancel
    /// requests on to the runs they name. Ends when cancelled.
    func watchStore() async {
        var point: WatchPoint?
        while !Task.isCancelled {
            do {
                if let from = point {
                    let owned = active.withLock { Array($0.keys) }
                    let (changes, next) = try await store.changes(since: from, owned: owned)
                    point = next
                    for chunk in changes.logs { hub.send(chunk) }
                    for (record, version) in changes.runs { hub.send(record, version: version) }
                    if changes.approvals { approvals.signal() }
                    for id in changes.cancelRequested {
                        active.withLock { $0[id] }?.stop(.cancelled(by: "a cancel request"))
                    }
                } else {
                    point = try await store.watchPoint()
                    for waiter in watchStart.withLock({ start in
                        start.ready = true
                        defer { start.waiters = [] }
                        return start.waiters
                    }) { waiter.resume() }
                }
            } catch is CancellationError {
                return
            } catch {
                logger.warning("watching the state database: \(error)")
            }
            try? await Task.sleep(for: watchInterval)
        }
    }

    /// Returns once the store watcher has its starting point: from then on, what any process
    /// writes reaches `events()` (what was written before is the store's to tell).
    public func watchingStore() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ready = watchStart.withLock { start in
                if !start.ready { start.waiters.append(continuation) }
                return start.ready
            }
            if ready { continuation.resume() }
        }
    }
}
