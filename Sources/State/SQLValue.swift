import Foundation

/// A value bound to a statement or read from a row, in the few kinds the state schema uses;
/// both backends convert to and from their own types at their edge.
public enum SQLValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
}

/// What a statement's `?` placeholders take.
public protocol SQLArgument: Sendable {
    var sqlValue: SQLValue { get }
}

extension Int64: SQLArgument { public var sqlValue: SQLValue { .integer(self) } }
extension Int: SQLArgument { public var sqlValue: SQLValue { .integer(Int64(self)) } }
extension Double: SQLArgument { public var sqlValue: SQLValue { .real(self) } }
extension String: SQLArgument { public var sqlValue: SQLValue { .text(self) } }
extension Bool: SQLArgument { public var sqlValue: SQLValue { .integer(self ? 1 : 0) } }
extension SQLValue: SQLArgument { public var sqlValue: SQLValue { self } }
extension Optional: SQLArgument where Wrapped: SQLArgument {
    public var sqlValue: SQLValue { self?.sqlValue ?? .null }
}

/// What a column reads as. A NULL where a value is required reads as the type's zero, as a
/// column that an older or newer Slipway left empty.
public protocol SQLColumnValue {
    init?(sqlValue: SQLValue)
    static var zero: Self { get }
}

extension Int64: SQLColumnValue {
    public init?(sqlValue: SQLValue) {
        switch sqlValue {
        case let .integer(value): self = value
        case let .real(value): self = Int64(value)
        case let .text(text): guard let value = Int64(text) else { return nil }; self = value
        case .null: return nil
        }
    }
    public static var zero: Int64 { 0 }
}

extension Int: SQLColumnValue {
    public init?(sqlValue: SQLValue) { guard let value = Int64(sqlValue: sqlValue) else { return nil }; self = Int(value) }
    public static var zero: Int { 0 }
}

extension Double: SQLColumnValue {
    public init?(sqlValue: SQLValue) {
        switch sqlValue {
        case let .integer(value): self = Double(value)
        case let .real(value): self = value
        case let .text(text): guard let value = Double(text) else { return nil }; self = value
        case .null: return nil
        }
    }
    public static var zero: Double { 0 }
}

extension String: SQLColumnValue {
    public init?(sqlValue: SQLValue) {
        switch sqlValue {
        case let .text(text): self = text
        case let .integer(value): self = String(value)
        case let .real(value): self = String(value)
        case .null: return nil
        }
    }
    public static var zero: String { "" }
}

extension Bool: SQLColumnValue {
    public init?(sqlValue: SQLValue) { guard let value = Int64(sqlValue: sqlValue) else { return nil }; self = value != 0 }
    public static var zero: Bool { false }
}

/// One row of a result, read by column name (`row["pipeline"]`, typed by the context).
public struct SQLRow: Sendable {
    /// The result's column names to their positions, shared by all its rows.
    let columns: SQLColumns
    public let values: [SQLValue]

    public var columnNames: [String] { columns.names }

    public subscript(_ name: String) -> SQLValue {
        columns.index[name].map { values[$0] } ?? .null
    }

    public subscript<T: SQLColumnValue>(_ name: String) -> T {
        T(sqlValue: self[name]) ?? T.zero
    }

    public subscript<T: SQLColumnValue>(_ name: String) -> T? {
        T(sqlValue: self[name])
    }

    public subscript<T: SQLColumnValue>(_ position: Int) -> T? {
        position < values.count ? T(sqlValue: values[position]) : nil
    }
}

/// A result's column names, looked up by name.
final class SQLColumns: Sendable {
    let names: [String]
    let index: [String: Int]

    init(_ names: [String]) {
        self.names = names
        var index: [String: Int] = [:]
        for (position, name) in names.enumerated() where index[name] == nil { index[name] = position }
        self.index = index
    }
}
