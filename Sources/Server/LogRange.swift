import Foundation
import Hummingbird
import SlipwayAPI

/// A run's log as plain text, by byte range: what the dashboard's log viewer pages through
/// (`GET /api/runs/ID/logs/range?after=OFFSET&limit=BYTES`) and what "Download" saves
/// (`GET /api/runs/ID/logs/text`).
///
/// A range is one line of JSON, `{"after", "next", "parts": [{"stage", "size"}]}`, then the log's
/// bytes from `after` to `next` as they are: `parts` says which stage wrote each stretch, in
/// order, sizes in bytes. The text is never escaped or re-encoded, so a log of hundreds of
/// thousands of lines costs the server a copy, not a JSON encoding.
enum LogRange {
    struct Head: Encodable {
        var after: Int64
        var next: Int64
        var parts: [Part]
    }

    struct Part: Encodable {
        var stage: String
        var size: Int
    }

    /// At most about `limit` bytes from `after` (whole chunks; at least one).
    static func range(_ chunks: [LogChunk], after: Int64, limit: Int64) throws -> Response {
        var body = ByteBuffer()
        var parts: [Part] = []
        var next = after
        for chunk in chunks where chunk.end > next {
            if next - after >= limit { break }
            var text = ByteBuffer(string: chunk.text)
            if chunk.offset < next { text.moveReaderIndex(forwardBy: Int(next - chunk.offset)) }
            let size = text.readableBytes
            if parts.last?.stage == chunk.stage { parts[parts.count - 1].size += size } else { parts.append(Part(stage: chunk.stage, size: size)) }
            body.writeBuffer(&text)
            next = chunk.end
        }
        var head = ByteBuffer(bytes: try JSONEncoder().encode(Head(after: after, next: next, parts: parts)))
        head.writeString("\n")
        head.writeBuffer(&body)
        return Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8", .cacheControl: "no-store"],
                        body: .init(byteBuffer: head))
    }

    /// The whole log, to save.
    static func text(_ chunks: [LogChunk], run: RunID) -> Response {
        var body = ByteBuffer()
        body.reserveCapacity(chunks.reduce(0) { $0 + $1.text.utf8.count })
        var next: Int64 = 0
        for chunk in chunks where chunk.end > next {
            var text = ByteBuffer(string: chunk.text)
            if chunk.offset < next { text.moveReaderIndex(forwardBy: Int(next - chunk.offset)) }
            body.writeBuffer(&text)
            next = chunk.end
        }
        return Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8", .cacheControl: "no-store",
                                               .contentDisposition: "attachment; filename=\"slipway-run-\(run).log\""],
                        body: .init(byteBuffer: body))
    }
}
