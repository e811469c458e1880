import Foundation
import PostgresNIO
import SlipwayCore

/// Tells a worker that jobs may be waiting: on PostgreSQL a connection of its own listens on
/// the channel every enqueue, hand-back and re-queue notifies (`NOTIFY slipway_job`, sent when
/// its transaction commits), so a worker claims within milliseconds instead of at its next
/// poll. A notification can be lost (the connection dropped, the server restarted): the
/// listener reconnects and reports a wake-up then, and `next(within:)` gives up after its
/// timeout, which is the worker's slow fallback poll. On SQLite (one machine) there is no
/// channel and every wait is the poll.
public actor JobWakeups {
    static let channel = "slipway_job"

    private var pending = false
    private var waiter: (generation: Int, continuation: CheckedContinuation<Bool, Never>)?
    private var generation = 0
    private var listener: Task<Void, Never>?

    init() {}

    /// Waits until jobs are announced (true; one announced before this call counts) or
    /// `timeout` passes (false). One waiter at a time: a second call ends the first's wait
    /// (false).
    public func next(within timeout: Duration) async -> Bool {
        if pending {
            pending = false
            return true
        }
        generation += 1
        let mine = generation
        waiter?.continuation.resume(returning: false)
        return await withCheckedContinuation { continuation in
            waiter = (mine, continuation)
            Task { [weak self] in
                try? await Task.sleep(for: timeout)
                await self?.expire(mine)
            }
        }
    }

    /// Stops listening and closes the connection; a wait in progress ends (false).
    public func close() {
        listener?.cancel()
        listener = nil
        waiter?.continuation.resume(returning: false)
        waiter = nil
    }

    func announce() {
        if let waiter {
            self.waiter = nil
            waiter.continuation.resume(returning: true)
        } else {
            pending = true
        }
    }

    private func expire(_ generation: Int) {
        guard let waiter, waiter.generation == generation else { return }
        self.waiter = nil
        waiter.continuation.resume(returning: false)
    }

    /// Listens on its own connection from `backend`, returning once LISTEN is in effect; after
    /// a lost connection it connects again (announcing, since a notification may have been
    /// missed) every second until it is back.
    func listen(on backend: PostgresBackend) async throws {
        let ready = AsyncStream<Result<Void, any Error>>.makeStream()
        listener = Task { [weak self] in
            defer { ready.continuation.finish() }
            var first = true
            while !Task.isCancelled {
                do {
                    let connection = try await backend.onThread { try backend.connect() }
                    defer { PostgresBackend.close(connection) }
                    try await connection.listen(on: Self.channel) { notifications in
                        if first {
                            ready.continuation.yield(.success(()))
                            first = false
                        } else {
                            await self?.announce()
                        }
                        for try await _ in notifications { await self?.announce() }
                    }
                } catch {
                    if first {
                        ready.continuation.yield(.failure(error))
                        return
                    }
                    await self?.announce()
                }
                try? await Task.sleep(for: .seconds(1))
            }
        }
        for await outcome in ready.stream {
            try outcome.get()
            return
        }
        throw CancellationError()   // closed before it listened
    }
}

extension StateStore {
    /// Announcements of queued jobs for a worker's claim loop (see `JobWakeups`). On
    /// PostgreSQL the listening connection is open when this returns; a server that does not
    /// answer fails here as opening the store does.
    public func jobWakeups() async throws -> JobWakeups {
        let wakeups = JobWakeups()
        if let postgres = backend as? PostgresBackend {
            do { try await wakeups.listen(on: postgres) } catch let error as SlipwayError { throw error } catch {
                throw SlipwayError.wrapping(error, "listening for jobs on the state database \(path)")
            }
        }
        return wakeups
    }

    /// Wakes the listening workers when the transaction commits (PostgreSQL).
    static func announceJobs(_ tx: any StateTransaction) throws {
        guard tx.dialect == .postgres else { return }
        try tx.execute("SELECT pg_notify('\(JobWakeups.channel)', '')")
    }
}
