import Foundation
import SlipwayCore

extension StateStore {
    /// Opens the state at `location`. A PostgreSQL server that does not answer yet (starting,
    /// or the network not up) is tried again with a doubling pause until `patience` has
    /// passed, each retry told to `onRetry`; wrong credentials or a missing database fail at
    /// once (bad input, naming host and user). Then the schema is migrated (or, read-only,
    /// checked), and a database from a newer Slipway is refused with both versions.
    public static func open(_ location: StateLocation, readOnly: Bool = false, patience: Duration = .seconds(30),
                            onRetry: @Sendable (String) -> Void = { _ in }) async throws -> StateStore {
        switch location {
        case let .sqlite(path):
            return try StateStore(path: path, readOnly: readOnly)
        case let .postgres(endpoint):
            let backend = PostgresBackend(endpoint: endpoint)
            let clock = ContinuousClock()
            let deadline = clock.now + patience
            var pause: Duration = .milliseconds(250)
            var attempt = 1
            while true {
                do {
                    try await backend.probe()
                    break
                } catch where PostgresFailure.isUnreachable(error) && clock.now + pause < deadline {
                    attempt += 1
                    onRetry("\((error as? SlipwayError)?.ownText ?? "\(error)"); trying again in \(pause.spoken) (attempt \(attempt))")
                    try await Task.sleep(for: pause)
                    pause = min(pause * 2, .seconds(5))
                } catch where PostgresFailure.isUnreachable(error) {
                    throw SlipwayError.failed(((error as? SlipwayError)?.ownText ?? "\(error)")
                                              + " (gave up after \(attempt) attempts in \(patience.spoken))")
                }
            }
            let store = StateStore(location: location, backend: backend, readOnly: readOnly)
            let shown = endpoint.description
            if readOnly {
                // A database no Slipway has written to yet reads as empty, as a missing SQLite
                // file does: nothing to check, and a reader creates no schema.
                let fresh: Int = try await store.read { try $0.value("SELECT CASE WHEN to_regclass('schema_migrations') IS NULL THEN 1 ELSE 0 END") } ?? 0
                if fresh == 1 {
                    return StateStore(location: location, backend: try SQLiteBackend(path: "", readOnly: true), readOnly: true)
                }
                try await store.read { try StateSchema.check($0, database: shown) }
            } else {
                try await store.write { try StateSchema.migrate($0, database: shown) }
            }
            return store
        }
    }

    /// The schema version of the database (migrations applied) and the newest this Slipway knows.
    public func schemaVersion() async throws -> (database: Int, known: Int) {
        let table = StateSchema.migrationsTable(dialect)
        let applied: Int = try await read { try $0.value("SELECT COUNT(*) FROM \(table)") } ?? 0
        return (applied, StateSchema.version)
    }
}
