/// The id a forge gives each webhook delivery. A redelivery (by the forge or by someone who
/// recorded a signed request and replays it) carries the same id, so it is what
/// de-duplication keys on; the HMAC signature alone cannot tell a replay from the original.
public enum DeliveryID {
    /// Headers carrying the id, in the order they are read: GitHub, Gitea, Forgejo, Gogs, then
    /// GitLab's retry key and its per-event UUID.
    public static let headers = [
        "X-GitHub-Delivery", "X-Gitea-Delivery", "X-Forgejo-Delivery", "X-Gogs-Delivery", "Idempotency-Key", "X-Gitlab-Event-UUID",
    ]

    public static let maxLength = 128

    /// The id when it is usable as one: 1 to 128 visible ASCII characters (a UUID, a hex
    /// digest); nil otherwise, and the delivery is then treated as having no id.
    public static func validated(_ text: String) -> String? {
        let bytes = text.utf8
        guard (1...maxLength).contains(bytes.count), bytes.allSatisfy({ (0x21...0x7e).contains($0) }) else { return nil }
        return text
    }
}
