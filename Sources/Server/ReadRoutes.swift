import Hummingbird
import SlipwayAPI

/// The read-only JSON API: pipelines, runs, a run, its logs and releases.
struct ReadRoutes {
    let control: any PipelineControl
    let cache = RunJSONCache()

    /// Log chunks from an offset; `next` is the offset to ask from next time.
    struct LogPage: Encodable {
        var chunks: [LogChunk]
        var next: Int64
    }

    func add(to group: RouterGroup<SlipwayRequestContext>) {
        group.get("pipelines") { _, _ in try JSONResponse.make(try await control.pipelines()) }
        group.get("runs") { request, _ in try await runPage(request, pipeline: request.uri.queryParameters.get("pipeline")) }
        group.get("pipelines/:pipeline/runs") { request, context in
            try await runPage(request, pipeline: try RequestInput.pipeline(context))
        }
        group.get("runs/:id") { _, context in try JSONResponse.make(try await control.run(try RequestInput.runID(context))) }
        group.get("runs/:id/logs") { request, context in
            let id = try RequestInput.runID(context)
            let after = try RequestInput.integer("after", in: request, range: 0...Int64.max) ?? 0
            _ = try await control.run(id)
            let chunks = try await control.logs(run: id, after: after)
            return try JSONResponse.make(LogPage(chunks: chunks, next: chunks.last.map(\.end) ?? after))
        }
        group.get("runs/:id/logs/stream") { request, context in
            let id = try RequestInput.runID(context)
            let offset = try LogEventStream.resumeOffset(request)
            _ = try await control.run(id)
            return LogEventStream(control: control, run: id, offset: offset).response()
        }
        group.get("runs/:id/logs/range") { request, context in
            let id = try RequestInput.runID(context)
            let after = try RequestInput.integer("after", in: request, range: 0...Int64.max) ?? 0
            let limit = try RequestInput.integer("limit", in: request, range: 1...(64 << 20)) ?? (8 << 20)
            _ = try await control.run(id)
            return try LogRange.range(try await control.logs(run: id, after: after), after: after, limit: limit)
        }
        group.get("runs/:id/logs/text") { _, context in
            let id = try RequestInput.runID(context)
            _ = try await control.run(id)
            return LogRange.text(try await control.logs(run: id, after: 0), run: id)
        }
        group.get("events") { request, _ in
            ChangeEventStream(control: control, pipeline: request.uri.queryParameters.get("pipeline")).response()
        }
        group.get("pipelines/:pipeline/releases") { _, context in
            try JSONResponse.make(try await control.releases(pipeline: try RequestInput.pipeline(context)))
        }
        group.get("workers") { _, _ in try JSONResponse.make(try await control.workers()) }
        group.get("audit") { request, _ in
            let limit = try RequestInput.integer("limit", in: request, range: 1...1000) ?? 50
            let before = try RequestInput.integer("before", in: request, range: 1...Int64.max)
            let entries = try await control.audit(pipeline: request.uri.queryParameters.get("pipeline"), limit: Int(limit), before: before)
            return try JSONResponse.make(AuditPage(entries: entries, next: entries.count == Int(limit) ? entries.last?.id : nil))
        }
    }

    /// A page of the audit trail, newest first; `next` (absent on the last page) is the
    /// `before` of the following page.
    struct AuditPage: Encodable {
        var entries: [AuditEntry]
        var next: Int64?
    }

    private func runPage(_ request: Request, pipeline: String?) async throws -> Response {
        let limit = try RequestInput.integer("limit", in: request, range: 1...1000) ?? 50
        let before = try RequestInput.integer("before", in: request, range: 1...Int64.max).map(RunID.init(rawValue:))
        let runs = try await control.runs(pipeline: pipeline, limit: Int(limit), before: before)
        return try runPage(runs, next: runs.count == Int(limit) ? runs.last?.id : nil)
    }

    /// `{"next": ID, "runs": [...]}`, a page of runs, newest first; `next` (absent on the last
    /// page) is the `before` of the following page. Put together from each run's cached JSON,
    /// in the same shape (sorted keys) the encoder gives.
    private func runPage(_ runs: [RunRecord], next: RunID?) throws -> Response {
        let parts = try cache.json(for: runs)
        var buffer = ByteBuffer()
        buffer.reserveCapacity(parts.reduce(32) { $0 + $1.count + 1 })
        buffer.writeString(next.map { "{\"next\":\($0),\"runs\":[" } ?? "{\"runs\":[")
        for (i, part) in parts.enumerated() {
            if i > 0 { buffer.writeString(",") }
            buffer.writeBytes(part)
        }
        buffer.writeString("]}")
        return JSONResponse.make(buffer)
    }
}
