import Hummingbird

/// Per-request state: who is asking (for the audit trail) and the body limit.
public struct SlipwayRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The peer's IP address, recorded as part of the actor of what a request starts.
    public let remoteAddress: String
    /// Who an authenticated request acts as (`api@ADDRESS`, `dashboard@ADDRESS`), set by
    /// `TokenGate`; the audit trail records it.
    public var actor: String?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress?.ipAddress ?? "unknown"
    }

    /// API bodies are a few small fields; webhooks read their own, larger, bound.
    public var maxUploadSize: Int { 64 * 1024 }
}
