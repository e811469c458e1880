import Foundation
import HTTPTypes
import Hummingbird
import SlipwayAPI

/// `POST /hooks/git`: GitHub-style push webhooks. The signature is checked over the raw body
/// before anything in it is read; a push starts the runs of every pipeline watching that
/// repository and branch.
struct WebhookRoute {
    let control: any PipelineControl
    let secret: WebhookSecret
    /// GitHub caps payloads at 25 MB; a push listing 20 commits is well under 1 MB.
    var maxBodySize = 5 * 1024 * 1024

    /// What the hook did: the runs started, or why nothing was.
    struct Outcome: Encodable {
        var event: String
        var runs: [RunID] = []
        var ignored: String?
    }

    func add(to router: Router<SlipwayRequestContext>) {
        router.post("hooks/git") { request, context in try await receive(request, context: context) }
    }

    private func receive(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        var request = request
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: maxBodySize)
        } catch {
            throw APIError(.contentTooLarge, "the webhook body is larger than \(maxBodySize) bytes", field: "body")
        }
        let data = Data(body.readableBytesView)
        guard secret.verifies(body: data, header: request.headers[HTTPField.Name("X-Hub-Signature-256")!]) else {
            throw APIError(.unauthorized, "missing or wrong X-Hub-Signature-256: sign the body with HMAC-SHA256 and the "
                           + "secret in \(secret.file)", field: "X-Hub-Signature-256")
        }
        let event = request.headers[HTTPField.Name("X-GitHub-Event")!] ?? request.headers[HTTPField.Name("X-Gitea-Event")!]
        switch event {
        case "ping":
            return try JSONResponse.make(Outcome(event: "ping"))
        case "push":
            return try JSONResponse.make(try await push(data, context: context), status: .accepted)
        case let other?:
            return try JSONResponse.make(Outcome(event: other, ignored: "only push and ping events are acted on"), status: .accepted)
        case nil:
            throw APIError.badRequest("header `X-GitHub-Event` is required (push or ping)", field: "X-GitHub-Event")
        }
    }

    private func push(_ data: Data, context: SlipwayRequestContext) async throws -> Outcome {
        let push: PushEvent
        do {
            push = try JSONDecoder().decode(PushEvent.self, from: data)
        } catch {
            throw APIError.badRequest("the push payload needs `ref` and `repository` as GitHub sends them", field: "body")
        }
        guard let branch = push.branch else { return Outcome(event: "push", ignored: "\(push.ref) is not a branch") }
        if push.deleted == true { return Outcome(event: "push", ignored: "branch \(branch) was deleted") }
        let trigger = Trigger(.webhook, actor: push.actor.map { "\($0)@\(context.remoteAddress)" } ?? "webhook@\(context.remoteAddress)")
        var runs: [RunID] = []
        for repository in push.repositoryNames {
            runs += try await control.pushed(repository: repository, branch: branch, trigger: trigger)
        }
        return Outcome(event: "push", runs: runs, ignored: runs.isEmpty ? "no new commit for a pipeline watching \(branch)" : nil)
    }
}
