import Foundation
import GRDB
import SlipwayTestSupport
import State
import Testing

/// The backends the store tests run on: each test takes one as its argument and gets a fresh,
/// empty store of that kind (a new SQLite file, or a new database on the test PostgreSQL
/// server, which starts once per test run).
enum StoreBackend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite
    case postgres

    var testDescription: String { rawValue }

    func makeStore() async throws -> TestStore {
        switch self {
        case .sqlite:
            // Under this test process's directory (removed by a later run), so the file outlives
            // every reference a test keeps to its store.
            let directory = try TemporaryDirectory.forThisProcess("slipway-state-tests") + "/\(UUID().uuidString)"
            let location = StateLocation.sqlite(path: directory + "/state.sqlite")
            return TestStore(store: try await StateStore.open(location), location: location, server: nil)
        case .postgres:
            let server = try PostgresServer.shared()
            let location = try StateLocation(parsing: server.url(try server.makeDatabase()))
            return TestStore(store: try await StateStore.open(location), location: location, server: server)
        }
    }
}

/// A store made for one test, and ways to reach its database as another process would.
struct TestStore: Sendable {
    let store: StateStore
    let location: StateLocation
    let server: PostgresServer?

    /// Another opener of the same database (as `slipway run` in another process), with its
    /// own connections and nothing cached.
    func reopen(readOnly: Bool = false) async throws -> StateStore {
        try await StateStore.open(location, readOnly: readOnly)
    }

    /// Runs statements on a plain connection that is not a StateStore: GRDB on the file, psql
    /// on the server.
    func plainSQL(_ sql: String) async throws {
        switch location {
        case let .sqlite(path): try await DatabaseQueue(path: path).write { try $0.execute(sql: sql) }
        case let .postgres(endpoint): try server!.psql(endpoint.database, sql)
        }
    }

    /// The first column of a query's first row, as text, from a plain connection.
    func plainValue(_ sql: String) async throws -> String? {
        switch location {
        case let .sqlite(path):
            let value = try await DatabaseQueue(path: path).read { try DatabaseValue.fetchOne($0, sql: sql) }
            switch value?.storage {
            case let .int64(number)?: return String(number)
            case let .double(number)?: return String(number)
            case let .string(text)?: return text
            case let .blob(data)?: return String(decoding: data, as: UTF8.self)
            case .null?, nil: return nil
            }
        case let .postgres(endpoint):
            let out = try server!.psql(endpoint.database, sql).trimmingCharacters(in: .whitespacesAndNewlines)
            return out.isEmpty ? nil : out
        }
    }
}
