import Crypto
import Foundation
import Server

/// Signs a body as GitHub does: `sha256=` + hex HMAC-SHA256 with the shared secret.
func githubSignature(_ body: Data, secret: WebhookSecret) throws -> String {
    let key = try String(contentsOfFile: secret.file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    let mac = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Data(key.utf8)))
    return "sha256=" + mac.map { String(format: "%02x", $0) }.joined()
}

/// A push payload with the fields GitHub sends that Slipway reads.
func pushPayload(repository: String, branch: String = "main", after: String = String(repeating: "1", count: 40)) -> Data {
    let object: [String: Any] = [
        "ref": "refs/heads/\(branch)", "before": String(repeating: "0", count: 40), "after": after, "deleted": false,
        "repository": ["full_name": "team/web", "clone_url": repository, "html_url": "https://example.invalid/team/web"],
        "pusher": ["name": "octocat", "email": "octocat@example.invalid"],
        "head_commit": ["id": after, "message": "Update"],
    ]
    return try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
}

extension LiveService {
    func hook(_ body: Data, event: String = "push", signature: String?, delivery: (header: String, id: String)? = nil) async throws -> Reply {
        var headers = ["X-GitHub-Event": event]
        let delivery = delivery ?? ("X-GitHub-Delivery", UUID().uuidString)
        headers[delivery.header] = delivery.id
        headers["X-Hub-Signature-256"] = signature
        return try await request(.POST, "/hooks/git", headers: headers, body: body)
    }
}
