import Foundation
import HTTPTypes
import Hummingbird
import SlipwayAPI
import SlipwayCore

/// A run's log as server-sent events, and what a run's page needs to stay current.
///
/// Each chunk is `event: log` with the chunk as one line of JSON and `id:` the byte offset just
/// past it, so a client that reconnects (EventSource does so by itself, sending
/// `Last-Event-ID`) resumes exactly where it stopped. `event: run` (`{"id", "pipeline", "status"}`) says the
/// run's record changed (a stage, its commit resolved, an approval awaited or decided).
/// `event: end` with the run's status closes a finished run's stream; on shutdown the stream
/// ends without `end`, and the client reconnects to the restarted service.
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
        let (control, run, offset) = (control, run, offset)
        // Subscribed before the log is read, so no change between the two is missed.
        let changes = control.events()
        return ServerSentEvents(main: { sink in
            do {
                for try await chunk in control.followLogs(run: run, after: offset) {
                    sink.yield(ServerSentEvents.event("log", id: chunk.end, data: chunk))
                }
                // Only an ended run says `end`: a log that stops because the service is going
                // away leaves the client to reconnect to the next one.
                if let record = try? await control.run(run), record.status.isFinal {
                    sink.yield(ServerSentEvents.event("run", data: ChangeEventStream.RunChange(record)))
                    sink.yield(ServerSentEvents.event("end", data: ["status": record.status.rawValue]))
                }
            } catch is CancellationError {
            } catch {
                sink.yield(ServerSentEvents.event("error", data: ["error": ErrorText.redactingPaths("\(error)")]))
            }
        }, companions: [{ sink in
            for await case let .run(record) in changes where record.id == run {
                sink.yield(ServerSentEvents.event("run", data: ChangeEventStream.RunChange(record)))
            }
        }], heartbeat: heartbeat).response()
    }
}
