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

    /// Never more at once than the pool's threads, however much is queued. (That none of it
    /// holds the cooperative pool is BlockingWorkTests' part, through the service.)
    @Test func workRunsOnAtMostThePoolsThreads() async throws {
        let pool = BlockingPool(threads: 2)
        let running = Gauge()
        let started = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<6 {
                group.addTask {
                    try await pool.run {
                        running.enter()
                        usleep(200_000)
                        running.leave()
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(running.most == 2)
        #expect(ContinuousClock.now - started >= .milliseconds(600))
    }
}
