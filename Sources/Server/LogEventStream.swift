import Foundation
import HTTPTypes
import Hummingbird
import ServiceLifecycle
import SlipwayAPI
import SlipwayCore

/// A run's log as server-sent events (`text/event-stream`).
///
/// Each chunk is `event: log` with the chunk as one line of JSON and `id:` the byte offset just
/// past it, so a client that reconnects (EventSource does so by itself, sending
/// `Last-Event-ID`) resumes exactly where it stopped. `event: end` with the run's status closes
/// a finished run's stream. A comment every 15 s notices clients that went away; on shutdown
/// the stream ends without `end`, and the client reconnects to the restarted service.
struct LogEventStream {
    let control: any PipelineControl
    let run: RunID
    let offset: Int64
    var heartbeat: Duration = .seconds(15)

    /// `Last-Event-ID` (what EventSource resends) or `?after=`; 0 when neither is given.
    static func resumeOffset(_ request: Request) throws -> Int64 {
        if let header = request.headers[HTTPField.Name("Last-Event-ID")!] {
            guard let offset = Int64(header), offset >= 0 else {
                throw APIError.badRequest("header `Last-Event-ID` must be a byte offset (a non-negative integer)",
                                          field: "Last-Event-ID")
            }
            return offset
        }
        return try RequestInput.integer("after", in: request, range: 0...Int64.max) ?? 0
    }

    func response() -> Response {
        Response(status: .ok,
                 headers: [.contentType: "text/event-stream; charset=utf-8", .cacheControl: "no-cache",
                           HTTPField.Name("X-Accel-Buffering")!: "no"],
                 body: ResponseBody { writer in
                     try await stream(into: &writer)
                     try await writer.finish(nil)
                 })
    }

    private func stream(into writer: inout any ResponseBodyWriter) async throws {
        let (events, sink) = AsyncStream.makeStream(of: String.self)
        let (control, run, offset, heartbeat) = (control, run, offset, heartbeat)
        try await withGracefulShutdownHandler {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    do {
                        for try await chunk in control.followLogs(run: run, after: offset) {
                            sink.yield(Self.event("log", id: chunk.end, data: chunk))
                        }
                        // Only an ended run says `end`: a log that stops because the service is
                        // going away leaves the client to reconnect to the next one.
                        if let status = try? await control.run(run).status, status.isFinal {
                            sink.yield(Self.event("end", data: ["status": status.rawValue]))
                        }
                    } catch is CancellationError {
                    } catch {
                        sink.yield(Self.event("error", data: ["error": ErrorText.redactingPaths("\(error)")]))
                    }
                    sink.finish()
                }
                group.addTask {
                    while !Task.isCancelled {
                        try await Task.sleep(for: heartbeat)
                        sink.yield(": keepalive\n\n")
                    }
                }
                // A reconnecting client waits 2 s instead of EventSource's default 3 s.
                try await writer.write(ByteBuffer(string: "retry: 2000\n\n"))
                for await event in events {
                    try await writer.write(ByteBuffer(string: event))
                }
                group.cancelAll()
            }
        } onGracefulShutdown: {
            sink.finish()
        }
    }

    /// One event; `data` is a single line of JSON, so it never needs splitting.
    static func event(_ name: String, id: Int64? = nil, data: some Encodable) -> String {
        let json = (try? Timestamp.encoder(pretty: false).encode(data)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        return (id.map { "id: \($0)\n" } ?? "") + "event: \(name)\ndata: \(json)\n\n"
    }
}
