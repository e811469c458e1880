import Foundation
import Hummingbird
import SlipwayAPI

/// What a page listing runs, approvals and releases needs to stay current, as server-sent
/// events (`GET /api/events?pipeline=`): `event: run` (`{"id", "pipeline", "status"}`) when a
/// run is queued or changes, by this service or any other process (the CLI); `event: audit`
/// (`{"id"}`) when the audit trail grows (a rollback, an approval, a removed pipeline), which
/// is how changes that are not runs (a rollback from the CLI) reach the page.
struct ChangeEventStream {
    let control: any PipelineControl
    /// Only this pipeline's changes; nil for all.
    let pipeline: String?
    var auditPoll: Duration = .seconds(1)
    var heartbeat: Duration = .seconds(15)

    /// What `event: run` carries, here and on a run's log stream.
    struct RunChange: Encodable {
        var id: RunID
        var pipeline: String
        var status: RunStatus

        init(_ record: RunRecord) {
            (id, pipeline, status) = (record.id, record.pipeline, record.status)
        }
    }

    func response() -> Response {
        let (control, pipeline, auditPoll) = (control, pipeline, auditPoll)
        let changes = control.events()
        return ServerSentEvents(main: { sink in
            for await case let .run(record) in changes where pipeline == nil || record.pipeline == pipeline {
                sink.yield(ServerSentEvents.event("run", data: RunChange(record)))
            }
        }, companions: [{ sink in
            // The trail is read, not pushed: a small indexed query a second per open page.
            var newest = try? await control.audit(pipeline: pipeline, limit: 1, before: nil).first?.id
            while (try? await Task.sleep(for: auditPoll)) != nil {
                guard let latest = try? await control.audit(pipeline: pipeline, limit: 1, before: nil).first?.id, latest != newest else { continue }
                newest = latest
                sink.yield(ServerSentEvents.event("audit", data: ["id": latest]))
            }
        }], heartbeat: heartbeat).response()
    }
}
