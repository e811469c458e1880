import Foundation
import Pipeline
import Synchronization
import Testing

struct BlockingPoolTests {
    final class Gauge: Sendable {
        let state = Mutex((now: 0, most: 0))
        func enter() { state.withLock { $0.now += 1; $0.most = max($0.most, $0.now) } }
        func leave() { state.withLock { $0.now -= 1 } }
        var most: Int { state.withLock { $0.most } }
    }

    /// Never more at once than the pool's threads, however much is queued; and none of it on
    /// the cooperative pool, whose threads stay free for other tasks meanwhile.
    @Test func workRunsOnAtMostThePoolsThreads() async throws {
        let pool = BlockingPool(threads: 2)
        let running = Gauge()
        let started = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<6 {
                group.addTask {
                    try await pool.run {
                        running.enter()
                        usleep(1_000_000)
                        running.leave()
                    }
                }
            }
            // Six jobs blocked for a second each, and the cooperative pool still runs a task
            // at once (on it, the jobs would hold both of its threads for three seconds).
            let quick = ContinuousClock.now
            await Task { }.value
            #expect(ContinuousClock.now - quick < .milliseconds(800))
            try await group.waitForAll()
        }
        #expect(running.most == 2)
        #expect(ContinuousClock.now - started >= .seconds(3))
    }
}
