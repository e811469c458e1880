import Foundation
import SlipwayCore

/// How many rows of one kind a copy between stores moved.
public struct CopiedRows: Sendable, Equatable, Codable {
    public var kind: String
    public var count: Int
}

extension StateStore {
    /// The tables of the state, parents before children, each with what its rows are to a
    /// user and its key (the order pages are read in).
    static let copiedTables: [(table: String, kind: String, key: [String])] = [
        ("pipeline", "pipelines", ["name"]),
        ("run", "runs", ["id"]),
        ("stage", "stages", ["run", "position"]),
        ("log_chunk", "log chunks", ["run", "\"offset\""]),
        ("log_cut", "log cuts", ["run"]),
        ("release", "releases", ["id"]),
        ("approval", "approvals", ["id"]),
        ("audit", "audit entries", ["id"]),
        ("push", "pushes", ["id"]),
        ("job", "jobs", ["id"]),
        ("job_label", "job labels", ["job", "label"]),
        ("worker", "workers", ["name"]),
    ]

    /// Copies everything this store holds into `destination`, which must be empty (a fresh
    /// database, or one only migrated): every row with its id, page by page, so an
    /// installation of any size goes through in bounded memory. If a page fails, whatever was
    /// copied is deleted again, so the destination is left as empty as it was. Nothing may
    /// write to this store meanwhile (stop `slipway serve` first).
    public func copy(into destination: StateStore, pageSize: Int = 1000,
                     progress: @Sendable (CopiedRows) -> Void = { _ in }) async throws -> [CopiedRows] {
        let tables = Self.copiedTables
        let occupied = try await destination.read { tx in
            try tables.filter { try tx.row("SELECT 1 FROM \($0.table) LIMIT 1") != nil }.map(\.kind)
        }
        guard occupied.isEmpty else {
            throw SlipwayError.badInput("the state database \(destination.path) is not empty (it has \(occupied.joined(separator: ", "))); "
                                        + "copy into a new, empty database")
        }
        var copied: [CopiedRows] = []
        do {
            for (table, kind, key) in tables {
                var count = 0
                var after: SQLRow?
                while true {
                    let keyList = key.joined(separator: ", ")
                    let (page, arguments) = after.map { last in
                        ("WHERE (\(keyList)) > (\(placeholders(key.count)))", key.map { last[Self.unquoted($0)] as SQLValue })
                    } ?? ("", [])
                    let rows = try await read { tx in
                        try tx.rows("SELECT * FROM \(table) \(page) ORDER BY \(keyList) LIMIT \(pageSize)", arguments)
                    }
                    guard let last = rows.last else { break }
                    try await destination.write { tx in try Self.insert(rows, into: table, tx) }
                    count += rows.count
                    after = last
                    if rows.count < pageSize { break }
                }
                let entry = CopiedRows(kind: kind, count: count)
                copied.append(entry)
                progress(entry)
            }
            try await destination.write { tx in
                for statement in StateSchema.afterCopy(tx.dialect, tables: tables.map(\.table)) { try tx.execute(statement) }
            }
        } catch {
            _ = try? await destination.write { tx in
                for (table, _, _) in tables.reversed() { try tx.execute("DELETE FROM \(table)") }
            }
            throw SlipwayError.wrapping(error, "copying the state from \(path) to \(destination.path) failed; \(destination.path) was emptied again")
        }
        return copied
    }

    /// Rows as read from another store, inserted with their own ids, many to a statement.
    static func insert(_ rows: [SQLRow], into table: String, _ tx: any StateTransaction) throws {
        guard let columns = rows.first?.columnNames else { return }
        let names = columns.map { "\"\($0)\"" }.joined(separator: ", ")
        let tuple = "(\(placeholders(columns.count)))"
        let perStatement = max(1, 2000 / columns.count)
        for start in stride(from: 0, to: rows.count, by: perStatement) {
            let batch = rows[start..<min(start + perStatement, rows.count)]
            let values = Array(repeating: tuple, count: batch.count).joined(separator: ", ")
            try tx.execute("INSERT INTO \(table) (\(names)) VALUES \(values)",
                           batch.flatMap { row in columns.map { row[$0] as SQLValue } })
        }
    }

    static func unquoted(_ column: String) -> String { column.replacingOccurrences(of: "\"", with: "") }

    /// Rows of each kind this store holds.
    public func counts() async throws -> [CopiedRows] {
        try await read { tx in
            try Self.copiedTables.map { CopiedRows(kind: $0.kind, count: try tx.value("SELECT COUNT(*) FROM \($0.table)") ?? 0) }
        }
    }
}
