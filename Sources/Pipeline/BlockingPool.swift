import NIOPosix

/// A fixed set of threads for work that blocks (git, a build's sandbox, a deploy's file trees
/// and SSH), so none of it holds a thread of Swift's cooperative pool: that pool has one thread
/// per core, and two blocked threads on a two-core machine stall every request of the service.
///
/// Two pools keep short calls from queueing behind long ones: `git` for git commands (a run's
/// start, the source stage's log and show), `stages` for a stage's whole blocking part (a
/// checkout, a build, a deploy, a rollback). Work beyond a pool's threads waits its turn.
public final class BlockingPool: Sendable {
    /// git commands: each takes milliseconds (seconds for a slow remote).
    public static let git = BlockingPool(threads: 4)
    /// Checkouts, builds, deploys and rollbacks: each may take minutes.
    public static let stages = BlockingPool(threads: 8)

    private let pool: NIOThreadPool
    public let threads: Int

    public init(threads: Int) {
        self.threads = threads
        pool = NIOThreadPool(numberOfThreads: threads)
        pool.start()
    }

    /// Runs `body` on one of the pool's threads and returns its result. Cancelling the caller
    /// drops the work if it has not started yet; once started it runs to its end.
    public func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await pool.runIfActive(body)
    }
}
