import Foundation
import GRDB
import SlipwayAPI

extension StateStore {
    /// Appends text to a run's log; the chunk's offset is the log's length so far, computed in
    /// the same transaction, so chunks from any process stay ordered and contiguous.
    @discardableResult
    public func appendLog(run: RunID, stage: String, text: String) async throws -> LogChunk {
        try await write { db in
            let end = try Int64.fetchOne(db, sql: "SELECT offset + size FROM log_chunk WHERE run = ? ORDER BY offset DESC LIMIT 1",
                                         arguments: [run.rawValue]) ?? 0
            try db.execute(sql: "INSERT INTO log_chunk (run, offset, stage, text, size) VALUES (?, ?, ?, ?, ?)",
                           arguments: [run.rawValue, end, stage, text, text.utf8.count])
            return LogChunk(run: run, offset: end, stage: stage, text: text)
        }
    }

    /// The chunks holding bytes from `offset` on, in order.
    public func logs(run: RunID, after offset: Int64) async throws -> [LogChunk] {
        try await read { db in try Self.logs(db, run: run, after: offset) }
    }

    static func logs(_ db: Database, run: RunID, after offset: Int64) throws -> [LogChunk] {
        try Row.fetchAll(db, sql: "SELECT offset, stage, text FROM log_chunk WHERE run = ? AND offset + size > ? ORDER BY offset",
                         arguments: [run.rawValue, offset])
            .map { LogChunk(run: run, offset: $0["offset"], stage: $0["stage"], text: $0["text"]) }
    }
}
