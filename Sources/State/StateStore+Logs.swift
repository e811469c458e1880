import Foundation
import SlipwayAPI

/// Whole lines on their way to one stage's part of a run's log, stored as one chunk.
public struct LogPiece: Sendable, Equatable {
    public var stage: String
    /// One or more lines, each ending in a newline.
    public var text: String
    /// Output (a build's, a hook's) stops at the log's size limit; Slipway's own lines about
    /// the run (a stage failed, how the run ended) are kept past it.
    public var limited: Bool

    public init(stage: String, text: String, limited: Bool) {
        self.stage = stage
        self.text = text
        self.limited = limited
    }
}

/// What one append stored, and what it left out.
public struct LogAppend: Sendable, Equatable {
    /// The chunks written, in order, with their offsets.
    public var chunks: [LogChunk] = []
    /// Output past the log's limit that this append did not store.
    public var droppedBytes: Int64 = 0
    public var droppedLines = 0
    /// Whether the log has been cut at its limit (by this append or an earlier one).
    public var cut = false

    mutating func drop(_ text: Substring) {
        droppedBytes += Int64(text.utf8.count)
        droppedLines += text.utf8.reduce(0) { $1 == 10 ? $0 + 1 : $0 }
    }
}

extension StateStore {
    /// Appends text to a run's log as one chunk; the chunk's offset is the log's length so
    /// far, computed in the same transaction, so chunks from any process stay ordered and
    /// contiguous.
    @discardableResult
    public func appendLog(run: RunID, stage: String, text: String) async throws -> LogChunk {
        try await write { tx in
            let end = try Self.logEnd(tx, run: run)
            try tx.execute(Self.insertChunk, [run.rawValue, end, stage, text, text.utf8.count])
            return LogChunk(run: run, offset: end, stage: stage, text: text)
        }
    }

    /// Appends a batch of pieces in one transaction, a chunk each, contiguous from the log's
    /// end. With a `limit` (bytes), limited output that would take the log past it is cut at
    /// the last whole line that fits, followed by a marker line; from then on, in this batch
    /// and every later one, limited pieces are dropped (and counted) and only the others kept.
    /// With a `fence` (a worker's lease on the job that writes them), the batch is refused
    /// (`LeaseLost`) once that lease is no longer the job's: a worker cut off cannot add lines
    /// after another took the job over.
    public func appendLog(run: RunID, _ pieces: [LogPiece], limit: Int64?, fence: JobLease? = nil) async throws -> LogAppend {
        try await write { tx in
            if let fence { try Self.requireLease(fence, tx, doing: "writing its log") }
            return try Self.append(tx, run: run, pieces, limit: limit)
        }
    }

    static let insertChunk = #"INSERT INTO log_chunk (run, "offset", stage, text, size) VALUES (?, ?, ?, ?, ?)"#

    static func append(_ tx: any StateTransaction, run: RunID, _ pieces: [LogPiece], limit: Int64?) throws -> LogAppend {
        var result = LogAppend()
        var end = try logEnd(tx, run: run)
        if limit != nil {
            result.cut = try tx.row("SELECT 1 FROM log_cut WHERE run = ?", [run.rawValue]) != nil
        }
        func store(_ stage: String, _ text: Substring) throws {
            guard !text.isEmpty else { return }
            let size = text.utf8.count
            let chunk = LogChunk(run: run, offset: end, stage: stage, text: String(text))
            try tx.execute(insertChunk, [run.rawValue, end, stage, chunk.text, size])
            result.chunks.append(chunk)
            end += Int64(size)
        }
        for piece in pieces {
            guard piece.limited, let limit else {
                try store(piece.stage, piece.text[...])
                continue
            }
            if result.cut {
                result.drop(piece.text[...])
                continue
            }
            if end + Int64(piece.text.utf8.count) <= limit {
                try store(piece.stage, piece.text[...])
                continue
            }
            let kept = wholeLines(piece.text, upTo: limit - end)
            try store(piece.stage, kept)
            result.drop(piece.text[kept.endIndex...])
            try tx.execute(#"INSERT INTO log_cut (run, "offset") VALUES (?, ?) ON CONFLICT DO NOTHING"#, [run.rawValue, end])
            try store(piece.stage, cutMarker(limit)[...])
            result.cut = true
        }
        return result
    }

    /// The line that marks where a log was cut.
    public static func cutMarker(_ limit: Int64) -> String {
        "[slipway] log truncated: this run's log reached its limit of \(byteSize(limit)) (retention.max-log-size in slipway.yml); "
            + "later output is not stored\n"
    }

    /// `50 MiB`, `4 KiB`, `1000 bytes`: exact, in the largest unit that divides it.
    public static func byteSize(_ bytes: Int64) -> String {
        for (unit, shift) in [("GiB", Int64(30)), ("MiB", 20), ("KiB", 10)] where bytes >= 1 << shift && bytes % (1 << shift) == 0 {
            return "\(bytes >> shift) \(unit)"
        }
        return "\(bytes) bytes"
    }

    /// The longest prefix of `text` made of whole lines and at most `bytes` long.
    static func wholeLines(_ text: String, upTo bytes: Int64) -> Substring {
        let utf8 = text.utf8
        var index = utf8.index(utf8.startIndex, offsetBy: Int(max(0, min(bytes, Int64(utf8.count)))))
        while index > utf8.startIndex {
            let before = utf8.index(before: index)
            if utf8[before] == UInt8(ascii: "\n") { return Substring(utf8[..<index]) }
            index = before
        }
        return text[text.startIndex..<text.startIndex]
    }

    /// The chunks holding bytes from `offset` on, in order.
    public func logs(run: RunID, after offset: Int64) async throws -> [LogChunk] {
        try await read { tx in try Self.logs(tx, run: run, after: offset) }
    }

    static func logs(_ tx: any StateTransaction, run: RunID, after offset: Int64) throws -> [LogChunk] {
        // The chunk holding `offset` is found through the primary key, so a long log is not
        // scanned from its start.
        try tx.rows("""
            SELECT "offset", stage, text FROM log_chunk WHERE run = ? AND "offset" + size > ?
                AND "offset" >= COALESCE((SELECT MAX("offset") FROM log_chunk WHERE run = ? AND "offset" <= ?), 0)
            ORDER BY "offset"
            """, [run.rawValue, offset, run.rawValue, offset])
            .map { LogChunk(run: run, offset: $0["offset"], stage: $0["stage"], text: $0["text"]) }
    }
}
