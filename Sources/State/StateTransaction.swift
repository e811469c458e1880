/// The SQL dialects the state store speaks. The statements are written once, in the subset
/// both understand (`?` placeholders, `ON CONFLICT`, `RETURNING`, `IS NOT DISTINCT FROM`,
/// `"offset"` quoted); what differs is named here and in `StateSchema`: column types, the
/// change-stamp triggers, how writers are serialised and where applied migrations are listed.
public enum SQLDialect: String, Sendable {
    case sqlite
    case postgres
}

/// One transaction on the state database, as the store's statements see it: run on a thread
/// of the backend's own (never Swift's cooperative pool), so each statement simply returns.
protocol StateTransaction {
    var dialect: SQLDialect { get }

    /// Runs one statement; returns how many rows it changed.
    @discardableResult
    func execute(_ sql: String, _ arguments: [any SQLArgument]) throws -> Int

    /// Runs one query and returns all its rows.
    func rows(_ sql: String, _ arguments: [any SQLArgument]) throws -> [SQLRow]
}

extension StateTransaction {
    @discardableResult
    func execute(_ sql: String) throws -> Int { try execute(sql, []) }

    func rows(_ sql: String) throws -> [SQLRow] { try rows(sql, []) }

    /// The first row, if any.
    func row(_ sql: String, _ arguments: [any SQLArgument] = []) throws -> SQLRow? {
        try rows(sql, arguments).first
    }

    /// The first column of the first row, nil when there is no row or it is NULL.
    func value<T: SQLColumnValue>(_ sql: String, _ arguments: [any SQLArgument] = []) throws -> T? {
        try row(sql, arguments)?[0]
    }

    /// The first column of every row (NULLs left out).
    func values<T: SQLColumnValue>(_ sql: String, _ arguments: [any SQLArgument] = []) throws -> [T] {
        try rows(sql, arguments).compactMap { $0[0] }
    }
}

/// `?, ?, ?`: placeholders for `count` values.
func placeholders(_ count: Int) -> String {
    Array(repeating: "?", count: count).joined(separator: ", ")
}

/// A `WHERE` clause made of the conditions whose value is given (an absent filter is left
/// out, rather than `? IS NULL OR …`, whose parameter PostgreSQL cannot type).
struct Filter {
    private(set) var conditions: [String] = []
    private(set) var arguments: [any SQLArgument] = []

    mutating func add(_ condition: String, _ value: (some SQLArgument)?) {
        guard let value else { return }
        conditions.append(condition)
        arguments.append(value)
    }

    var clause: String { conditions.isEmpty ? "1 = 1" : conditions.joined(separator: " AND ") }
}
