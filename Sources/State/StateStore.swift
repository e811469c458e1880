import Foundation
import GRDB
import SlipwayCore

/// The shared state of pipelines, runs, stages, logs, releases, approvals and audit, in one
/// SQLite file (`<home>/state.sqlite`) that a `slipway run` and a `slipway serve` use at once.
///
/// A `DatabasePool` keeps the file in WAL mode, so readers never wait for the writer; the busy
/// timeout makes a second process's writer wait instead of failing.
public final class StateStore: Sendable {
    public let path: String
    let pool: DatabasePool
    /// Runs as last read, by change stamp: listings decode only the runs that changed.
    let runCache = RunRecordCache()

    public init(path: String) throws {
        self.path = path
        try makeDirectories((path as NSString).deletingLastPathComponent)
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            // WAL with NORMAL sync: a crash loses at most the last commits, never consistency.
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            try Self.migrator.migrate(pool)
        } catch {
            throw SlipwayError.wrapping(error, "cannot open the state database \(path)")
        }
    }

    public convenience init(home: SlipwayHome) throws {
        try self.init(path: home.path + "/state.sqlite")
    }

    func write<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try pool.write(body) } catch let error as SlipwayError { throw error } catch {
            throw SlipwayError.wrapping(error, "state database \(path)")
        }
    }

    func read<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try pool.read(body) } catch let error as SlipwayError { throw error } catch {
            throw SlipwayError.wrapping(error, "state database \(path)")
        }
    }
}
