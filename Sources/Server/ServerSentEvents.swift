import Foundation
import HTTPTypes
import Hummingbird
import ServiceLifecycle
import SlipwayCore

/// A `text/event-stream` response fed by producers: the first one's end ends the stream, the
/// others run beside it until then. The run log's stream and the dashboard's page streams are
/// both one of these.
///
/// `retry: 2000` comes first (a reconnecting EventSource waits 2 s, not its default 3 s); a
/// comment every `heartbeat` notices clients that went away; on shutdown the stream ends, and
/// the client reconnects to the restarted service.
struct ServerSentEvents: Sendable {
    /// Yields events (built with `event(_:id:data:)`) until it returns.
    typealias Producer = @Sendable (AsyncStream<String>.Continuation) async -> Void

    let main: Producer
    var companions: [Producer] = []
    var heartbeat: Duration = .seconds(15)

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
        let (main, companions, heartbeat) = (main, companions, heartbeat)
        try await withGracefulShutdownHandler {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    await main(sink)
                    sink.finish()
                }
                for companion in companions {
                    group.addTask { await companion(sink) }
                }
                group.addTask {
                    while !Task.isCancelled {
                        try await Task.sleep(for: heartbeat)
                        sink.yield(": keepalive\n\n")
                    }
                }
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
