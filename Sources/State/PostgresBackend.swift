import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO
import SlipwayCore
import Synchronization

/// State in a PostgreSQL database that several Slipway processes, on several machines, share.
///
/// A transaction's statements run in order on a thread of the state's own thread pool, each
/// waiting for its answer on a pooled connection, exactly as GRDB runs SQLite's on its queues:
/// the store's statements are written once for both, and no thread of Swift's cooperative
/// pool (nor of Dispatch's, which cannot tell a thread blocked on the network) waits on it. Writers take one
/// transaction-scoped advisory lock, so they go one at a time as SQLite's do; readers see one
/// snapshot (REPEATABLE READ) and never wait for writers.
final class PostgresBackend: StateBackend {
    let endpoint: PostgresEndpoint
    var dialect: SQLDialect { .postgres }
    /// The threads transactions run on, for every store of the process: at most this many
    /// transactions at once, so at most this many connections per database.
    static let threads: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 8)
        pool.start()
        return pool
    }()
    /// The advisory lock every write transaction holds ("slip").
    static let writeLock: Int64 = 0x736c_6970

    private let idle = Mutex<[PostgresConnection]>([])
    private let connections = Atomic<Int>(0)
    private let tlsContext = Mutex<PostgresConnection.Configuration.TLS?>(nil)
    private let logger: Logger = {
        var logger = Logger(label: "slipway.state.postgres")
        logger.logLevel = .error   // postgres-nio's connection chatter is not the user's business
        return logger
    }()
    /// Slipway's own word on the connection: a server lost, and back.
    private let notices = Logger(label: "slipway.state")
    /// Whether the server was lost and has not answered since (said once per outage).
    private let outage = Atomic<Bool>(false)
    /// How long a transaction waits for a server that cannot be reached.
    let reconnectPatience: Duration

    init(endpoint: PostgresEndpoint, reconnectPatience: Duration = .seconds(60)) {
        self.endpoint = endpoint
        self.reconnectPatience = reconnectPatience
    }

    deinit {
        for connection in idle.withLock({ $0 }) { Self.close(connection) }
    }

    func write<T: Sendable>(serialized: Bool, _ body: @escaping @Sendable (any StateTransaction) throws -> T) async throws -> T {
        try await onThread { try self.transaction(readOnly: false, serialized: serialized, body) }
    }

    func read<T: Sendable>(_ body: @escaping @Sendable (any StateTransaction) throws -> T) async throws -> T {
        try await onThread { try self.transaction(readOnly: true, body) }
    }

    /// Opens one connection and gives it back to the pool: whether the server answers and
    /// takes the credentials.
    func probe() async throws {
        try await onThread {
            let connection = try self.connect()
            self.idle.withLock { $0.append(connection) }
        }
    }

    func onThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await Self.threads.runIfActive(work)
    }

    /// One transaction, tried again while the server cannot be reached (restarting, or the
    /// network down) for up to `reconnectPatience`, with a doubling pause: a run in flight
    /// keeps its state through a database restart instead of losing the writes made
    /// meanwhile. Only a transaction that certainly did not commit is tried again (it failed
    /// before its COMMIT was sent: the server rolled it back), so nothing is written twice.
    private func transaction<T>(readOnly: Bool, serialized: Bool = true, _ body: (any StateTransaction) throws -> T) throws -> T {
        let clock = ContinuousClock()
        let deadline = clock.now + reconnectPatience
        var pause: Duration = .milliseconds(100)
        while true {
            do {
                let result = try attempt(readOnly: readOnly, serialized: serialized, body)
                if outage.exchange(false, ordering: .relaxed) {
                    notices.notice("state database \(endpoint.host):\(endpoint.port) answers again")
                }
                return result
            } catch let failure as Retryable where clock.now + pause < deadline {
                if !outage.exchange(true, ordering: .relaxed) {
                    notices.warning("""
                        state database \(endpoint.host):\(endpoint.port) (user '\(endpoint.user)') cannot be reached: \
                        \((failure.error as? SlipwayError)?.ownText ?? "\(failure.error)"); trying again for up to \(reconnectPatience.spoken)
                        """)
                }
                Thread.sleep(forTimeInterval: pause.seconds)
                pause = min(pause * 2, .seconds(2))
            } catch let failure as Retryable {
                throw failure.error
            }
        }
    }

    /// A failure worth another try: the server was not reachable, and the transaction did not commit.
    private struct Retryable: Error {
        let error: any Error
    }

    /// One try of a transaction on a pooled connection. A pooled connection that fails its
    /// BEGIN (the server restarted since) is dropped and the transaction starts again on a new one.
    private func attempt<T>(readOnly: Bool, serialized: Bool, _ body: (any StateTransaction) throws -> T) throws -> T {
        var pooled = idle.withLock { $0.popLast() }
        while true {
            if let closed = pooled, closed.isClosed {
                Self.close(closed)
                pooled = idle.withLock { $0.popLast() }
                continue
            }
            let connection: PostgresConnection
            do { connection = try pooled ?? connect() } catch {
                throw PostgresFailure.isUnreachable(error) ? Retryable(error: error) : error
            }
            let transaction = PostgresTransaction(connection: connection, logger: logger)
            do {
                try transaction.execute(readOnly ? "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY" : "BEGIN")
            } catch {
                Self.close(connection)
                if pooled != nil {
                    pooled = idle.withLock { $0.popLast() }
                    continue
                }
                throw PostgresFailure.isUnreachable(error) ? Retryable(error: error) : error
            }
            var committing = false
            do {
                if !readOnly && serialized { try transaction.execute("SELECT pg_advisory_xact_lock(\(Self.writeLock))") }
                let result = try body(transaction)
                committing = true
                try transaction.execute("COMMIT")
                idle.withLock { $0.append(connection) }
                return result
            } catch {
                let alive = !connection.isClosed && (try? transaction.execute("ROLLBACK")) != nil
                if alive {
                    idle.withLock { $0.append(connection) }
                } else {
                    Self.close(connection)
                }
                // A connection lost before COMMIT: the server rolled the transaction back.
                throw !committing && !alive && PostgresFailure.isUnreachable(error) ? Retryable(error: error) : error
            }
        }
    }

    /// Milliseconds a transaction may sit idle before the server ends it and its session.
    static let idleTransactionLimit = 10_000

    /// A new connection, signed in; blocks this (pool) thread until then.
    func connect() throws -> PostgresConnection {
        do { return try connecting().wait() } catch {
            throw PostgresFailure.connecting(error, to: endpoint)
        }
    }

    /// A new connection, signed in, without holding a thread while it waits (a connection
    /// kept open for a long time: the scheduler election's).
    func connectAsync() async throws -> PostgresConnection {
        do { return try await connecting().get() } catch {
            throw PostgresFailure.connecting(error, to: endpoint)
        }
    }

    private func connecting() throws -> EventLoopFuture<PostgresConnection> {
        let id = connections.add(1, ordering: .relaxed).newValue
        var configuration = PostgresConnection.Configuration(host: endpoint.host, port: endpoint.port, username: endpoint.user,
                                                             password: endpoint.password, database: endpoint.database,
                                                             tls: try tls())
        configuration.options.connectTimeout = .seconds(10)
        // Every transaction here lasts milliseconds: one left open longer belongs to a
        // process that was paused or cut off mid-write, and the server ends it, so its locks
        // do not stall every other writer (a frozen worker holding the log's write lock).
        configuration.options.additionalStartupParameters = [("idle_in_transaction_session_timeout", "\(Self.idleTransactionLimit)")]
        return PostgresConnection.connect(on: MultiThreadedEventLoopGroup.singleton.any(), configuration: configuration,
                                          id: id, logger: logger)
    }

    /// The TLS the endpoint asks for, its context made once.
    private func tls() throws -> PostgresConnection.Configuration.TLS {
        try tlsContext.withLock { context in
            if let context { return context }
            var made: PostgresConnection.Configuration.TLS
            switch endpoint.tls {
            case .disable:
                made = .disable
            case .require:
                var configuration = TLSConfiguration.makeClientConfiguration()
                configuration.certificateVerification = .none
                made = .require(try NIOSSLContext(configuration: configuration))
            case let .verifyFull(root):
                var configuration = TLSConfiguration.makeClientConfiguration()
                if let root { configuration.trustRoots = .file(root) }
                made = .require(try NIOSSLContext(configuration: configuration))
            }
            context = made
            return made
        }
    }

    /// Closes a connection and keeps it alive until it is closed (postgres-nio checks that a
    /// connection is closed before it goes).
    static func close(_ connection: PostgresConnection) {
        connection.close().whenComplete { _ in withExtendedLifetime(connection) {} }
    }
}

/// A transaction on one PostgreSQL connection. `?` placeholders become `$1`, `$2`, …
struct PostgresTransaction: StateTransaction {
    let connection: PostgresConnection
    let logger: Logger
    var dialect: SQLDialect { .postgres }

    func execute(_ sql: String, _ arguments: [any SQLArgument]) throws -> Int {
        try run(sql, arguments).metadata.rows ?? 0
    }

    func rows(_ sql: String, _ arguments: [any SQLArgument]) throws -> [SQLRow] {
        let result = try run(sql, arguments)
        guard let first = result.rows.first else { return [] }
        let columns = SQLColumns(first.map(\.columnName))
        return result.rows.map { row in SQLRow(columns: columns, values: row.map(Self.value)) }
    }

    private func run(_ sql: String, _ arguments: [any SQLArgument]) throws -> PostgresQueryResult {
        var binds = PostgresBindings(capacity: arguments.count)
        for argument in arguments {
            switch argument.sqlValue {
            case .null: binds.appendNull()
            case let .integer(value): binds.append(value)
            case let .real(value): binds.append(value)
            case let .text(value): binds.append(value)
            }
        }
        do {
            return try Self.answer(connection.query(PostgresQuery(unsafeSQL: Self.numbered(sql), binds: binds), logger: logger),
                                   on: connection).wait()
        } catch {
            throw PostgresFailure.statement(error, sql: sql)
        }
    }

    /// The statement's answer, or `ConnectionLost` once its connection is closed: postgres-nio
    /// never answers a statement sent on a connection that closed just before (the server
    /// restarted), and a transaction must not wait for it forever.
    static func answer(_ answer: EventLoopFuture<PostgresQueryResult>, on connection: PostgresConnection) -> EventLoopFuture<PostgresQueryResult> {
        let promise = answer.eventLoop.makePromise(of: PostgresQueryResult.self)
        let settled = Mutex(false)
        let first: @Sendable () -> Bool = { settled.withLock { done in defer { done = true }; return !done } }
        let watch = answer.eventLoop.scheduleRepeatedTask(initialDelay: .milliseconds(250), delay: .milliseconds(250)) { task in
            guard connection.isClosed, first() else { return }
            task.cancel()
            promise.fail(PostgresFailure.ConnectionLost())
        }
        answer.whenComplete { result in
            watch.cancel()
            guard first() else { return }
            promise.completeWith(result)
        }
        return promise.futureResult
    }

    static func value(_ cell: PostgresCell) -> SQLValue {
        guard cell.bytes != nil else { return .null }
        switch cell.dataType {
        case .int2, .int4, .int8: return (try? cell.decode(Int64.self)).map(SQLValue.integer) ?? .null
        case .float4, .float8: return (try? cell.decode(Double.self)).map(SQLValue.real) ?? .null
        case .bool: return (try? cell.decode(Bool.self)).map { .integer($0 ? 1 : 0) } ?? .null
        default: return (try? cell.decode(String.self)).map(SQLValue.text) ?? .null
        }
    }

    /// `sql` with each `?` outside quotes numbered as PostgreSQL wants it.
    static func numbered(_ sql: String) -> String {
        var result = "", count = 0, quote: Character?
        result.reserveCapacity(sql.utf8.count + 16)
        for character in sql {
            if let open = quote {
                if character == open { quote = nil }
                result.append(character)
            } else if character == "'" || character == "\"" {
                quote = character
                result.append(character)
            } else if character == "?" {
                count += 1
                result += "$\(count)"
            } else {
                result.append(character)
            }
        }
        return result
    }
}

/// What went wrong talking to PostgreSQL, as a SlipwayError: bad credentials or a missing
/// database are bad input (exit 2) naming host and user, never the password; an unreachable
/// server is worth another try.
enum PostgresFailure {
    /// SQLSTATE classes and codes the messages tell apart.
    static let badCredentials: Set<String> = ["28P01", "28000"]
    static let noDatabase = "3D000"

    static func sqlState(_ error: any Error) -> String? {
        (error as? PSQLError)?.serverInfo?[.sqlState]
    }

    static func serverMessage(_ error: any Error) -> String? {
        (error as? PSQLError)?.serverInfo?[.message]
    }

    /// A statement's connection closed before it was answered.
    struct ConnectionLost: Error {}

    /// Whether a failure to connect may pass (the server is starting, or not reachable yet).
    static func isUnreachable(_ error: any Error) -> Bool {
        if error is ConnectionLost { return true }
        if let error = error as? SlipwayError { return (error.cause as? Cause)?.unreachable ?? false }
        if isTLSFailure(error) { return false }
        guard let error = error as? PSQLError else { return error is NIOConnectionError || error is ChannelError || error is IOError }
        if let state = error.serverInfo?[.sqlState] {
            // 57P01-57P03: the server is shutting down (a restart), crashed, or starting up;
            // 08…: connection exceptions.
            return ["57P01", "57P02", "57P03"].contains(state) || state.hasPrefix("08")
        }
        return error.code == .connectionError || error.code == .serverClosedConnection
    }

    /// postgres-nio's error kept under a SlipwayError without its text (PSQLError prints a
    /// placeholder; the message carries the server's reason instead).
    struct Cause: Error, CustomStringConvertible {
        let error: any Error
        let unreachable: Bool
        var description: String { "" }
    }

    static func reason(_ error: any Error) -> String {
        if error is ConnectionLost { return "the connection was closed" }
        if let message = serverMessage(error) { return message }
        if let error = error as? PSQLError {
            if let underlying = error.underlying { return reason(underlying) }
            return "\(error.code)"
        }
        if let error = error as? NIOConnectionError {
            return error.connectionErrors.first.map { reason($0.error) } ?? "cannot connect"
        }
        if let error = error as? IOError { return String(cString: strerror(error.errnoCode)) }
        if let error = error as? ChannelError, case .connectTimeout = error { return "connection timed out" }
        return "\(error)"
    }

    /// Whether the TLS the URL asks for failed (the server has none, or its certificate does
    /// not verify): the URL's doing, not the network's.
    static func isTLSFailure(_ error: any Error) -> Bool {
        guard let error = error as? PSQLError else { return error is NIOSSLError || error is BoringSSLError || error is NIOSSLExtraError }
        return error.code == .sslUnsupported || error.underlying.map(isTLSFailure) ?? false
    }

    static func connecting(_ error: any Error, to endpoint: PostgresEndpoint) -> SlipwayError {
        let server = "\(endpoint.host):\(endpoint.port)"
        if isTLSFailure(error) {
            let reason = (error as? PSQLError)?.code == .sslUnsupported ? "the server does not offer TLS" : reason(error)
            return .badInput("the state database at \(server) (user '\(endpoint.user)'): TLS failed: \(reason); "
                             + "check sslmode and sslrootcert in --database (SLIPWAY_DATABASE)")
        }
        if let state = sqlState(error) {
            if badCredentials.contains(state) {
                return .badInput("the state database at \(server) refused user '\(endpoint.user)': \(reason(error)); "
                                 + "check the user and password in --database (SLIPWAY_DATABASE)")
            }
            if state == noDatabase {
                return .badInput("the state database at \(server) has no database '\(endpoint.database)' (user '\(endpoint.user)'): "
                                 + "create it (createdb -h \(endpoint.host) -p \(endpoint.port) -U \(endpoint.user) \(endpoint.database))")
            }
        }
        return .failed("cannot reach the state database at \(server) as user '\(endpoint.user)': \(reason(error))",
                       cause: Cause(error: error, unreachable: isUnreachable(error)))
    }

    static func statement(_ error: any Error, sql: String) -> SlipwayError {
        let statement = sql.split(whereSeparator: \.isNewline).first.map(String.init) ?? sql
        let state = sqlState(error).map { " (SQLSTATE \($0))" } ?? ""
        return .failed("\(reason(error))\(state), in: \(statement.trimmingCharacters(in: .whitespaces))",
                       cause: Cause(error: error, unreachable: isUnreachable(error)))
    }
}
