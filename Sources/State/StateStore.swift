import Foundation
import GRDB
import SlipwayCore

/// The shared state of pipelines, runs, stages, logs, releases, approvals and audit, in one
/// SQLite file (`<home>/state.sqlite`) that a `slipway run` and a `slipway serve` use at once.
///
/// A `DatabasePool` keeps the file in WAL mode, so readers never wait for the writer; the busy
/// timeout makes a second process's writer wait instead of failing. Every access goes through
/// GRDB's async API: the work runs on GRDB's own queues (one writer, a few readers), so a
/// writer waiting out another process's lock holds no thread of Swift's cooperative pool.
///
/// Opened `readOnly`, the store writes nothing (no migration, no journal mode change); a file
/// that does not exist yet reads as an empty store.
public final class StateStore: Sendable {
    public let path: String
    public let isReadOnly: Bool
    let database: any DatabaseWriter
    /// Runs as last read, by change stamp: listings decode only the runs that changed.
    let runCache = RunRecordCache()

    public init(path: String, readOnly: Bool = false) throws {
        self.path = path
        isReadOnly = readOnly
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.readonly = readOnly
        if !readOnly {
            configuration.prepareDatabase { db in
                // WAL with NORMAL sync: a crash loses at most the last commits, never consistency.
                try db.execute(sql: "PRAGMA synchronous = NORMAL")
            }
        }
        do {
            if readOnly {
                if FileManager.default.fileExists(atPath: path) {
                    database = try DatabasePool(path: path, configuration: configuration)
                    guard try database.read({ try Self.migrator.hasCompletedMigrations($0) }) else {
                        throw SlipwayError.failed("the state database \(path) is from an older Slipway: "
                                                  + "run a command that writes (slipway run, slipway serve) once to upgrade it")
                    }
                } else {
                    // Nothing recorded yet: an empty schema in memory, so reads answer "none".
                    let empty = try DatabaseQueue()
                    try Self.migrator.migrate(empty)
                    database = empty
                }
            } else {
                try makeDirectories((path as NSString).deletingLastPathComponent)
                let pool = try DatabasePool(path: path, configuration: configuration)
                try Self.migrator.migrate(pool)
                database = pool
            }
        } catch let error as SlipwayError {
            throw error
        } catch {
            throw SlipwayError.wrapping(error, "cannot open the state database \(path)")
        }
    }

    public convenience init(home: SlipwayHome, readOnly: Bool = false) throws {
        try self.init(path: home.path + "/state.sqlite", readOnly: readOnly)
    }

    func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        guard !isReadOnly else { throw SlipwayError.failed("state database \(path): opened read-only") }
        do { return try await database.write(body) } catch let error as SlipwayError { throw error } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw SlipwayError.wrapping(error, "state database \(path)")
        }
    }

    func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do { return try await database.read(body) } catch let error as SlipwayError { throw error } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw SlipwayError.wrapping(error, "state database \(path)")
        }
    }
}
