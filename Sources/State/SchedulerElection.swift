import Foundation
import Logging
import NIOCore
import PostgresNIO
import SlipwayCore
import Synchronization

/// What the scheduler election tells the instance taking part.
public enum ElectionEvent: Sendable, Equatable {
    /// This instance holds the lock: it schedules from now on.
    case elected
    /// This instance held the lock and lost it (its connection dropped or stopped answering):
    /// it must stop scheduling at once; the reason names the database.
    case deposed(String)
    /// Another instance schedules (its `application_name`, when the server shows it).
    case standby(holder: String?)
    /// The election's connection cannot be made or was lost while standing by; tried again
    /// after `retryIn`. The message names the database host.
    case unreachable(String, retryIn: Duration)
}

/// Chooses which of several `slipway serve` on one PostgreSQL database schedules (polls,
/// cron, lease reaping, taking over orphaned runs): the one holding a session-level advisory
/// lock, `pg_try_advisory_lock`, on a connection of its own. The server lets the lock go the
/// moment that session ends, so when the holder dies (its socket closes) a standby, which tries
/// every `tryInterval`, holds it within about that long.
///
/// The holder pings its connection every `tryInterval`, and stops (`deposed`) as soon as the
/// connection is closed or a ping gets no answer within `pingTimeout`. The session sets
/// `idle_session_timeout` and TCP keepalives, so a holder cut off from the server (no FIN ever
/// comes) loses the lock on the server after `sessionTimeout`, well after it stopped itself:
/// two instances never schedule at once.
///
/// On SQLite (one machine; one `slipway serve` per home) there is nothing to elect: the
/// instance is the scheduler from the start.
public final class SchedulerElection: Sendable {
    /// The lock's key ("slipschd"); a different key from the store's write lock.
    static let lockKey: Int64 = 0x736c_6970_7363_6864
    let backend: PostgresBackend?
    /// Shown as the lock holder's `application_name` to the other instances.
    let name: String
    let tryInterval: Duration
    let pingTimeout: Duration
    let sessionTimeout: Duration
    private let logger: Logger = {
        var logger = Logger(label: "slipway.state.postgres")
        logger.logLevel = .error
        return logger
    }()

    init(backend: PostgresBackend?, name: String, tryInterval: Duration, pingTimeout: Duration, sessionTimeout: Duration) {
        self.backend = backend
        self.name = name
        self.tryInterval = tryInterval
        self.pingTimeout = pingTimeout
        self.sessionTimeout = sessionTimeout
    }

    /// Where the election is held, for messages: `postgres://user@host:port/db`, or nil on SQLite.
    public var database: String? { backend?.endpoint.description }

    /// Takes part until the stream's consumer stops (its task cancelled): the lock is given up
    /// with the connection then.
    public func events() -> AsyncStream<ElectionEvent> {
        let (stream, continuation) = AsyncStream.makeStream(of: ElectionEvent.self)
        guard let backend else {
            continuation.yield(.elected)
            return stream   // never finishes: the instance stays the scheduler
        }
        let task = Task { await self.campaign(on: backend, continuation) }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    /// Connects, tries the lock, holds it or tries again, reconnecting with a doubling pause
    /// (250 ms to 5 s) when the server cannot be reached.
    private func campaign(on backend: PostgresBackend, _ events: AsyncStream<ElectionEvent>.Continuation) async {
        let server = "\(backend.endpoint.host):\(backend.endpoint.port)"
        var pause: Duration = .milliseconds(250)
        var lastStandby: String??
        while !Task.isCancelled {
            let connection: PostgresConnection
            do {
                connection = try await backend.connectAsync()
            } catch {
                events.yield(.unreachable("scheduler election: cannot connect to the state database at \(server): "
                                          + "\((error as? SlipwayError)?.ownText ?? "\(error)")", retryIn: pause))
                try? await Task.sleep(for: pause)
                pause = min(pause * 2, .seconds(5))
                continue
            }
            var leading = false
            do {
                try await prepare(connection)
                pause = .milliseconds(250)
                while !Task.isCancelled {
                    if leading {
                        _ = try await ask(connection, "SELECT 1")
                    } else if try await ask(connection, "SELECT pg_try_advisory_lock(\(Self.lockKey))").rows.first?.first?
                        .decode(Bool.self) == true {
                        leading = true
                        lastStandby = nil
                        events.yield(.elected)
                    } else {
                        let holder = try? await self.holder(connection)
                        if lastStandby != .some(holder) {
                            lastStandby = .some(holder)
                            events.yield(.standby(holder: holder))
                        }
                    }
                    try await watch(connection, for: tryInterval)
                }
            } catch {
                let reason = Self.reason(error)
                if leading && !Task.isCancelled {
                    events.yield(.deposed("the scheduler election's connection to the state database at \(server) was lost (\(reason)); "
                                          + "another instance takes over"))
                } else if !Task.isCancelled {
                    events.yield(.unreachable("scheduler election: the connection to the state database at \(server) was lost (\(reason))",
                                              retryIn: pause))
                }
            }
            PostgresBackend.close(connection)
            if leading || Task.isCancelled { continue }
            try? await Task.sleep(for: pause)
            pause = min(pause * 2, .seconds(5))
        }
    }

    /// Names the session and bounds how long the server keeps it (and the lock) for a holder
    /// that went silent. Settings an older server does not know are left out.
    private func prepare(_ connection: PostgresConnection) async throws {
        let quoted = name.replacingOccurrences(of: "'", with: "''")
        _ = try await ask(connection, "SET application_name = '\(quoted.prefix(60))'")
        let seconds = max(1, Int(sessionTimeout.components.seconds))
        for setting in ["idle_session_timeout = '\(seconds)s'", "tcp_keepalives_idle = \(max(1, seconds / 2))",
                        "tcp_keepalives_interval = 1", "tcp_keepalives_count = \(max(1, seconds / 2))"] {
            do { _ = try await ask(connection, "SET \(setting)") } catch where !connection.isClosed {}
        }
    }

    /// Who holds the lock, as its session named itself.
    private func holder(_ connection: PostgresConnection) async throws -> String? {
        let high = UInt64(bitPattern: Self.lockKey) >> 32, low = UInt64(bitPattern: Self.lockKey) & 0xffff_ffff
        let result = try await ask(connection, """
            SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
            WHERE l.locktype = 'advisory' AND l.granted AND l.classid = \(high) AND l.objid = \(low) AND l.objsubid = 1
                AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
            """)
        return try? result.rows.first?.first?.decode(String.self)
    }

    /// Sleeps `interval`, returning early with an error as soon as the connection closes.
    private func watch(_ connection: PostgresConnection, for interval: Duration) async throws {
        let deadline = ContinuousClock.now + interval
        while ContinuousClock.now < deadline {
            if connection.isClosed { throw ElectionFailure("the server closed the connection") }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// Runs a statement; a statement unanswered within `pingTimeout` closes the connection and
    /// throws (a server gone silent must not hold the instance in its role).
    private func ask(_ connection: PostgresConnection, _ sql: String) async throws -> PostgresQueryResult {
        let future: EventLoopFuture<PostgresQueryResult> = connection.query(PostgresQuery(unsafeSQL: sql), logger: logger)
        let timeout = pingTimeout
        return try await withCheckedThrowingContinuation { continuation in
            let waiting = Mutex<CheckedContinuation<PostgresQueryResult, any Error>?>(continuation)
            let nanoseconds = timeout.components.seconds * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000
            let timer = future.eventLoop.scheduleTask(in: .nanoseconds(nanoseconds)) {
                guard let continuation = waiting.withLock({ $0.take() }) else { return }
                PostgresBackend.close(connection)
                continuation.resume(throwing: ElectionFailure("no answer within \(timeout.spoken)"))
            }
            future.whenComplete { result in
                timer.cancel()
                waiting.withLock { $0.take() }?.resume(with: result)
            }
        }
    }

    static func reason(_ error: any Error) -> String {
        if let failure = error as? ElectionFailure { return failure.reason }
        return PostgresFailure.reason(error)
    }
}

struct ElectionFailure: Error {
    let reason: String
    init(_ reason: String) { self.reason = reason }
}

extension StateStore {
    /// The scheduler election among the services on this store's database; `name` is how this
    /// instance is shown to the others. `tryInterval` is how often a standby tries the lock
    /// and the holder pings; a holder whose ping gets no answer in `pingTimeout` stops.
    public func schedulerElection(name: String, tryInterval: Duration = .seconds(1), pingTimeout: Duration = .seconds(3),
                                  sessionTimeout: Duration = .seconds(10)) -> SchedulerElection {
        SchedulerElection(backend: backend as? PostgresBackend, name: name, tryInterval: tryInterval, pingTimeout: pingTimeout,
                          sessionTimeout: sessionTimeout)
    }
}
