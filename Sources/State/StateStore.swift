import Foundation
import SlipwayCore

/// The shared state of pipelines, runs, stages, logs, releases, approvals, pushes and audit:
/// in one SQLite file (`<home>/state.sqlite`, the default) that a `slipway run` and a
/// `slipway serve` on one machine use at once, or in a PostgreSQL database that processes on
/// several machines share (`--database postgres://…`).
///
/// The statements are written once (`StateTransaction`) and run on either backend; every
/// access is async and runs on the backend's own threads, never holding a thread of Swift's
/// cooperative pool while it waits.
///
/// Opened `readOnly`, the store writes nothing (no migration, no journal mode change); a
/// SQLite file that does not exist yet reads as an empty store.
public final class StateStore: Sendable {
    /// Where the state is, for messages: the SQLite file's path, or the PostgreSQL URL
    /// without its password.
    public let path: String
    public let location: StateLocation
    public let isReadOnly: Bool
    let backend: any StateBackend
    /// Runs as last read, by change stamp: listings decode only the runs that changed.
    let runCache = RunRecordCache()

    /// Opens the SQLite file at `path`, creating and migrating it unless `readOnly`.
    public convenience init(path: String, readOnly: Bool = false) throws {
        self.init(location: .sqlite(path: path), backend: try Self.sqlite(path: path, readOnly: readOnly), readOnly: readOnly)
    }

    private static func sqlite(path: String, readOnly: Bool) throws -> SQLiteBackend {
        do { return try SQLiteBackend(path: path, readOnly: readOnly) } catch let error as SlipwayError { throw error } catch {
            throw SlipwayError.wrapping(error, "cannot open the state database \(path)")
        }
    }

    public convenience init(home: SlipwayHome, readOnly: Bool = false) throws {
        try self.init(path: home.path + "/state.sqlite", readOnly: readOnly)
    }

    init(location: StateLocation, backend: any StateBackend, readOnly: Bool) {
        self.location = location
        path = location.description.hasPrefix("sqlite:") ? String(location.description.dropFirst("sqlite:".count)) : location.description
        isReadOnly = readOnly
        self.backend = backend
    }

    /// Which SQL dialect the store speaks.
    public var dialect: SQLDialect { backend.dialect }

    /// A write transaction; `serialized: false` for statements that lock only their own rows
    /// (see `StateBackend.write`).
    func write<T: Sendable>(serialized: Bool = true, _ body: @escaping @Sendable (any StateTransaction) throws -> T) async throws -> T {
        guard !isReadOnly else { throw SlipwayError.failed("state database \(path): opened read-only") }
        do { return try await backend.write(serialized: serialized, body) } catch let error as SlipwayError { throw error } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw SlipwayError.wrapping(error, "state database \(path)")
        }
    }

    func read<T: Sendable>(_ body: @escaping @Sendable (any StateTransaction) throws -> T) async throws -> T {
        do { return try await backend.read(body) } catch let error as SlipwayError { throw error } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw SlipwayError.wrapping(error, "state database \(path)")
        }
    }
}
