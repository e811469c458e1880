import ServiceLifecycle

/// A loop that runs beside the server until shutdown (the orchestrator's poller), cancelled
/// when graceful shutdown begins.
public struct BackgroundLoop: Service {
    let body: @Sendable () async -> Void

    public init(_ body: @escaping @Sendable () async -> Void) {
        self.body = body
    }

    public func run() async throws {
        try await cancelWhenGracefulShutdown { await body() }
    }
}
