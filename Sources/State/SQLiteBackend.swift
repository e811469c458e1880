import Foundation
import GRDB
import SlipwayCore

/// The embedded default: one SQLite file (`<home>/state.sqlite`) that a `slipway run` and a
/// `slipway serve` on the same machine use at once.
///
/// A `DatabasePool` keeps the file in WAL mode, so readers never wait for the writer; the busy
/// timeout makes a second process's writer wait instead of failing. The work runs on GRDB's
/// own queues (one writer, a few readers), so a writer waiting out another process's lock
/// holds no thread of Swift's cooperative pool.
struct SQLiteBackend: StateBackend {
    let database: any DatabaseWriter
    var dialect: SQLDialect { .sqlite }

    /// Opens (creating and migrating) the file; read-only, it writes nothing (no migration, no
    /// journal mode change), and a file that does not exist yet reads as an empty store.
    init(path: String, readOnly: Bool) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.readonly = readOnly
        if !readOnly {
            configuration.prepareDatabase { db in
                // WAL with NORMAL sync: a crash loses at most the last commits, never consistency.
                try db.execute(sql: "PRAGMA synchronous = NORMAL")
            }
        }
        if readOnly {
            if FileManager.default.fileExists(atPath: path) {
                database = try DatabasePool(path: path, configuration: configuration)
                try database.read { try StateSchema.check(SQLiteTransaction(db: $0), database: path) }
            } else {
                // Nothing recorded yet: an empty schema in memory, so reads answer "none".
                let empty = try DatabaseQueue()
                try empty.write { try StateSchema.migrate(SQLiteTransaction(db: $0), database: path) }
                database = empty
            }
        } else {
            try makeDirectories((path as NSString).deletingLastPathComponent)
            let pool = try DatabasePool(path: path, configuration: configuration)
            try pool.write { try StateSchema.migrate(SQLiteTransaction(db: $0), database: path) }
            database = pool
        }
    }

    func write<T: Sendable>(serialized: Bool, _ body: @escaping @Sendable (any StateTransaction) throws -> T) async throws -> T {
        try await database.write { try body(SQLiteTransaction(db: $0)) }
    }

    func read<T: Sendable>(_ body: @escaping @Sendable (any StateTransaction) throws -> T) async throws -> T {
        try await database.read { try body(SQLiteTransaction(db: $0)) }
    }
}

/// A GRDB transaction as the store's statements see it.
struct SQLiteTransaction: StateTransaction {
    let db: Database
    var dialect: SQLDialect { .sqlite }

    func execute(_ sql: String, _ arguments: [any SQLArgument]) throws -> Int {
        try db.execute(sql: sql, arguments: Self.arguments(arguments))
        return db.changesCount
    }

    func rows(_ sql: String, _ arguments: [any SQLArgument]) throws -> [SQLRow] {
        let statement = try db.makeStatement(sql: sql)
        let columns = SQLColumns(statement.columnNames)
        let cursor = try Row.fetchCursor(statement, arguments: Self.arguments(arguments))
        var rows: [SQLRow] = []
        while let row = try cursor.next() {
            rows.append(SQLRow(columns: columns, values: row.databaseValues.map(Self.value)))
        }
        return rows
    }

    static func arguments(_ arguments: [any SQLArgument]) -> StatementArguments {
        StatementArguments(arguments.map { argument -> DatabaseValue in
            switch argument.sqlValue {
            case .null: .null
            case let .integer(value): value.databaseValue
            case let .real(value): value.databaseValue
            case let .text(value): value.databaseValue
            }
        })
    }

    static func value(_ value: DatabaseValue) -> SQLValue {
        switch value.storage {
        case .null: .null
        case let .int64(value): .integer(value)
        case let .double(value): .real(value)
        case let .string(value): .text(value)
        case let .blob(data): .text(String(decoding: data, as: UTF8.self))
        }
    }
}
