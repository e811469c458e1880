/// Who or what started something; recorded in the audit trail.
public struct Trigger: Codable, Sendable, Hashable {
    public enum Kind: String, Codable, Sendable { case cli, api, webhook, hook, poll, retry, schedule }
    public var kind: Kind
    /// The user, token name or remote address behind it.
    public var actor: String

    public init(_ kind: Kind, actor: String) {
        self.kind = kind
        self.actor = actor
    }
}
