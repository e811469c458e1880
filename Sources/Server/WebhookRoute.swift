import Foundation
import HTTPTypes
import Hummingbird
import SlipwayAPI
import Webhooks

/// `POST /hooks/git`: GitHub-style push webhooks. The signature is checked over the raw body
/// before anything in it is read; a delivery whose id was acted on before is answered
/// `duplicate` and starts nothing; a push starts the runs of every pipeline watching that
/// repository and branch.
struct WebhookRoute {
    let control: any PipelineControl
    let secret: WebhookSecret
    let deliveries: WebhookDeliveries
    /// GitHub caps payloads at 25 MB; a push listing 20 commits is well under 1 MB.
    var maxBodySize = 5 * 1024 * 1024

    /// What the hook did: the runs started, or why nothing was.
    struct Outcome: Encodable {
        var event: String
        var runs: [RunID] = []
        var ignored: String?
        var duplicate: Bool?
    }

    func add(to router: Router<SlipwayRequestContext>) {
        router.post("hooks/git") { request, context in try await receive(request, context: context) }
    }

    private func receive(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let body = try await RequestInput.rawBody(request, upTo: maxBodySize, tooLarge: "the webhook body is larger than \(maxBodySize) bytes")
        let data = Data(body.readableBytesView)
        guard secret.verifies(body: data, header: request.headers[HTTPField.Name("X-Hub-Signature-256")!]) else {
            throw APIError(.unauthorized, "missing or wrong X-Hub-Signature-256: sign the body with HMAC-SHA256 and the "
                           + "webhook secret this service was given", field: "X-Hub-Signature-256")
        }
        guard let event = request.headers[HTTPField.Name("X-GitHub-Event")!] ?? request.headers[HTTPField.Name("X-Gitea-Event")!] else {
            throw APIError.badRequest("header `X-GitHub-Event` is required (push or ping)", field: "X-GitHub-Event")
        }
        guard let delivery = Self.deliveryID(request.headers) else {
            return try await act(on: event, data, context: context)
        }
        if deliveries.claim(delivery) == .duplicate {
            return try JSONResponse.make(Outcome(event: event, ignored: "delivery \(delivery) was received before; nothing started",
                                                 duplicate: true))
        }
        let response: Response
        do {
            response = try await act(on: event, data, context: context)
        } catch {
            try? deliveries.settle(delivery, acted: false)
            throw error
        }
        do {
            try deliveries.settle(delivery, acted: true)
        } catch {
            context.logger.error("webhook delivery \(delivery) was acted on but could not be recorded: \(error)")
        }
        return response
    }

    private func act(on event: String, _ data: Data, context: SlipwayRequestContext) async throws -> Response {
        switch event {
        case "ping":
            return try JSONResponse.make(Outcome(event: "ping"))
        case "push":
            return try JSONResponse.make(try await push(data, context: context), status: .accepted)
        default:
            return try JSONResponse.make(Outcome(event: event, ignored: "only push and ping events are acted on"), status: .accepted)
        }
    }

    /// The first usable delivery id among the forges' headers.
    static func deliveryID(_ headers: HTTPFields) -> String? {
        for name in DeliveryID.headers {
            if let value = headers[HTTPField.Name(name)!] { return DeliveryID.validated(value) }
        }
        return nil
    }

    private func push(_ data: Data, context: SlipwayRequestContext) async throws -> Outcome {
        let push: PushEvent
        do {
            push = try PushEvent.decode(data)
        } catch {
            throw APIError.badRequest(error.description, field: "body")
        }
        switch push.action {
        case .ignore(let reason):
            return Outcome(event: "push", ignored: reason)
        case .start(let branch, let repositories):
            let trigger = Trigger(.webhook, actor: push.actor.map { "\($0)@\(context.remoteAddress)" } ?? "webhook@\(context.remoteAddress)")
            var runs: [RunID] = []
            for repository in repositories {
                runs += try await control.pushed(repository: repository, branch: branch, trigger: trigger)
            }
            return Outcome(event: "push", runs: runs, ignored: runs.isEmpty ? "no new commit for a pipeline watching \(branch)" : nil)
        }
    }
}
