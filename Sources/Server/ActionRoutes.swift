import Foundation
import Hummingbird
import SlipwayAPI
import SlipwayCore

/// The API's changes: run, approve, reject, cancel, retry, roll back. Every one sits behind
/// `TokenGate`, which names the actor the audit trail records.
struct ActionRoutes {
    let control: any PipelineControl

    struct StartBody: Decodable {
        var commit: String?
        var force: Bool?
    }

    struct CommentBody: Decodable {
        var comment: String?
    }

    struct RollbackBody: Decodable {
        var target: String
        var to: String?
    }

    /// A run that was created: `{"run": ID}`.
    struct Created: Encodable {
        var run: RunID
    }

    func add(to group: RouterGroup<SlipwayRequestContext>) {
        group.post("pipelines/:pipeline/runs") { request, context in
            let pipeline = try RequestInput.pipeline(context)
            let body = try await RequestInput.body(StartBody.self, from: request, maxSize: context.maxUploadSize)
            let commit = try body.commit.map(Self.commitID)
            guard let run = try await control.start(pipeline: pipeline, commit: commit,
                                                    trigger: Trigger(.api, actor: actor(context)), force: body.force ?? false)
            else {
                throw APIError(.conflict, "that commit already has a run; send \"force\": true to run it again", field: "commit")
            }
            return try JSONResponse.make(Created(run: run), status: .created)
        }
        group.post("runs/:id/approve") { request, context in
            let (id, comment) = try await commented(request, context)
            try await control.approve(run: id, by: actor(context), comment: comment)
            return try JSONResponse.make(try await control.run(id))
        }
        group.post("runs/:id/reject") { request, context in
            let (id, comment) = try await commented(request, context)
            try await control.reject(run: id, by: actor(context), comment: comment)
            return try JSONResponse.make(try await control.run(id))
        }
        group.post("runs/:id/cancel") { _, context in
            let id = try RequestInput.runID(context)
            try await control.cancel(run: id, by: actor(context))
            return try JSONResponse.make(try await control.run(id))
        }
        group.post("runs/:id/retry") { _, context in
            let run = try await control.retry(run: try RequestInput.runID(context), by: actor(context))
            return try JSONResponse.make(Created(run: run), status: .created)
        }
        group.post("pipelines/:pipeline/rollback") { request, context in
            let pipeline = try RequestInput.pipeline(context)
            let body = try await RequestInput.body(RollbackBody.self, from: request, maxSize: context.maxUploadSize)
            try Self.bounded(body.target, field: "target", max: 4096)
            if let to = body.to { try Self.bounded(to, field: "to", max: 256) }
            let summary = try await control.rollback(pipeline: pipeline, target: body.target, to: body.to, by: actor(context))
            return try JSONResponse.make(summary)
        }
    }

    private func actor(_ context: SlipwayRequestContext) -> String {
        context.actor ?? "api@\(context.remoteAddress)"
    }

    private func commented(_ request: Request, _ context: SlipwayRequestContext) async throws -> (RunID, String?) {
        let id = try RequestInput.runID(context)
        let body = try await RequestInput.body(CommentBody.self, from: request, maxSize: context.maxUploadSize)
        if let comment = body.comment { try Self.bounded(comment, field: "comment", max: 2000) }
        return (id, body.comment)
    }

    /// A commit id as git prints it: 4 to 64 hex digits (never an option or a ref expression).
    static func commitID(_ text: String) throws -> String {
        guard (4...64).contains(text.utf8.count), text.utf8.allSatisfy({ isxdigit(Int32($0)) != 0 }) else {
            throw APIError.badRequest("field `commit` must be a commit id: 4 to 64 hex digits", field: "commit")
        }
        return text.lowercased()
    }

    static func bounded(_ text: String, field: String, max: Int) throws {
        guard !text.isEmpty, text.utf8.count <= max, !text.unicodeScalars.contains(where: { $0.value < 0x20 && $0 != "\n" }) else {
            throw APIError.badRequest("field `\(field)` must be 1 to \(max) bytes of text without control characters", field: field)
        }
    }
}
