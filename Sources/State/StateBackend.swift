/// Where the store's transactions run: SQLite through GRDB, or PostgreSQL through
/// postgres-nio. Both run a transaction's statements on a thread of their own, in order, and
/// give writers one at a time (SQLite's single writer; PostgreSQL's writers take one advisory
/// lock), so the store's read-then-write steps (a log's end, then its next chunk) mean the same
/// on both.
protocol StateBackend: Sendable {
    var dialect: SQLDialect { get }

    /// Runs `body` in a write transaction: committed when it returns, rolled back when it throws.
    /// Serialised, it goes after every other serialised writer (the store's read-then-write
    /// steps); not serialised (the job queue's), it takes no writers' lock on PostgreSQL and
    /// its statements hold only the rows they lock (`FOR UPDATE SKIP LOCKED`), so many
    /// workers claim and renew at once. SQLite has one writer either way.
    func write<T: Sendable>(serialized: Bool, _ body: @escaping @Sendable (any StateTransaction) throws -> T) async throws -> T

    /// Runs `body` in a read-only transaction that sees one snapshot.
    func read<T: Sendable>(_ body: @escaping @Sendable (any StateTransaction) throws -> T) async throws -> T
}

extension StateBackend {
    func write<T: Sendable>(_ body: @escaping @Sendable (any StateTransaction) throws -> T) async throws -> T {
        try await write(serialized: true, body)
    }
}
