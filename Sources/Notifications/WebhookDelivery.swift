import Crypto
import Foundation
import SlipwayCore
import Specs

/// One notification as bytes on the wire: the body, its headers, and where it goes.
public struct WebhookDelivery: Sendable, Equatable {
    public var url: String
    public var body: Data
    public var headers: [(String, String)]
    /// Every attempt of one delivery carries the same id, so a receiver can drop repeats.
    public var id: String

    public static func == (a: Self, b: Self) -> Bool {
        a.url == b.url && a.body == b.body && a.id == b.id && a.headers.elementsEqual(b.headers) { $0 == $1 }
    }

    /// JSON: the notice itself, signed as GitHub signs its webhooks
    /// (`X-Slipway-Signature-256: sha256=<HMAC-SHA256 of the body>`) when a key is given.
    /// Slack: `{"text": summary}`, which Slack, Mattermost, Rocket.Chat and Discord's
    /// Slack-compatible endpoints all take.
    public init(_ notice: RunNotice, to url: String, format: PipelineSpec.Notification.Format, signingKey: String?,
                id: String = UUID().uuidString.lowercased()) throws {
        self.url = url
        self.id = id
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        switch format {
        case .json:
            body = try encoder.encode(notice)
            headers = [("Content-Type", "application/json"), ("X-Slipway-Event", "run." + notice.event.rawValue),
                       ("X-Slipway-Delivery", id)]
            if let signingKey {
                let mac = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Data(signingKey.utf8)))
                headers.append(("X-Slipway-Signature-256", "sha256=" + Hex.encode(mac)))
            }
        case .slack:
            let text = notice.summary + (notice.url.map { " <\($0)|open>" } ?? "")
            body = try encoder.encode(["text": text])
            headers = [("Content-Type", "application/json")]
        }
        headers.append(("User-Agent", "slipway"))
    }
}
